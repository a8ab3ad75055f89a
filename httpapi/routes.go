package httpapi

import (
	"context"
	"net/http"
	"reflect"

	"github.com/danielgtaylor/huma/v2"

	"github.com/fieldwork-dev/fieldwork"
)

// Body size limits (SPEC §1.1).
const (
	maxBody     = 1 << 20
	maxBulkBody = 16 << 20
)

// registerRoutes lists every route of the API in one table.
func (s *Server) registerRoutes() {
	s.beginDocument()
	defer s.endDocument()
	// §10 operations
	s.opsRoutes()
	// §2 users, roles, tokens
	s.userRoutes()
	// §3 hubs
	handle(s, op("GET", "/hubs", "listHubs", "Hubs"), s.listHubs)
	handle(s, withBody[hubBody](s, op("POST", "/hub", "createHub", "Hubs")), s.createHub)
	handle(s, op("GET", "/hub/{hubId}", "getHub", "Hubs"), s.getHub)
	handle(s, withBody[hubBody](s, op("PUT", "/hub/{hubId}", "replaceHub", "Hubs")), s.putHub)
	handle(s, withBody[hubBody](s, op("PATCH", "/hub/{hubId}", "updateHub", "Hubs")), s.patchHub)
	handle(s, op("DELETE", "/hub/{hubId}", "deleteHub", "Hubs"), s.deleteHub)
	// §4 flows
	s.flowRoutes()
	// §5 tasks
	s.taskRoutes()
	// §6 workflows
	s.workflowRoutes()
	// §7 activities
	s.activityRoutes()
	s.eventRoutes()   // §8 events
	s.webhookRoutes() // §9 webhooks
}

// op describes an operation; path is relative to Prefix. Its documented success status is
// 200, or the status of the create (SPEC §1.2); see openapi.go for the rest of the document.
func op(method, path, id, tag string) huma.Operation {
	status := http.StatusOK
	if st, ok := creates[method+" "+Prefix+path]; ok {
		status = st
	}
	return huma.Operation{
		OperationID:   id,
		Method:        method,
		Path:          Prefix + path,
		Tags:          []string{tag},
		MaxBodyBytes:  maxBody,
		DefaultStatus: status,
		// Parameters are parsed by the handlers, which answer with the resource's failedCode.
		SkipValidateParams: true,
	}
}

// bulk raises the body limit of a bulk operation.
func bulk(o huma.Operation) huma.Operation {
	o.MaxBodyBytes = maxBulkBody
	return o
}

// withBody documents the JSON request body of an operation with the Go type the handler
// decodes it into (handlers read RawBody themselves to control errors and failedCodes).
func withBody[T any](s *Server, o huma.Operation) huma.Operation {
	schema := s.api.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[T](), true, "")
	o.RequestBody = &huma.RequestBody{Content: map[string]*huma.MediaType{"application/json": {Schema: schema}}}
	o.SkipValidateBody = true
	return o
}

// handle registers a handler that receives the authenticated caller; every error it returns
// goes through toAPIError.
func handle[I, O any](s *Server, o huma.Operation, h func(ctx context.Context, c *fieldwork.Caller, in *I) (*O, error)) {
	huma.Register(s.api, o, func(ctx context.Context, in *I) (*O, error) {
		out, err := h(ctx, callerFrom(ctx), in)
		if err != nil {
			return nil, toAPIError(s.Logger, requestIDFrom(ctx), err)
		}
		return out, nil
	})
}
