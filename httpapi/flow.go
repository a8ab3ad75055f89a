package httpapi

// flowRoutes registers the routes of this resource.
func (s *Server) flowRoutes() {}
