package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/fieldwork-dev/fieldwork"
	"github.com/fieldwork-dev/fieldwork/internal/testdb"
)

// opsEnv is a server on a fresh store with two organizations.
type opsEnv struct {
	srv          *Server
	url          string
	tokA, tokB   string
	serviceStore fieldwork.Store
}

func newOpsEnv(t *testing.T, engine string) *opsEnv {
	st := testdb.Open(t, engine)
	svc := fieldwork.NewService(st)
	_, _, a, err := svc.CreateOrganization(context.Background(), "A", "a@a.test", "")
	if err != nil {
		t.Fatal(err)
	}
	_, _, b, err := svc.CreateOrganization(context.Background(), "B", "b@b.test", "")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(svc, quiet, "")
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &opsEnv{srv: srv, url: hs.URL, tokA: a, tokB: b, serviceStore: st}
}

func get(t *testing.T, url, token string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

func TestRateLimitPerOrganization(t *testing.T) {
	e := newOpsEnv(t, testdb.SQLite)
	e.srv.SetRateLimit(0.5, 3) // three requests, then one every two seconds
	for i := 0; i < 3; i++ {
		res, body := get(t, e.url+"/api/v3/hubs", e.tokA)
		if res.StatusCode != 200 {
			t.Fatalf("request %d: %d %s", i, res.StatusCode, body)
		}
		if res.Header.Get("RateLimit-Limit") != "3" || res.Header.Get("RateLimit-Remaining") != strconv.Itoa(2-i) || res.Header.Get("RateLimit-Reset") == "" {
			t.Fatalf("request %d headers: %v", i, res.Header)
		}
	}
	res, body := get(t, e.url+"/api/v3/hubs", e.tokA)
	var eb map[string]any
	_ = json.Unmarshal(body, &eb)
	if res.StatusCode != 429 || eb["failedCode"] != "sys-036" || eb["message"] != "Too many requests" || res.Header.Get("Retry-After") != "2" {
		t.Fatalf("over the limit: %d %v %s", res.StatusCode, res.Header, body)
	}
	// The other organization has its own bucket.
	if res, body := get(t, e.url+"/api/v3/hubs", e.tokB); res.StatusCode != 200 || res.Header.Get("RateLimit-Remaining") != "2" {
		t.Fatalf("organization B: %d %s", res.StatusCode, body)
	}
	e.srv.SetRateLimit(0, 1) // off
	if res, _ := get(t, e.url+"/api/v3/hubs", e.tokA); res.StatusCode != 200 || res.Header.Get("RateLimit-Limit") != "" {
		t.Fatalf("limit off: %d %v", res.StatusCode, res.Header)
	}
}

func TestOperationsEndpoints(t *testing.T) {
	for _, engine := range testdb.Engines() {
		t.Run(engine, func(t *testing.T) {
			e := newOpsEnv(t, engine)
			for _, p := range []string{"/healthz", "/readyz"} {
				res, body := get(t, e.url+p, "")
				if res.StatusCode != 200 || !strings.Contains(string(body), `"ok"`) {
					t.Fatalf("%s: %d %s", p, res.StatusCode, body)
				}
			}
			get(t, e.url+"/api/v3/hubs", e.tokA)
			res, body := get(t, e.url+"/metrics", "", "Accept", "text/plain")
			for _, want := range []string{`fieldwork_http_requests_total{route="GET /api/v3/hubs",status="200"} 1`,
				"fieldwork_http_request_duration_seconds_bucket", "fieldwork_http_requests_in_flight 1",
				"fieldwork_rollups_total 0", "fieldwork_db_connections_open"} {
				if !strings.Contains(string(body), want) {
					t.Errorf("metrics lack %q", want)
				}
			}
			if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
				t.Fatalf("metrics: %d %v", res.StatusCode, res.Header)
			}
			// A closed store is not ready.
			e.serviceStore.Close()
			if res, body := get(t, e.url+"/readyz", ""); res.StatusCode != 503 || !strings.Contains(string(body), "unavailable") {
				t.Fatalf("readyz on a closed store: %d %s", res.StatusCode, body)
			}
		})
	}
}

func TestRequestIDEcho(t *testing.T) {
	e := newOpsEnv(t, testdb.SQLite)
	res, _ := get(t, e.url+"/api/v3/hubs", e.tokA, "X-Request-Id", "abc-123")
	if res.Header.Get("X-Request-Id") != "abc-123" {
		t.Fatalf("X-Request-Id %q", res.Header.Get("X-Request-Id"))
	}
	res, _ = get(t, e.url+"/api/v3/hubs", e.tokA, "X-Request-Id", "bad id with spaces")
	if id := res.Header.Get("X-Request-Id"); !fieldwork.ValidID(id) {
		t.Fatalf("generated X-Request-Id %q", id)
	}
}
