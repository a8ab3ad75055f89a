package httpapi

// taskRoutes registers the routes of this resource.
func (s *Server) taskRoutes() {}
