package httpapi

import (
	"bytes"
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/prometheus/common/expfmt"
)

// opsRoutes registers the operational endpoints of SPEC §10 (no token needed).
func (s *Server) opsRoutes() {
	huma.Register(s.api, opsOp("GET", "/healthz", "healthz"), s.healthz)
	huma.Register(s.api, opsOp("GET", "/readyz", "readyz"), s.readyz)
	huma.Register(s.api, opsOp("GET", "/metrics", "metrics"), s.metricsText)
}

func opsOp(method, path, id string) huma.Operation {
	return huma.Operation{OperationID: id, Method: method, Path: path, Tags: []string{"Operations"},
		Security: []map[string][]string{}, SkipValidateParams: true, DefaultStatus: http.StatusOK}
}

// HealthBody answers /healthz and /readyz.
type HealthBody struct {
	Status string `json:"status" enum:"ok,unavailable"`
}

func (s *Server) healthz(ctx context.Context, _ *struct{}) (*Out[HealthBody], error) {
	return reply(http.StatusOK, HealthBody{Status: "ok"}), nil
}

func (s *Server) readyz(ctx context.Context, _ *struct{}) (*Out[HealthBody], error) {
	if err := s.Service.Store.Ping(ctx); err != nil {
		s.Logger.Warn("readyz: store unreachable", "error", err)
		return reply(http.StatusServiceUnavailable, HealthBody{Status: "unavailable"}), nil
	}
	return reply(http.StatusOK, HealthBody{Status: "ok"}), nil
}

// MetricsOut is the Prometheus text exposition.
type MetricsOut struct {
	ContentType string `header:"Content-Type"`
	Body        []byte
}

func (s *Server) metricsText(ctx context.Context, _ *struct{}) (*MetricsOut, error) {
	families, err := s.metrics.registry.Gather()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range families {
		if err := enc.Encode(f); err != nil {
			return nil, err
		}
	}
	return &MetricsOut{ContentType: string(expfmt.NewFormat(expfmt.TypeTextPlain)), Body: buf.Bytes()}, nil
}
