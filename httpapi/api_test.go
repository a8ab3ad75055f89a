package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fieldwork-dev/fieldwork"
	"github.com/fieldwork-dev/fieldwork/httpapi"
	"github.com/fieldwork-dev/fieldwork/internal/testdb"
)

// env is a running API on a fresh store with one organization whose Owner token is Token.
type env struct {
	t       *testing.T
	URL     string
	Token   string
	Service *fieldwork.Service
	OrgID   string
}

// eachEngine runs fn once per storage engine, as the subtests t/sqlite and t/postgres, so that
// every API test runs unchanged on every engine. Every top-level test wraps its body in it.
func eachEngine(t *testing.T, fn func(t *testing.T)) {
	t.Helper()
	for _, engine := range testdb.Engines() {
		t.Run(engine, fn)
	}
}

// engineOf returns the engine of a test run inside eachEngine: the name of the subtest
// directly under the top-level test.
func engineOf(t *testing.T) string {
	t.Helper()
	parts := strings.Split(t.Name(), "/")
	if len(parts) < 2 || !slices.Contains(testdb.Engines(), parts[1]) {
		t.Fatalf("newEnv called outside eachEngine (test %s): wrap the test's body in eachEngine(t, func(t *testing.T) { ... })", t.Name())
	}
	return parts[1]
}

// newEnv starts the real HTTP server on a fresh store of the test's engine (see eachEngine).
func newEnv(t *testing.T) *env {
	t.Helper()
	st := testdb.Open(t, engineOf(t))
	svc := fieldwork.NewService(st)
	org, _, secret, err := svc.CreateOrganization(context.Background(), "Acme", "owner@acme.test", "")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.NewServer(svc, slog.New(slog.NewTextHandler(io.Discard, nil)), ""))
	t.Cleanup(srv.Close)
	return &env{t: t, URL: srv.URL, Token: secret, Service: svc, OrgID: org.ID}
}

// resp is a decoded answer.
type resp struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

// str returns a top-level string key ("" when absent).
func (r resp) str(key string) string { s, _ := r.Body[key].(string); return s }

// obj returns a nested object by keys.
func (r resp) obj(keys ...string) map[string]any {
	m := r.Body
	for _, k := range keys {
		m, _ = m[k].(map[string]any)
	}
	return m
}

// do sends a request with the given token (none when empty); body may be a string, []byte or
// any value to encode.
func (e *env) do(method, path, token string, body any, headers ...string) resp {
	e.t.Helper()
	var rdr io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rdr = strings.NewReader(b)
	case []byte:
		rdr = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rdr = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, e.URL+"/api/v3"+path, rdr)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := resp{Status: res.StatusCode, Header: res.Header, Raw: raw}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.Body); err != nil {
			e.t.Fatalf("%s %s: answer is not a JSON object: %v\n%s", method, path, err, raw)
		}
	}
	if res.StatusCode >= 500 {
		e.t.Errorf("%s %s: status %d: %s", method, path, res.StatusCode, raw)
	}
	checkContract(e.t, req, res, raw)
	return r
}

// owner sends a request as the organization's Owner.
func (e *env) owner(method, path string, body any, headers ...string) resp {
	e.t.Helper()
	return e.do(method, path, e.Token, body, headers...)
}

// must checks the status of r and returns r.
func (e *env) must(r resp, status int) resp {
	e.t.Helper()
	if r.Status != status {
		e.t.Fatalf("status %d, want %d: %s", r.Status, status, r.Raw)
	}
	return r
}

// apiCase is one row of an endpoint table: request, wanted status and failedCode.
type apiCase struct {
	name       string
	method     string
	path       string
	token      string // "" = the Owner's; "-" = none
	body       any
	headers    []string
	status     int
	failedCode string
}

