package httpapi_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/fieldwork-dev/fieldwork"
	"github.com/fieldwork-dev/fieldwork/httpapi"
)

// documentedOps lists "METHOD /path" of every operation of a document.
func documentedOps(t *testing.T, doc *openapi3.T) []string {
	t.Helper()
	var ops []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			ops = append(ops, method+" "+path)
		}
	}
	sort.Strings(ops)
	return ops
}

// served loads the OpenAPI 3.1 document as /api/v3/openapi.json serves it.
func served(t *testing.T, e *env) (*openapi3.T, resp) {
	t.Helper()
	r := e.must(e.do("GET", "/openapi.json", "", nil), 200)
	doc, err := openapi3.NewLoader().LoadFromData(r.Raw)
	if err != nil {
		t.Fatalf("loading the document: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the document is no valid OpenAPI document: %v", err)
	}
	return doc, r
}

// TestOpenAPIDocument checks that /api/v3/openapi.json is served without a token as a valid
// OpenAPI 3.1 document with the bearer and x-api-key schemes, that it lists exactly the routes
// the server registers (both directions), and that every /api/v3 operation it lists is a live
// route (not 404/405).
func TestOpenAPIDocument(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		e := newEnv(t)
		doc, r := served(t, e)
		if r.str("openapi") != "3.1.0" {
			t.Fatalf("openapi = %q", r.str("openapi"))
		}
		schemes := r.obj("components", "securitySchemes")
		if schemes["bearer"] == nil || schemes["apiKey"] == nil {
			t.Fatalf("security schemes: %v", schemes)
		}
		if got := r.Body["security"]; len(got.([]any)) != 2 {
			t.Fatalf("document security: %v", got)
		}

		// Both directions: what the server registers is documented, and nothing else is.
		ops := documentedOps(t, doc)
		routes := httpapi.NewServer(fieldwork.NewService(nil), slog.New(slog.DiscardHandler), "").Routes()
		for _, route := range routes {
			if !slices.Contains(ops, route) {
				t.Errorf("the server registers %s, which the document lacks", route)
			}
		}
		for _, op := range ops {
			if !slices.Contains(routes, op) {
				t.Errorf("the document lists %s, which the server does not register", op)
			}
		}
		for _, want := range []string{"GET /api/v3/tasks", "POST /api/v3/task", "GET /api/v3/hubs", "PUT /api/v3/tasks/bulk/move",
			"GET /api/v3/openapi.json", "GET /healthz"} {
			if !slices.Contains(ops, want) {
				t.Errorf("document lacks %s", want)
			}
		}
		if len(ops) < 60 {
			t.Errorf("only %d operations documented", len(ops))
		}

		// Every documented /api/v3 operation is routed: a probe with a well-formed but unknown id
		// never meets the router's own 404 (req-033) or 405 (req-046).
		param := regexp.MustCompile(`\{[^}]+\}`)
		for _, op := range ops {
			method, path, _ := strings.Cut(op, " ")
			if !strings.HasPrefix(path, "/api/v3/") || strings.HasPrefix(path, "/api/v3/openapi") {
				continue // the operational routes and the document have tests of their own
			}
			concrete := param.ReplaceAllString(strings.TrimPrefix(path, "/api/v3"), "000000000000000000000000")
			got := e.owner(method, concrete, "{}")
			if code := got.str("failedCode"); code == "req-033" || code == "req-046" {
				t.Errorf("%s is documented but not routed: %s", op, got.Raw)
			}
		}

		// The other forms of the document.
		if v := e.must(e.do("GET", "/openapi-3.0.json", "", nil), 200).str("openapi"); v != "3.0.3" {
			t.Errorf("openapi-3.0.json: openapi = %q", v)
		}
		for _, tc := range []struct{ path, contentType, version string }{
			{"/openapi.yaml", "application/openapi+yaml", "openapi: 3.1.0"},
			{"/openapi-3.0.yaml", "application/openapi+yaml", "openapi: 3.0.3"},
		} {
			res, err := http.Get(e.URL + "/api/v3" + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 || res.Header.Get("Content-Type") != tc.contentType || !strings.Contains(string(body), tc.version) {
				t.Errorf("GET %s: %d %s %.100s", tc.path, res.StatusCode, res.Header.Get("Content-Type"), body)
			}
		}
	})
}

// TestOpenAPIOperations checks what every operation of the document must say: a request body
// schema (JSON only) where the handler reads one, a success answer with a schema, and its error
// answers as references to the shared responses, whose body is the ErrorBody envelope.
func TestOpenAPIOperations(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		e := newEnv(t)
		doc, _ := served(t, e)
		if doc.Components.Schemas["ErrorBody"] == nil {
			t.Fatal("no ErrorBody component schema")
		}
		for name, ref := range doc.Components.Responses {
			if s := ref.Value.Content.Get("application/json"); s == nil || s.Schema.Ref != "#/components/schemas/ErrorBody" {
				t.Errorf("response component %s is not the ErrorBody envelope", name)
			}
		}
		// Every status an error can have (SPEC §1, §11) has its shared response.
		for _, status := range []int{400, 401, 403, 404, 406, 409, 412, 413, 429, 500} {
			if doc.Components.Responses[strings.ReplaceAll(http.StatusText(status), " ", "")] == nil {
				t.Errorf("no response component for %d", status)
			}
		}
		for path, item := range doc.Paths.Map() {
			for method, op := range item.Operations() {
				name := method + " " + path
				secured := op.Security == nil
				api := strings.HasPrefix(path, "/api/v3/")
				if op.OperationID == "" || len(op.Tags) == 0 {
					t.Errorf("%s: no operationId or tag", name)
				}
				if op.RequestBody != nil {
					content := op.RequestBody.Value.Content
					if len(content) != 1 || content.Get("application/json") == nil || content.Get("application/json").Schema == nil {
						t.Errorf("%s: request body is not JSON only: %v", name, mediaTypes(content))
					}
				} else if method == "POST" || method == "PUT" || method == "PATCH" {
					t.Errorf("%s: no request body documented", name)
				}
				success := 0
				for status, ref := range op.Responses.Map() {
					if strings.HasPrefix(status, "2") {
						success++
						if len(ref.Value.Content) == 0 {
							t.Errorf("%s %s: no content", name, status)
						}
						for ct, mt := range ref.Value.Content {
							if mt.Schema == nil || (mt.Schema.Ref == "" && mt.Schema.Value.Type == nil) {
								t.Errorf("%s %s %s: no schema", name, status, ct)
							}
						}
						continue
					}
					if !strings.HasPrefix(ref.Ref, "#/components/responses/") && name+" "+status != "GET /readyz 503" {
						t.Errorf("%s %s: error answer is not a shared response", name, status)
					}
				}
				if success != 1 {
					t.Errorf("%s: %d success answers", name, success)
				}
				want := []int{500}
				if secured {
					want = append(want, 401, 429)
				}
				if api {
					want = append(want, 406)
				}
				if op.RequestBody != nil {
					want = append(want, 400, 413)
				}
				if strings.Contains(path, "{") {
					want = append(want, 404)
				}
				for _, status := range want {
					if op.Responses.Status(status) == nil {
						t.Errorf("%s: no %d answer", name, status)
					}
				}
			}
		}
	})
}

func mediaTypes(m openapi3.Content) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func contains(list []string, v string) bool { return slices.Contains(list, v) }
