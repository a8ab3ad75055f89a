package httpapi_test

import (
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestOpenAPIDocument checks that /api/v3/openapi.json is served without a token as an
// OpenAPI 3.1 document, and that every operation it lists is a live route (not 404/405).
func TestOpenAPIDocument(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		e := newEnv(t)
		r := e.must(e.do("GET", "/openapi.json", "", nil), 200)
		if r.str("openapi") != "3.1.0" {
			t.Fatalf("openapi = %q", r.str("openapi"))
		}
		schemes := r.obj("components", "securitySchemes")
		if schemes["bearer"] == nil || schemes["apiKey"] == nil {
			t.Fatalf("security schemes: %v", schemes)
		}
		paths := r.obj("paths")
		var ops []string
		param := regexp.MustCompile(`\{[^}]+\}`)
		for path, item := range paths {
			for method := range item.(map[string]any) {
				m := strings.ToUpper(method)
				if !contains([]string{"GET", "POST", "PUT", "PATCH", "DELETE"}, m) {
					continue
				}
				ops = append(ops, m+" "+path)
				// The operational routes (/healthz, /readyz, /metrics) live outside /api/v3 and
				// have tests of their own.
				if !strings.HasPrefix(path, "/api/v3/") || strings.HasPrefix(path, "/api/v3/openapi") {
					continue
				}
				concrete := param.ReplaceAllString(strings.TrimPrefix(path, "/api/v3"), "000000000000000000000000")
				got := e.owner(m, concrete, "{}")
				if code := got.str("failedCode"); code == "req-033" || code == "req-046" {
					t.Errorf("%s %s is documented but not routed: %s", m, path, got.Raw)
				}
			}
		}
		sort.Strings(ops)
		for _, want := range []string{"GET /api/v3/tasks", "POST /api/v3/task", "GET /api/v3/hubs", "PUT /api/v3/tasks/bulk/move"} {
			if !contains(ops, want) {
				t.Errorf("document lacks %s", want)
			}
		}
		if len(ops) < 30 {
			t.Errorf("only %d operations documented", len(ops))
		}
	})
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