// run executes a table of cases against e.
func (e *env) run(t *testing.T, cases []apiCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok := tc.token
			switch tok {
			case "":
				tok = e.Token
			case "-":
				tok = ""
			}
			sub := *e
			sub.t = t
			r := sub.do(tc.method, tc.path, tok, tc.body, tc.headers...)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Raw)
			}
			if got := r.str("failedCode"); got != tc.failedCode {
				t.Fatalf("failedCode %q, want %q: %s", got, tc.failedCode, r.Raw)
			}
			if tc.status >= 400 {
				checkErrorEnvelope(t, r)
			}
		})
	}
}

// checkErrorEnvelope checks the shape of an error answer (SPEC §1.2).
func checkErrorEnvelope(t *testing.T, r resp) {
	t.Helper()
	if r.Body["status"] != false || r.Body["code"] != float64(r.Status) || r.str("message") == "" {
		t.Fatalf("bad error envelope: %s", r.Raw)
	}
	errs, hasErrs := r.Body["errors"].([]any)
	fes, hasFE := r.Body["fieldErrors"].([]any)
	if hasErrs != hasFE || len(errs) != len(fes) {
		t.Fatalf("errors and fieldErrors disagree: %s", r.Raw)
	}
	for i, e := range errs {
		fe := fes[i].(map[string]any)
		if want := fe["field"].(string) + ": " + fe["message"].(string); e != want {
			t.Fatalf("errors[%d] = %q, want %q", i, e, want)
		}
	}
}

// seedUser creates a user of the given role (and hub restriction) straight in the store and
// returns it with a token.
func (e *env) seedUser(email, role string, hubIDs ...string) (*fieldwork.User, string) {
	e.t.Helper()
	ctx := context.Background()
	now := time.Now()
	secret := fieldwork.NewTokenSecret()
	if hubIDs == nil {
		hubIDs = []string{}
	}
	var u *fieldwork.User
	err := e.Service.Store.Update(ctx, e.OrgID, func(tx fieldwork.Tx) error {
		roles, err := tx.FindRoles(ctx)
		if err != nil {
			return err
		}
		for _, r := range roles {
			if r.Name == role {
				u = &fieldwork.User{ID: fieldwork.NewID(now), OrganizationID: e.OrgID, Name: strings.Split(email, "@")[0],
					Email: email, Language: "en", Status: fieldwork.UserActive, RoleID: r.ID,
					Role:  fieldwork.RoleRef{ID: r.ID, Name: r.Name, IsAdmin: r.IsAdmin, IsDefault: true},
					HubID: hubIDs, TeamID: []string{}, Version: 1, CreatedTime: fieldwork.NewTime(now), UpdatedTime: fieldwork.NewTime(now)}
			}
		}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		return tx.CreateToken(ctx, &fieldwork.Token{ID: fieldwork.NewID(now), OrganizationID: e.OrgID, UserID: u.ID,
			Name: "test", Hash: fieldwork.HashToken(secret), CreatedTime: fieldwork.NewMicroTime(now)})
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return u, secret
}

// seedFlow validates and stores a flow given as JSON, straight in the store.
func (e *env) seedFlow(doc string) *fieldwork.Flow {
	e.t.Helper()
	var f fieldwork.Flow
	if err := json.Unmarshal([]byte(doc), &f); err != nil {
		e.t.Fatal(err)
	}
	if err := fieldwork.ValidateFlow(&f); err != nil {
		e.t.Fatal(err)
	}
	now := time.Now()
	f.ID, f.OrganizationID, f.Version = fieldwork.NewID(now), e.OrgID, 1
	f.CreatedTime, f.UpdatedTime = fieldwork.NewMicroTime(now), fieldwork.NewMicroTime(now)
	if err := e.Service.Store.Update(context.Background(), e.OrgID, func(tx fieldwork.Tx) error {
		return tx.CreateFlow(context.Background(), &f)
	}); err != nil {
		e.t.Fatal(err)
	}
	return &f
}

// seedHub creates a hub through the API and returns its id.
func (e *env) seedHub(name string) string {
	e.t.Helper()
	r := e.must(e.owner("POST", "/hub", map[string]any{"name": name, "address": "Somewhere 1", "lat": -6.2, "lng": 106.8}), 200)
	return r.obj("data")["_id"].(string)
}
