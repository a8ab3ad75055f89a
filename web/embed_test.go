package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestConsoleRoutes checks how the server answers the console's paths and its neighbours:
// the console needs no token, and its two patterns leave every other path a JSON 404 or 405.
func TestConsoleRoutes(t *testing.T) {
	s := startServer(t)
	for _, tt := range []struct {
		name, method, path string
		status             int
		contentType        string // prefix
		failedCode         string // of a JSON error answer
		body               string // substring
	}{
		{"page", "GET", "/", 200, "text/html", "", `<script type="module" src="/console/app.js">`},
		{"page HEAD", "HEAD", "/", 200, "text/html", "", ""},
		{"script", "GET", "/console/app.js", 200, "text/javascript", "", "hashchange"},
		{"module", "GET", "/console/tasks.js", 200, "text/javascript", "", "export async function tasksPage"},
		{"style", "GET", "/console/style.css", 200, "text/css", "", ":focus-visible"},
		{"unknown console file", "GET", "/console/nope.js", 404, "text/plain", "", ""},
		{"index under /console", "GET", "/console/index.html", 404, "text/plain", "", ""},
		{"console folder", "GET", "/console/", 404, "application/json", "req-033", ""},
		{"nested console path", "GET", "/console/a/b.js", 404, "application/json", "req-033", ""},
		{"unknown page", "GET", "/tasks", 404, "application/json", "req-033", ""},
		{"unknown API path", "GET", "/api/v3/nope", 404, "application/json", "req-033", ""},
		{"API without token", "GET", "/api/v3/tasks", 401, "application/json", "auth-001", ""},
		{"POST to the page", "POST", "/", 405, "application/json", "req-046", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, s.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			raw, _ := io.ReadAll(res.Body)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tt.status, raw)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, tt.contentType) {
				t.Errorf("Content-Type %q, want %s…", ct, tt.contentType)
			}
			if tt.failedCode != "" {
				var e struct{ FailedCode string }
				if err := json.Unmarshal(raw, &e); err != nil || e.FailedCode != tt.failedCode {
					t.Errorf("failedCode %q, want %q: %s", e.FailedCode, tt.failedCode, raw)
				}
			}
			if !strings.Contains(string(raw), tt.body) {
				t.Errorf("body lacks %q", tt.body)
			}
			if tt.status == 200 {
				if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
					t.Errorf("Content-Security-Policy %q", csp)
				}
				if res.Header.Get("ETag") == "" {
					t.Error("no ETag")
				}
			}
		})
	}
}

// TestConsoleRevalidation checks that an unchanged file is answered 304 to its ETag.
func TestConsoleRevalidation(t *testing.T) {
	s := startServer(t)
	res, err := http.Get(s.URL + "/console/app.js")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	req, _ := http.NewRequest("GET", s.URL+"/console/app.js", nil)
	req.Header.Set("If-None-Match", res.Header.Get("ETag"))
	res2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res2.Body.Close()
	if res2.StatusCode != http.StatusNotModified {
		t.Fatalf("status %d, want 304", res2.StatusCode)
	}
}
