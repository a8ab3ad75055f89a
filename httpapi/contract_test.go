package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/fieldwork-dev/fieldwork"
	"github.com/fieldwork-dev/fieldwork/httpapi"
)

// The contract: every answer an API test receives through env.do is validated against the
// OpenAPI document the server serves, so the document and the behaviour cannot drift apart.
//
// The document is validated in huma's OpenAPI 3.0 form (served at /api/v3/openapi-3.0.json,
// made mechanically from the 3.1 document: `type: [T, "null"]` becomes `nullable: true`).
// kin-openapi validates a 3.1 document by compiling a JSON Schema 2020-12 validator for every
// response and, for schemas like ours that only use 3.0 keywords, then falls back to the same
// 3.0 validator anyway; the 3.0 form gives the same verdicts without a compile per answer.
const contractDocument = "/api/v3/openapi-3.0.json"

// contract is the loaded document, its router and what was validated against it.
type contract struct {
	doc       *openapi3.T
	router    routers.Router
	errorBody *openapi3.Schema

	mu        sync.Mutex
	validated int            // answers validated
	seen      map[string]int // "METHOD /path status" → answers validated
}

// theContract loads and compiles the served document once per test binary.
var theContract = sync.OnceValues(func() (*contract, error) {
	srv := httpapi.NewServer(fieldwork.NewService(nil), slog.New(slog.DiscardHandler), "")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", contractDocument, nil))
	if rec.Code != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d %s", contractDocument, rec.Code, rec.Body)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(rec.Body.Bytes())
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", contractDocument, err)
	}
	// A schema without a type ({}: json.RawMessage, any) admits every value, null included, in
	// OpenAPI 3.1; its 3.0 form needs `nullable: true` to say so.
	for _, s := range doc.Components.Schemas {
		allowNullInAny(s, map[*openapi3.Schema]bool{})
	}
	router, err := legacy.NewRouter(doc) // validates the document too
	if err != nil {
		return nil, err
	}
	eb := doc.Components.Schemas["ErrorBody"]
	if eb == nil || eb.Value == nil {
		return nil, errors.New("the document has no ErrorBody component schema")
	}
	return &contract{doc: doc, router: router, errorBody: eb.Value, seen: map[string]int{}}, nil
})

// checkContract validates one answer of the API (status, headers, body) against the document;
// a disagreement fails the test that received it.
func checkContract(t *testing.T, req *http.Request, res *http.Response, raw []byte) {
	t.Helper()
	c, err := theContract()
	if err != nil {
		t.Fatalf("OpenAPI contract: %v", err)
	}
	if err := c.validate(req, res.StatusCode, res.Header, raw); err != nil {
		t.Errorf("%s %s → %d disagrees with the OpenAPI document: %v\nbody: %.2000s", req.Method, req.URL.RequestURI(), res.StatusCode, err, raw)
	}
}

