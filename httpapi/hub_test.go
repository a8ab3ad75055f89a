package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestHubs(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		e := newEnv(t)
		h := e.must(e.owner("POST", "/hub", map[string]any{"name": "Jakarta", "address": "Jl. Sudirman 1", "lat": "-6.2", "lng": 106.8}), 200)
		id := h.obj("data")["_id"].(string)
		if h.obj("data")["lat"] != -6.2 || h.obj("data")["timezone"] != "UTC" || h.obj("data")["deleteAccess"] != true {
			t.Fatalf("bad hub: %s", h.Raw)
		}
		e.run(t, []apiCase{
			{"list", "GET", "/hubs", "", nil, nil, 200, ""},
			{"list trailing slash", "GET", "/hubs/", "", nil, nil, 200, ""},
			{"list bad limit", "GET", "/hubs?limit=1001", "", nil, nil, 400, "hub-032"},
			{"list bad sort", "GET", "/hubs?sortBy=nope", "", nil, nil, 400, "hub-032"},
			{"no token", "GET", "/hubs", "-", nil, nil, 401, "auth-001"},
			{"bad token", "GET", "/hubs", "nope", nil, nil, 401, "auth-001"},
			{"read", "GET", "/hub/" + id, "", nil, nil, 200, ""},
			{"read trailing slash", "GET", "/hub/" + id + "/", "", nil, nil, 200, ""},
			{"read malformed id", "GET", "/hub/xyz", "", nil, nil, 404, "hub-033"},
			{"read unknown id", "GET", "/hub/000000000000000000000000", "", nil, nil, 404, "hub-033"},
			{"create missing fields", "POST", "/hub", "", map[string]any{"name": "X"}, nil, 400, "hub-032"},
			{"create duplicate name", "POST", "/hub", "", map[string]any{"name": "JAKARTA", "address": "a", "lat": 1, "lng": 1}, nil, 400, "hub-034"},
			{"create lat out of range", "POST", "/hub", "", map[string]any{"name": "N", "address": "a", "lat": 91, "lng": 1}, nil, 400, "hub-038"},
			{"create lng out of range", "POST", "/hub", "", map[string]any{"name": "N", "address": "a", "lat": 1, "lng": -181}, nil, 400, "hub-038"},
			{"create lat not numeric", "POST", "/hub", "", map[string]any{"name": "N", "address": "a", "lat": "x", "lng": 1}, nil, 400, "hub-032"},
			{"create wrong type", "POST", "/hub", "", map[string]any{"name": 5, "address": "a", "lat": 1, "lng": 1}, nil, 400, "hub-032"},
			{"create unknown field", "POST", "/hub", "", map[string]any{"name": "N", "address": "a", "lat": 1, "lng": 1, "nope": 1}, nil, 400, "hub-032"},
			{"create bad timezone", "POST", "/hub", "", map[string]any{"name": "N", "address": "a", "lat": 1, "lng": 1, "timezone": "Mars/Base"}, nil, 400, "hub-032"},
			{"create malformed json", "POST", "/hub", "", `{"name":`, nil, 400, "req-013"},
			{"create array body", "POST", "/hub", "", `[]`, nil, 400, "req-013"},
			{"create with a NUL character", "POST", "/hub", "", `{"name": "a\u0000b", "address": "a", "lat": 1, "lng": 1}`, nil, 400, "req-013"},
			{"create too large", "POST", "/hub", "", `{"name":"` + strings.Repeat("a", 1<<20) + `"}`, nil, 413, "req-040"},
			{"put requires all", "PUT", "/hub/" + id, "", map[string]any{"name": "Y"}, nil, 400, "hub-032"},
			{"put", "PUT", "/hub/" + id, "", map[string]any{"name": "Jakarta Pusat", "address": "a", "lat": 1, "lng": 2}, nil, 200, ""},
			{"patch stale if-match", "PATCH", "/hub/" + id, "", map[string]any{"address": "b"}, []string{"If-Match", `"1"`}, 412, "etag-032"},
			{"patch if-match", "PATCH", "/hub/" + id, "", map[string]any{"address": "b"}, []string{"If-Match", `"2"`}, 200, ""},
			{"wrong method", "POST", "/hubs", "", nil, nil, 405, "req-046"},
			{"unknown route", "GET", "/nowhere", "", nil, nil, 404, "req-033"},
			{"not acceptable", "GET", "/hubs", "", nil, []string{"Accept", "text/html"}, 406, "req-047"},
			{"delete", "DELETE", "/hub/" + id, "", nil, nil, 200, ""},
			{"read deleted", "GET", "/hub/" + id, "", nil, nil, 404, "hub-033"},
		})
		r := e.owner("POST", "/hubs", nil)
		if r.Header.Get("Allow") == "" {
			t.Fatalf("405 without Allow header")
		}
		g := e.must(e.owner("POST", "/hub", map[string]any{"name": "Bandung", "address": "a", "lat": 1, "lng": 2}), http.StatusOK)
		got := e.must(e.owner("GET", "/hub/"+g.obj("data")["_id"].(string), nil), 200)
		if got.Header.Get("ETag") != `"1"` {
			t.Fatalf("ETag = %q", got.Header.Get("ETag"))
		}
	})
}
