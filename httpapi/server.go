// Package httpapi serves Fieldwork's MileApp-compatible HTTP API on top of fieldwork.Service.
//
// Requests pass through one middleware chain (request id, logging, panic recovery, trailing
// slash, Accept, route lookup, authentication) and then a huma operation, whose handler decodes,
// calls the Service and returns a typed answer or an error; error.go alone turns errors into
// statuses and bodies.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/fieldwork-dev/fieldwork"
	"github.com/fieldwork-dev/fieldwork/web"
)

// Prefix is the base path of every API route.
const Prefix = "/api/v3"

// Server is the HTTP handler of the API.
type Server struct {
	Service *fieldwork.Service
	Logger  *slog.Logger
	// PublicURL, when set, is the scheme and host of paginator URLs.
	PublicURL string

	mux     *http.ServeMux
	api     huma.API
	limiter *orgLimiter
	metrics *metrics
}

// NewServer builds the handler with every route registered.
func NewServer(svc *fieldwork.Service, logger *slog.Logger, publicURL string) *Server {
	if logger == nil {
		logger = slog.Default()
	}
	s := &Server{Service: svc, Logger: logger, PublicURL: strings.TrimRight(publicURL, "/"), mux: http.NewServeMux(),
		limiter: newOrgLimiter(DefaultRateLimit, DefaultRateBurst), metrics: newMetrics(svc)}
	config := huma.DefaultConfig("Fieldwork API", "3.0.0")
	config.Info.Description = "Field-operations task management, wire-compatible with the MileApp v3 API."
	config.CreateHooks = nil // no $schema links in bodies
	config.OpenAPIPath = Prefix + "/openapi"
	config.DocsPath = ""
	config.SchemasPath = ""
	config.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer"},
		"apiKey": {Type: "apiKey", In: "header", Name: "x-api-key"},
	}
	config.Security = []map[string][]string{{"bearer": {}}, {"apiKey": {}}}
	s.api = humago.New(s.mux, config)
	s.registerRoutes()
	// The web console: outside /api/v3, no token (its pages call the API with the user's).
	// Exact patterns, no catch-all "GET /", so unknown paths stay JSON 404s.
	console := web.Handler()
	s.mux.Handle("GET /{$}", console)
	s.mux.Handle("GET /console/{file}", console)
	return s
}

// SetRateLimit sets the per-organization limit (requests per second) and burst; a limit of
// 0 turns rate limiting off.
func (s *Server) SetRateLimit(perSecond float64, burst int) {
	s.limiter = newOrgLimiter(perSecond, max(1, burst))
}

// API returns the huma API, e.g. to read its OpenAPI document.
func (s *Server) API() huma.API { return s.api }

type ctxKey int

const (
	callerKey ctxKey = iota
	requestIDKey
	baseURLKey
	requestURLKey
)

func callerFrom(ctx context.Context) *fieldwork.Caller {
	c, _ := ctx.Value(callerKey).(*fieldwork.Caller)
	return c
}

func requestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// statusRecorder remembers the status written, for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// ServeHTTP runs the middleware chain, then the route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	reqID := r.Header.Get("X-Request-Id")
	if !validRequestID(reqID) {
		reqID = fieldwork.NewID(start)
	}
	ctx := context.WithValue(r.Context(), requestIDKey, reqID)
	ctx = context.WithValue(ctx, baseURLKey, s.baseURL(r))
	r = r.WithContext(ctx)
	rec := &statusRecorder{ResponseWriter: w}
	w.Header().Set("X-Request-Id", reqID)
	route := ""
	defer func() {
		if p := recover(); p != nil {
			s.Logger.Error("panic", "requestId", reqID, "panic", p)
			if rec.status == 0 {
				s.writeError(rec, r, fieldwork.Errorf(fieldwork.EINTERNAL, "sys-045", "panic: %v", p))
			}
		}
		org := ""
		if c := callerFrom(r.Context()); c != nil {
			org = c.OrgID()
		}
		elapsed := time.Since(start)
		s.metrics.observe(route, rec.status, elapsed)
		s.Logger.Info("request", "requestId", reqID, "organization", org, "method", r.Method,
			"route", route, "status", rec.status, "duration", elapsed)
	}()
	s.metrics.inFlight.Inc()
	defer s.metrics.inFlight.Dec()

	// One trailing slash is ignored (SPEC §1.1).
	if p := r.URL.Path; len(p) > 1 && strings.HasSuffix(p, "/") {
		r.URL.Path = strings.TrimSuffix(p, "/")
		r.URL.RawPath = ""
	}
	if strings.HasPrefix(r.URL.Path, Prefix+"/") && !acceptable(r.Header.Values("Accept")) {
		s.writeError(rec, r, &fieldwork.Error{Code: codeNotAcceptable, FailedCode: "req-047", Message: "Only application/json responses are available"})
		return
	}
	r = r.WithContext(context.WithValue(r.Context(), requestURLKey, r.URL))
	h, pattern := s.mux.Handler(r)
	if pattern == "" {
		// No route: let the mux say whether it is 404 or 405 (and which methods), then answer
		// in JSON.
		probe := httptest.NewRecorder()
		h.ServeHTTP(probe, r)
		if probe.Code == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", probe.Header().Get("Allow"))
			s.writeError(rec, r, &fieldwork.Error{Code: codeMethodNotAllowed, FailedCode: "req-046", Message: "Method not allowed"})
			return
		}
		s.writeError(rec, r, fieldwork.NotFound("req-033", fieldwork.MsgNotFound))
		return
	}
	route = pattern
	if strings.HasPrefix(r.URL.Path, Prefix+"/") && !strings.HasPrefix(r.URL.Path, Prefix+"/openapi") {
		caller, err := s.Service.Authenticate(ctx, tokenFrom(r))
		if err != nil {
			s.writeError(rec, r, err)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), callerKey, caller))
		if !s.limiter.allow(rec, caller.OrgID()) {
			s.writeError(rec, r, &fieldwork.Error{Code: fieldwork.ERATELIMIT, FailedCode: "sys-036", Message: "Too many requests"})
			return
		}
	}
	s.serveRoute(rec, r, pattern) // (re-routes so the mux sets the path values)
}

// tokenFrom reads `Authorization: Bearer <token>` or `x-api-key: <token>`.
func tokenFrom(r *http.Request) string {
	if a := r.Header.Get("Authorization"); a != "" {
		if scheme, tok, ok := strings.Cut(a, " "); ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(tok)
		}
		return ""
	}
	return strings.TrimSpace(r.Header.Get("x-api-key"))
}

// acceptable reports whether the Accept header allows JSON.
func acceptable(values []string) bool {
	if len(values) == 0 {
		return true
	}
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			mt, _, _ := strings.Cut(part, ";")
			switch strings.ToLower(strings.TrimSpace(mt)) {
			case "", "*/*", "application/*", "application/json":
				return true
			}
		}
	}
	return false
}

// baseURL is the scheme and host of absolute URLs in answers.
func (s *Server) baseURL(r *http.Request) string {
	if s.PublicURL != "" {
		return s.PublicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// ifMatch parses an If-Match header: `"3"`, `3` or W/"3". Absent → nil; garbage never matches.
func ifMatch(v string) *int {
	v = strings.TrimSpace(v)
	if v == "" || v == "*" {
		return nil
	}
	v = strings.Trim(strings.TrimPrefix(v, "W/"), `"`)
	n, err := strconv.Atoi(v)
	if err != nil {
		n = -1
	}
	return &n
}

// validRequestID accepts a client's X-Request-Id of 1–128 printable ASCII characters.
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

func etag(version int) string { return `"` + strconv.Itoa(version) + `"` }