// validate checks an answer to req. A request that matches no documented operation must have
// been answered by the router itself (unknown path 404, wrong method 405, or an unacceptable
// Accept 406, which is checked before routing) with the ErrorBody envelope; any other answer
// means the server serves a route the document lacks.
func (c *contract) validate(req *http.Request, status int, header http.Header, raw []byte) error {
	// Route as the server does: one trailing slash is ignored (SPEC §1.1).
	r := req.Clone(context.Background())
	if p := r.URL.Path; len(p) > 1 && strings.HasSuffix(p, "/") {
		r.URL.Path = strings.TrimSuffix(p, "/")
		r.URL.RawPath = ""
	}
	route, params, err := c.router.FindRoute(r)
	if err != nil {
		var re *routers.RouteError
		if !errors.As(err, &re) {
			return err
		}
		if status != http.StatusNotFound && status != http.StatusMethodNotAllowed && status != http.StatusNotAcceptable {
			return fmt.Errorf("the server answered a route the document lacks (%v)", err)
		}
		var body any
		if err := json.Unmarshal(raw, &body); err != nil {
			return fmt.Errorf("unrouted answer is not JSON: %w", err)
		}
		if err := c.errorBody.VisitJSON(body, openapi3.MultiErrors()); err != nil {
			return fmt.Errorf("unrouted answer is not the ErrorBody envelope: %w", err)
		}
		c.count(fmt.Sprintf("(unrouted) %d", status))
		return nil
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(raw)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return err
	}
	// A request the server accepted must be one the document describes (bulk answers with
	// failed items accepted a body that is partly invalid, by design).
	if status < 300 && !failedItems(raw) {
		rq := r.Clone(context.Background())
		if req.GetBody != nil {
			rq.Body, _ = req.GetBody()
		}
		if rq.Header.Get("Content-Type") == "" {
			rq.Header.Set("Content-Type", "application/json") // none given = JSON (SPEC §1.1)
		}
		rin := &openapi3filter.RequestValidationInput{Request: rq, PathParams: params, Route: route,
			Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		if err := openapi3filter.ValidateRequest(context.Background(), rin); err != nil {
			return fmt.Errorf("accepted request disagrees: %w", err)
		}
	}
	c.count(fmt.Sprintf("%s %s %d", route.Method, route.Path, status))
	return nil
}

func (c *contract) count(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.validated++
	c.seen[key]++
}

// allowNullInAny marks every type-less schema under ref nullable.
func allowNullInAny(ref *openapi3.SchemaRef, seen map[*openapi3.Schema]bool) {
	if ref == nil || ref.Value == nil || seen[ref.Value] {
		return
	}
	s := ref.Value
	seen[s] = true
	if ref.Ref == "" && (s.Type == nil || len(*s.Type) == 0) && len(s.AllOf)+len(s.AnyOf)+len(s.OneOf) == 0 {
		s.Nullable = true
	}
	for _, p := range s.Properties {
		allowNullInAny(p, seen)
	}
	allowNullInAny(s.Items, seen)
	allowNullInAny(s.AdditionalProperties.Schema, seen)
	for _, x := range append(append(append([]*openapi3.SchemaRef{}, s.AllOf...), s.AnyOf...), s.OneOf...) {
		allowNullInAny(x, seen)
	}
}

// TestMain runs the package's tests, then reports how many answers were validated against the
// document (with -v, how many per operation and status). When the whole package ran and
// passed, it also fails if a documented /api/v3 operation never gave a validated success
// answer: each one must be exercised through env.do, or its document is checked by nothing.
func TestMain(m *testing.M) {
	code := m.Run()
	c, err := theContract()
	if err != nil || c.validated == 0 {
		os.Exit(code)
	}
	fmt.Printf("contract: %d answers validated against %s (%d operation/status pairs)\n", c.validated, contractDocument, len(c.seen))
	if testing.Verbose() {
		keys := make([]string, 0, len(c.seen))
		for k := range c.seen {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Printf("contract: %6d  %s\n", c.seen[k], k)
		}
	}
	if code == 0 && wholePackage() {
		if missing := c.untested(); len(missing) > 0 {
			fmt.Printf("contract: no test got a success answer from %s; test them through env.do\n", strings.Join(missing, ", "))
			code = 1
		}
	}
	os.Exit(code)
}

// wholePackage reports whether no -run or -skip filter limited the tests.
func wholePackage() bool {
	for _, name := range []string{"test.run", "test.skip"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return false
		}
	}
	return true
}

// untested lists the documented /api/v3 operations answering JSON that no test got a 2xx from.
func (c *contract) untested() []string {
	var missing []string
	for path, item := range c.doc.Paths.Map() {
		if !strings.HasPrefix(path, "/api/v3/") {
			continue // the operational routes are outside env.do's reach and have tests of their own
		}
		for method, op := range item.Operations() {
			isJSON, tested := false, false
			for status, r := range op.Responses.Map() {
				if !strings.HasPrefix(status, "2") {
					continue
				}
				for ct := range r.Value.Content {
					isJSON = isJSON || strings.HasSuffix(ct, "json")
				}
				tested = tested || c.seen[method+" "+path+" "+status] > 0
			}
			if isJSON && !tested {
				missing = append(missing, method+" "+path)
			}
		}
	}
	sort.Strings(missing)
	return missing
}

// failedItems reports whether a bulk answer lists failed items.
func failedItems(raw []byte) bool {
	var b struct{ Failed int }
	return json.Unmarshal(raw, &b) == nil && b.Failed > 0
}
