package httpapi

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fieldwork-dev/fieldwork"
	"github.com/fieldwork-dev/fieldwork/internal/testdb"
)

// The fuzz targets drive the real handler in process with hostile input. The invariant is
// the same for all: never a panic, never a 5xx, and every refusal is the error envelope with
// a failedCode. Their seeds run in the normal suite; fuzz one with e.g.
// `go test ./httpapi -run '^$' -fuzz FuzzTaskBody -fuzztime 5m`.

const everyKindFlow = `{"name": "Everything", "pages": [
 {"id": "page0", "components": [
  {"component": "input", "id": "text", "title": "Text", "required": true, "showAs": "title"},
  {"component": "input", "id": "num", "title": "Num", "type": "Numeric"},
  {"component": "input", "id": "money", "title": "Money", "type": "Currency"},
  {"component": "input", "id": "day", "title": "Day", "type": "Date"},
  {"component": "input", "id": "when", "title": "When", "type": "Datetime"},
  {"component": "input", "id": "clock", "title": "Clock", "type": "Time"},
  {"component": "input", "id": "geo", "title": "Geo", "type": "Geolocation"},
  {"component": "input", "id": "site", "title": "Site", "type": "URL"},
  {"component": "input", "id": "phone", "title": "Phone", "type": "PhoneNumber"},
  {"component": "select", "id": "size", "title": "Size", "options": ["S", "M", "L"], "min": 1, "max": 2},
  {"component": "view", "id": "info", "title": "Info"},
  {"component": "bill", "id": "bill", "title": "Bill"},
  {"component": "list", "id": "items", "title": "Items"},
  {"component": "timer", "id": "timer", "title": "Timer"},
  {"component": "voice", "id": "voice", "title": "Voice"},
  {"component": "capture", "id": "capture", "title": "Capture"}]},
 {"id": "page1", "components": [
  {"component": "photo", "id": "proof", "title": "Proof", "required": true, "max": 3},
  {"component": "signature", "id": "sign", "title": "Sign"}]}]}`

// fuzzEnv is one server on a fresh SQLite store with a hub, the every-kind flow, a workflow
// over it and the Owner's token.
type fuzzEnv struct {
	srv              *Server
	token            string
	hubID, flowID    string
	workflowID, task string
}

func newFuzzEnv(t testing.TB) *fuzzEnv {
	st := testdb.Open(t, testdb.SQLite)
	svc := fieldwork.NewService(st)
	_, _, token, err := svc.CreateOrganization(context.Background(), "Fuzz", "owner@fuzz.test", "")
	if err != nil {
		t.Fatal(err)
	}
	e := &fuzzEnv{srv: NewServer(svc, quiet, ""), token: token}
	e.srv.SetRateLimit(0, 1)
	hub := e.call(t, "POST", "/api/v3/hub", `{"name": "H", "address": "a", "lat": 1, "lng": 2}`)
	e.hubID = hub["data"].(map[string]any)["_id"].(string)
	flow := e.call(t, "POST", "/api/v3/flow", everyKindFlow)
	e.flowID = flow["flow"].(map[string]any)["_id"].(string)
	wf := e.call(t, "POST", "/api/v3/internal/workflows", `{"name": "Fuzz job", "steps": [{"flowId": "`+e.flowID+`"}]}`)
	e.workflowID = wf["data"].(map[string]any)["_id"].(string)
	task := e.call(t, "POST", "/api/v3/task", `{"flow": "Everything", "hubId": "`+e.hubID+`", "text": "x", "assignee": "owner@fuzz.test"}`)
	e.task = task["task"].(map[string]any)["_id"].(string)
	return e
}

// call sends a request that must succeed and returns its decoded answer.
func (e *fuzzEnv) call(t testing.TB, method, path, body string) map[string]any {
	t.Helper()
	rec := e.serve(method, path, body)
	if rec.Code >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
	}
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func (e *fuzzEnv) serve(method, target, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "http://fuzz.test/", strings.NewReader(body))
	req.URL.RawQuery = ""
	path, query, _ := strings.Cut(target, "?")
	req.URL.Path, req.URL.RawQuery = path, query
	req.RequestURI = target
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	return rec
}

// checkAnswer enforces the invariant on one answer.
func checkAnswer(t *testing.T, rec *httptest.ResponseRecorder, input string) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("status %d for input %q: %s", rec.Code, input, rec.Body)
	}
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("answer is not a JSON object for input %q: %s", input, rec.Body)
	}
	if rec.Code >= 400 {
		if fc, _ := m["failedCode"].(string); fc == "" || m["status"] != false || m["message"] == "" {
			t.Fatalf("refusal without the error envelope for input %q: %s", input, rec.Body)
		}
	}
}

