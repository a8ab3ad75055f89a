package httpapi

// userRoutes registers the routes of this resource.
func (s *Server) userRoutes() {}
