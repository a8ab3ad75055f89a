package httpapi

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/fieldwork-dev/fieldwork"
)

// PoolStatser is implemented by stores that can report their connection pool.
type PoolStatser interface {
	// PoolStats returns the open, in-use and idle connections.
	PoolStats() (open, inUse, idle int)
}

// metrics are the server's Prometheus collectors, in a registry of its own.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	inFlight prometheus.Gauge
}

func newMetrics(svc *fieldwork.Service) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fieldwork_http_requests_total", Help: "HTTP requests by route pattern and status.",
		}, []string{"route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "fieldwork_http_request_duration_seconds", Help: "HTTP request latency by route pattern and status.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "status"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "fieldwork_http_requests_in_flight", Help: "HTTP requests being served.",
		}),
	}
	m.registry.MustRegister(m.requests, m.latency, m.inFlight,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "fieldwork_rollups_total", Help: "Activity master roll-ups written by this process.",
		}, func() float64 { return float64(svc.RollupsPerformed()) }))
	if ps, ok := svc.Store.(PoolStatser); ok {
		for i, name := range []string{"open", "in_use", "idle"} {
			i := i
			m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "fieldwork_db_connections_" + name, Help: "Database connections (" + name + ").",
			}, func() float64 {
				open, inUse, idle := ps.PoolStats()
				return float64([]int{open, inUse, idle}[i])
			}))
		}
	}
	return m
}

// observe records one finished request; unmatched routes count under "unmatched".
func (m *metrics) observe(route string, status int, elapsed time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	code := strconv.Itoa(status)
	m.requests.WithLabelValues(route, code).Inc()
	m.latency.WithLabelValues(route, code).Observe(elapsed.Seconds())
}

// RegisterMetrics adds collectors of other parts of the process (the webhook dispatcher's
// queue depth and delivery outcomes) to the server's /metrics.
func (s *Server) RegisterMetrics(cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := s.metrics.registry.Register(c); err != nil {
			return err
		}
	}
	return nil
}