func FuzzTaskBody(f *testing.F) {
	for _, seed := range []string{
		`{"flow": "Everything", "hubId": "HUB", "text": "a", "num": "1.5", "money": 3, "day": "2026-01-02", "when": "2026-01-02 03:04:05", "clock": "09:30", "geo": "-6.2,106.8", "site": "https://x.test", "phone": "+62 (21) 555", "size": ["S", "M"], "bill": {"a": [1, 2]}}`,
		`{"flow": "Everything", "hubId": "HUB", "text": "", "num": "x", "size": ["XL"], "info": "no"}`,
		`{"flowId": "nope", "hubId": 5, "assignee": [1, 2], "startTime": "2026-13-01T00:00:00Z"}`,
		`{"flow": "Everything", "hubId": "HUB", "text": "a", "endTime": "1999-01-01 00:00:00", "orderIndex": 1e309}`,
		`{"flow": "Everything", "hubId": "HUB", "text": "a", "geo": "91,0", "when": "2026-01-02T03:04:05.123456789+14:00", "taskType": "activityChild"}`,
		`[]`, `{`, `{"text": "\ud800"}`, `{"flow": "Everything", "hubId": "HUB", "text": "a", "size": "S", "clock": "25:00"}`,
	} {
		f.Add(seed)
	}
	e := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, body string) {
		body = strings.ReplaceAll(body, "HUB", e.hubID)
		checkAnswer(t, e.serve("POST", "/api/v3/task", body), body)
		checkAnswer(t, e.serve("PATCH", "/api/v3/task/"+e.task, body), body)
		checkAnswer(t, e.serve("POST", "/api/v3/task/"+e.task+"/done", body), body)
	})
}

func FuzzTaskQuery(f *testing.F) {
	for _, seed := range []string{
		"status=ONGOING,DONE&sortBy=startTime&sortOrder=asc&limit=5",
		"lazyLoad=1&cursor=000000000000000000000000",
		"timeBy=doneTime&timeFrom=2026-01-01T00:00:00Z&timeTo=2025-01-01 00:00:00",
		"fields=_id,title,hub&page=999999999&limit=1000",
		"page=-1&limit=0&status=late&taskType=x&active=maybe",
		"q=%25_%5C&assignee=A@B.test&doneBy=owner&parentId=&workflowId=x",
		"cursor=zzz&sortBy=orderIndex&sortOrder=DESC",
	} {
		f.Add(seed)
	}
	e := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, query string) {
		if strings.ContainsAny(query, " #\r\n") {
			return // not a request line a client can send
		}
		checkAnswer(t, e.serve("GET", "/api/v3/tasks?"+query, ""), query)
		checkAnswer(t, e.serve("GET", "/api/v3/activities?"+query, ""), query)
	})
}

func FuzzWorkflowBody(f *testing.F) {
	for _, seed := range []string{
		`{"name": "Two", "steps": [{"flowId": "FLOW", "statusMapping": "Done", "fieldMappings": [{"targetField": "text", "sourceType": "manual", "sourceField": "x"}]}]}`,
		`{"name": "x", "steps": []}`,
		`{"name": "Bad maps", "steps": [{"flowId": "FLOW", "fieldMappings": [{"targetField": "num", "sourceType": "step", "sourceStep": 3, "sourceField": "$A.b.c"}]}], "customStatuses": [{"name": "Done"}, {"name": ""}]}`,
		`{"name": "Types", "steps": "no", "sequential": "yes", "customStatuses": {}}`,
		`{"name": "Assignee", "steps": [{"flowId": "FLOW", "assigneeId": 5}]}`,
	} {
		f.Add(seed)
	}
	e := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, body string) {
		body = strings.ReplaceAll(body, "FLOW", e.flowID)
		checkAnswer(t, e.serve("POST", "/api/v3/internal/workflows", body), body)
		checkAnswer(t, e.serve("PUT", "/api/v3/workflow/"+e.workflowID, body), body)
		checkAnswer(t, e.serve("POST", "/api/v3/workflow/"+e.workflowID+"/steps/0/validate-field-mappings", body), body)
	})
}

func FuzzActivityBody(f *testing.F) {
	for _, seed := range []string{
		`{"workflowId": "WF", "hubId": "HUB", "tasks": [{"text": "a", "assignee": "owner@fuzz.test"}]}`,
		`{"workflowId": "WF", "tasks": [{"text": "a"}, {"text": "b"}]}`,
		`{"workflowId": "WF", "hubId": "HUB", "tasks": [{"text": "a", "parentId": "x", "flow": "Other", "size": [1]}]}`,
		`{"workflowId": 5, "tasks": null}`,
		`{"activities": [{"workflowId": "WF", "hubId": "HUB", "tasks": [{}]}, 7]}`,
	} {
		f.Add(seed)
	}
	e := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, body string) {
		body = strings.NewReplacer("WF", e.workflowID, "HUB", e.hubID).Replace(body)
		checkAnswer(t, e.serve("POST", "/api/v3/activity", body), body)
		checkAnswer(t, e.serve("POST", "/api/v3/activities/bulk", body), body)
	})
}
