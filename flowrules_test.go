package fieldwork

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// flowFromJSON decodes a flow body as the API would.
func flowFromJSON(t *testing.T, s string) *Flow {
	t.Helper()
	var f Flow
	if err := json.Unmarshal([]byte(s), &f); err != nil {
		t.Fatalf("decode flow: %v", err)
	}
	return &f
}

// validFlow decodes a flow body and validates it, failing the test on any problem.
func validFlow(t *testing.T, s string) *Flow {
	t.Helper()
	f := flowFromJSON(t, s)
	if err := ValidateFlow(f); err != nil {
		t.Fatalf("ValidateFlow: %v %+v", err, err.(*Error).Fields)
	}
	return f
}

// compactJSON compacts a JSON text written readably in a test table.
func compactJSON(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatalf("compact %s: %v", s, err)
	}
	return b.String()
}

// rawValues decodes a JSON object into task values.
func rawValues(t *testing.T, s string) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("decode values %s: %v", s, err)
	}
	return m
}

func TestReservedTaskKeys(t *testing.T) {
	if got := len(ReservedTaskKeys); got != 70 {
		t.Errorf("len(ReservedTaskKeys) = %d, want 70", got)
	}
	if ReservedTaskKeys[0] != "_id" || ReservedTaskKeys[39] != "Handover" ||
		ReservedTaskKeys[40] != "openTaskTime" || ReservedTaskKeys[69] != "automationRefType" {
		t.Errorf("order differs from SPEC §5.1: %v", ReservedTaskKeys)
	}
	seen := map[string]bool{}
	for _, k := range ReservedTaskKeys {
		if seen[k] {
			t.Errorf("duplicate reserved key %q", k)
		}
		seen[k] = true
	}
	for _, tt := range []struct {
		key  string
		want bool
	}{
		{"_id", true},
		{"title", true},
		{"expectedCoordinate", true},
		{"Handover", true},
		{"geoLock", true},
		{"visitGroupPriority", true},
		{"automationRefType", true},
		{"Title", false},
		{"handover", false},
		{"recipientName", false},
		{"", false},
	} {
		t.Run(tt.key, func(t *testing.T) {
			if got := IsReservedTaskKey(tt.key); got != tt.want {
				t.Errorf("IsReservedTaskKey(%q) = %v, want %v", tt.key, got, tt.want)
			}
		})
	}
}

func TestValidateFlowNormalizes(t *testing.T) {
	for _, tt := range []struct {
		name      string
		in        string
		wantName  string
		wantPages string
		wantConfs string
	}{
		{
			name:      "defaults: name trimmed, page0 enabled, empty lists",
			in:        `{"name":"  Delivery  ","pages":[{"id":"page0"},{"id":"page1","components":[]}]}`,
			wantName:  "Delivery",
			wantPages: `[{"id":"page0","enabled":true,"components":[]},{"id":"page1","components":[]}]`,
			wantConfs: `[]`,
		},
		{
			name:      "page0 enabled false kept, page1 enabled kept as sent, title kept",
			in:        `{"name":"D","pages":[{"id":"page0","title":"Start","enabled":false,"components":[]},{"id":"page1","enabled":true,"components":[]}]}`,
			wantName:  "D",
			wantPages: `[{"id":"page0","title":"Start","enabled":false,"components":[]},{"id":"page1","enabled":true,"components":[]}]`,
			wantConfs: `[]`,
		},
		{
			name:     "pages in any order, gaps allowed",
			in:       `{"name":"D","pages":[{"id":"page2","components":[]},{"id":"page0","components":[]},{"id":"page10","components":[]}]}`,
			wantName: "D",
			wantPages: `[{"id":"page2","components":[]},{"id":"page0","enabled":true,"components":[]},
				{"id":"page10","components":[]}]`,
			wantConfs: `[]`,
		},
		{
			name: "input types: default, aliases, case-insensitive",
			in: `{"name":"D","pages":[{"id":"page0","components":[
				{"component":"INPUT","id":"a","title":"A"},
				{"component":"input","id":"b","title":"B","type":"text"},
				{"component":"input","id":"c","title":"C","inputType":"NUMBER"},
				{"component":"input","id":"d","title":"D","type":"phone"},
				{"component":"input","id":"e","title":"E","type":"datetime"},
				{"component":"input","id":"f","title":"F","type":"url"},
				{"component":"input","id":"g","title":"G","type":"geoLocation"},
				{"component":"input","id":"h","title":"H","type":"CURRENCY"},
				{"component":"input","id":"i","title":"I","type":" "}]}]}`,
			wantName: "D",
			wantPages: `[{"id":"page0","enabled":true,"components":[
				{"component":"input","id":"a","title":"A","type":"String","required":false,"visible":true},
				{"component":"input","id":"b","title":"B","type":"String","required":false,"visible":true},
				{"component":"input","id":"c","title":"C","type":"Numeric","required":false,"visible":true},
				{"component":"input","id":"d","title":"D","type":"PhoneNumber","required":false,"visible":true},
				{"component":"input","id":"e","title":"E","type":"Datetime","required":false,"visible":true},
				{"component":"input","id":"f","title":"F","type":"URL","required":false,"visible":true},
				{"component":"input","id":"g","title":"G","type":"Geolocation","required":false,"visible":true},
				{"component":"input","id":"h","title":"H","type":"Currency","required":false,"visible":true},
				{"component":"input","id":"i","title":"I","type":"String","required":false,"visible":true}]}]`,
			wantConfs: `[]`,
		},
		{
			name: "view, select, list and other kinds",
			in: `{"name":"D","pages":[{"id":"page0","components":[
				{"component":"View","id":"v1","title":"V"},
				{"component":"view","id":"v2","title":"V","type":"image"},
				{"component":"view","id":"v3","title":"V","type":"address"},
				{"component":"select","id":"s1","title":"S","options":["x"]},
				{"component":"Select","id":"s2","title":"S","type":"DropDown","options":["x","y"],"min":1,"max":1},
				{"component":"list","id":"l1","title":"L"},
				{"component":"list","id":"l2","title":"L","type":"Checkbox","masterItems":[1]},
				{"component":"photo","id":"p1","title":"P","type":"camera","watermark":true},
				{"component":"Timer","id":"t1","title":"T","isRequired":true}]}]}`,
			wantName: "D",
			wantPages: `[{"id":"page0","enabled":true,"components":[
				{"component":"view","id":"v1","title":"V","type":"String","required":false,"visible":true},
				{"component":"view","id":"v2","title":"V","type":"Image","required":false,"visible":true},
				{"component":"view","id":"v3","title":"V","type":"Address","required":false,"visible":true},
				{"component":"select","id":"s1","title":"S","type":"dropdown","required":false,"visible":true,"options":["x"]},
				{"component":"select","id":"s2","title":"S","type":"dropdown","required":false,"visible":true,"options":["x","y"],"min":1,"max":1},
				{"component":"list","id":"l1","title":"L","type":"checkbox","required":false,"visible":true},
				{"component":"list","id":"l2","title":"L","type":"checkbox","required":false,"visible":true,"masterItems":[1]},
				{"component":"photo","id":"p1","title":"P","type":"camera","required":false,"visible":true,"watermark":true},
				{"component":"timer","id":"t1","title":"T","required":true,"visible":true}]}]`,
			wantConfs: `[]`,
		},
		{
			name: "showAs spelling and empty showAs, visible false kept",
			in: `{"name":"D","pages":[{"id":"page0","components":[
				{"component":"input","id":"a","title":"A","showAs":"Title","visible":false},
				{"component":"input","id":"b","title":"B","showAs":"EXPECTEDCOORDINATE","type":"Geolocation"},
				{"component":"input","id":"c","title":"C","showAs":""}]}]}`,
			wantName: "D",
			wantPages: `[{"id":"page0","enabled":true,"components":[
				{"component":"input","id":"a","title":"A","type":"String","required":false,"visible":false,"showAs":"title"},
				{"component":"input","id":"b","title":"B","type":"Geolocation","required":false,"visible":true,"showAs":"expectedCoordinate"},
				{"component":"input","id":"c","title":"C","type":"String","required":false,"visible":true}]}]`,
			wantConfs: `[]`,
		},
		{
			name: "configurations kept as given",
			in: `{"name":"D","pages":[{"id":"page0","components":[]}],"configurations":[
				{"id":"startTime","adjustment":-1.5},{"id":"endTime","adjustment":48},{"id":"dataSource","url":"x"},{"other":true}]}`,
			wantName:  "D",
			wantPages: `[{"id":"page0","enabled":true,"components":[]}]`,
			wantConfs: `[{"id":"startTime","adjustment":-1.5},{"id":"endTime","adjustment":48},{"id":"dataSource","url":"x"},{"other":true}]`,
		},
		{
			name:      "100-character name of multi-byte letters",
			in:        `{"name":"` + strings.Repeat("é", 100) + `","pages":[{"id":"page0","components":[]}]}`,
			wantName:  strings.Repeat("é", 100),
			wantPages: `[{"id":"page0","enabled":true,"components":[]}]`,
			wantConfs: `[]`,
		},
		{
			name: "64-character id, letters digits _ and -, reserved key in another case",
			in: `{"name":"D","pages":[{"id":"page0","components":[
				{"component":"input","id":"` + "a" + strings.Repeat("B9_-", 15) + `xyz","title":"A"},
				{"component":"input","id":"Title","title":"T"}]}]}`,
			wantName: "D",
			wantPages: `[{"id":"page0","enabled":true,"components":[
				{"component":"input","id":"` + "a" + strings.Repeat("B9_-", 15) + `xyz","title":"A","type":"String","required":false,"visible":true},
				{"component":"input","id":"Title","title":"T","type":"String","required":false,"visible":true}]}]`,
			wantConfs: `[]`,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := flowFromJSON(t, tt.in)
			if err := ValidateFlow(f); err != nil {
				t.Fatalf("ValidateFlow: %v %+v", err, err.(*Error).Fields)
			}
			if f.Name != tt.wantName {
				t.Errorf("Name = %q, want %q", f.Name, tt.wantName)
			}
			pages, _ := json.Marshal(f.Pages)
			if diff := cmp.Diff(compactJSON(t, tt.wantPages), string(pages)); diff != "" {
				t.Errorf("pages (-want +got):\n%s", diff)
			}
			confs, _ := json.Marshal(f.Configurations)
			if diff := cmp.Diff(compactJSON(t, tt.wantConfs), string(confs)); diff != "" {
				t.Errorf("configurations (-want +got):\n%s", diff)
			}
			// Validating a normalized flow again changes nothing.
			again := flowFromJSON(t, string(mustMarshal(t, f)))
			if err := ValidateFlow(again); err != nil {
				t.Fatalf("second ValidateFlow: %v", err)
			}
			if diff := cmp.Diff(string(mustMarshal(t, f)), string(mustMarshal(t, again))); diff != "" {
				t.Errorf("not idempotent (-first +second):\n%s", diff)
			}
		})
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestValidateFlowErrors(t *testing.T) {
	// page0 wraps components into a valid flow.
	page0 := func(components string) string {
		return `{"name":"D","pages":[{"id":"page0","components":[` + components + `]}]}`
	}
	const allKinds = "must be one of: input, select, photo, signature, view, bill, list, timer, voice, capture"
	const inputTypes = "must be one of: String, Address, PhoneNumber, URL, Numeric, Currency, Date, Datetime, Time, Geolocation"
	for _, tt := range []struct {
		name     string
		in       string
		wantCode string
		want     []FieldError
	}{
		// Structure: flow-034.
		{
			name: "name missing", in: `{"pages":[{"id":"page0","components":[]}]}`,
			wantCode: "flow-034", want: []FieldError{{"name", "is required"}},
		},
		{
			name: "name blank", in: `{"name":"   ","pages":[{"id":"page0","components":[]}]}`,
			wantCode: "flow-034", want: []FieldError{{"name", "is required"}},
		},
		{
			name: "name too long", in: `{"name":"` + strings.Repeat("x", 101) + `","pages":[{"id":"page0","components":[]}]}`,
			wantCode: "flow-034", want: []FieldError{{"name", "must be at most 100 characters"}},
		},
		{
			name: "reserved name Handover", in: `{"name":"handover","pages":[{"id":"page0","components":[]}]}`,
			wantCode: "flow-034", want: []FieldError{{"name", "Handover is a reserved name"}},
		},
		{
			name: "reserved name Activity", in: `{"name":" ACTIVITY ","pages":[{"id":"page0","components":[]}]}`,
			wantCode: "flow-034", want: []FieldError{{"name", "Activity is a reserved name"}},
		},
		{
			name: "reserved name ActivityWorkflow", in: `{"name":"activityworkflow","pages":[{"id":"page0","components":[]}]}`,
			wantCode: "flow-034", want: []FieldError{{"name", "ActivityWorkflow is a reserved name"}},
		},
		{
			name: "no pages", in: `{"name":"D"}`,
			wantCode: "flow-034", want: []FieldError{{"pages", "must have at least one page"}},
		},
		{
			name: "empty pages", in: `{"name":"D","pages":[]}`,
			wantCode: "flow-034", want: []FieldError{{"pages", "must have at least one page"}},
		},
		{
			name: "bad page ids",
			in: `{"name":"D","pages":[{"id":"page0"},{"id":"page01"},{"id":"Page2"},{"id":"p3"},{"id":"page"},
				{"id":"page-1"},{"id":""},{"id":"page4 "}]}`,
			wantCode: "flow-034", want: []FieldError{
				{"pages[1].id", "must be page0, page1, ..."},
				{"pages[2].id", "must be page0, page1, ..."},
				{"pages[3].id", "must be page0, page1, ..."},
				{"pages[4].id", "must be page0, page1, ..."},
				{"pages[5].id", "must be page0, page1, ..."},
				{"pages[6].id", "must be page0, page1, ..."},
				{"pages[7].id", "must be page0, page1, ..."},
			},
		},
		{
			name: "duplicate page ids", in: `{"name":"D","pages":[{"id":"page0"},{"id":"page1"},{"id":"page0"},{"id":"page1"}]}`,
			wantCode: "flow-034", want: []FieldError{
				{"pages[2].id", "page0 is used by another page"},
				{"pages[3].id", "page1 is used by another page"},
			},
		},
		{
			name: "no page0", in: `{"name":"D","pages":[{"id":"page1"}]}`,
			wantCode: "flow-034", want: []FieldError{{"pages", "must include page0"}},
		},
		{
			name: "configurations not objects and adjustments missing",
			in: `{"name":"D","pages":[{"id":"page0"}],"configurations":[1,null,"x",[],
				{"id":"startTime"},{"id":"endTime","adjustment":"2"},{"id":"endTime","adjustment":null},
				{"id":"dataSource"},{"id":"startTime","adjustment":0}]}`,
			wantCode: "flow-034", want: []FieldError{
				{"configurations[0]", "must be an object"},
				{"configurations[1]", "must be an object"},
				{"configurations[2]", "must be an object"},
				{"configurations[3]", "must be an object"},
				{"configurations[4].adjustment", "must be a number of hours"},
				{"configurations[5].adjustment", "must be a number of hours"},
				{"configurations[6].adjustment", "must be a number of hours"},
			},
		},
		{
			name:     "structure problems take precedence over component problems",
			in:       `{"name":"Activity","pages":[{"id":"page0","components":[{"component":"nope","id":"1"}]},{"id":"x"}]}`,
			wantCode: "flow-034", want: []FieldError{
				{"name", "Activity is a reserved name"},
				{"pages[1].id", "must be page0, page1, ..."},
			},
		},
		// Components: flow-039.
		{
			name:     "component kind missing and unknown",
			in:       page0(`{"id":"a","title":"A"},{"component":"slider","id":"b"},{"component":" ","id":"c"}`),
			wantCode: "flow-039", want: []FieldError{
				{"pages[0].components[0].component", "is required"},
				{"pages[0].components[1].component", allKinds},
				{"pages[0].components[2].component", "is required"},
			},
		},
		{
			name: "component ids",
			in: page0(`{"component":"input","title":"A"},
				{"component":"input","id":"` + strings.Repeat("a", 65) + `"},
				{"component":"input","id":"1abc"},
				{"component":"input","id":"_abc"},
				{"component":"input","id":"a b"},
				{"component":"input","id":"a.b"},
				{"component":"input","id":"名前"},
				{"component":"input","id":"title"},
				{"component":"input","id":"startTime"},
				{"component":"input","id":"geoLock"},
				{"component":"input","id":"Handover"}`),
			wantCode: "flow-039", want: []FieldError{
				{"pages[0].components[0].id", "is required"},
				{"pages[0].components[1].id", "must be at most 64 characters"},
				{"pages[0].components[2].id", "must start with a letter and contain only letters, digits, _ and -"},
				{"pages[0].components[3].id", "must start with a letter and contain only letters, digits, _ and -"},
				{"pages[0].components[4].id", "must start with a letter and contain only letters, digits, _ and -"},
				{"pages[0].components[5].id", "must start with a letter and contain only letters, digits, _ and -"},
				{"pages[0].components[6].id", "must start with a letter and contain only letters, digits, _ and -"},
				{"pages[0].components[7].id", "title is a reserved task key"},
				{"pages[0].components[8].id", "startTime is a reserved task key"},
				{"pages[0].components[9].id", "geoLock is a reserved task key"},
				{"pages[0].components[10].id", "Handover is a reserved task key"},
			},
		},
		{
			name: "duplicate ids across pages",
			in: `{"name":"D","pages":[{"id":"page0","components":[{"component":"input","id":"a"},{"component":"input","id":"b"}]},
				{"id":"page1","components":[{"component":"photo","id":"a"},{"component":"input","id":"B"},{"component":"view","id":"b"}]}]}`,
			wantCode: "flow-039", want: []FieldError{
				{"pages[1].components[0].id", "a is used by another component"},
				{"pages[1].components[2].id", "b is used by another component"},
			},
		},
		{
			name: "types",
			in: page0(`{"component":"input","id":"a","type":"Float"},
				{"component":"input","id":"b","type":"Image"},
				{"component":"view","id":"c","type":"Video"},
				{"component":"select","id":"d","type":"checkbox","options":["x"]},
				{"component":"list","id":"e","type":"dropdown"},
				{"component":"input","id":"f","inputType":"string","type":"bogus"}`),
			wantCode: "flow-039", want: []FieldError{
				{"pages[0].components[0].type", inputTypes},
				{"pages[0].components[1].type", inputTypes},
				{"pages[0].components[2].type", inputTypes[:len(inputTypes)] + ", Image"},
				{"pages[0].components[3].type", "must be dropdown"},
				{"pages[0].components[4].type", "must be checkbox"},
				{"pages[0].components[5].type", inputTypes},
			},
		},
		{
			name: "select options",
			in: page0(`{"component":"select","id":"a"},
				{"component":"select","id":"b","options":[]},
				{"component":"select","id":"c","options":[1,2]},
				{"component":"select","id":"d","options":"x,y"},
				{"component":"select","id":"e","options":null},
				{"component":"select","id":"f","options":["ok"]},
				{"component":"list","id":"g","options":[{"any":"thing"}]}`),
			wantCode: "flow-039", want: []FieldError{
				{"pages[0].components[0].options", "must be a non-empty list of strings"},
				{"pages[0].components[1].options", "must be a non-empty list of strings"},
				{"pages[0].components[2].options", "must be a non-empty list of strings"},
				{"pages[0].components[3].options", "must be a non-empty list of strings"},
				{"pages[0].components[4].options", "must be a non-empty list of strings"},
			},
		},
		{
			name: "min greater than max, showAs unknown",
			in: page0(`{"component":"photo","id":"a","min":3,"max":2},
				{"component":"photo","id":"b","min":2,"max":2},
				{"component":"input","id":"c","showAs":"subtitle"}`),
			wantCode: "flow-039", want: []FieldError{
				{"pages[0].components[0].min", "must not be greater than max"},
				{"pages[0].components[2].showAs", "must be one of: title, content, label, expectedCoordinate"},
			},
		},
		{
			name: "several problems of one component, on a later page",
			in: `{"name":"D","pages":[{"id":"page0","components":[]},{"id":"page1","components":[
				{"component":"select","id":"status","type":"radio","min":2,"max":1,"showAs":"x"}]}]}`,
			wantCode: "flow-039", want: []FieldError{
				{"pages[1].components[0].id", "status is a reserved task key"},
				{"pages[1].components[0].type", "must be dropdown"},
				{"pages[1].components[0].options", "must be a non-empty list of strings"},
				{"pages[1].components[0].min", "must not be greater than max"},
				{"pages[1].components[0].showAs", "must be one of: title, content, label, expectedCoordinate"},
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateFlow(flowFromJSON(t, tt.in))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if e.Code != EINVALID || e.FailedCode != tt.wantCode {
				t.Errorf("code = %s/%s, want %s/%s", e.Code, e.FailedCode, EINVALID, tt.wantCode)
			}
			if diff := cmp.Diff(tt.want, e.Fields); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
			if e.Message != tt.want[0].String() {
				t.Errorf("message = %q, want the first problem", e.Message)
			}
		})
	}
}

// kindsFlow has one component of every kind and input type on page0 and two on page1.
const kindsFlow = `{"name":"Every Kind","pages":[{"id":"page0","components":[
	{"component":"input","id":"s","title":"Name"},
	{"component":"input","id":"addr","title":"Address","type":"Address"},
	{"component":"input","id":"ph","title":"Phone","type":"PhoneNumber"},
	{"component":"input","id":"u","title":"Site","type":"URL"},
	{"component":"input","id":"num","title":"Weight","type":"Numeric"},
	{"component":"input","id":"cur","title":"Price","type":"Currency"},
	{"component":"input","id":"d","title":"Day","type":"Date"},
	{"component":"input","id":"dt","title":"When","type":"Datetime"},
	{"component":"input","id":"tm","title":"At","type":"Time"},
	{"component":"input","id":"geo","title":"Where","type":"Geolocation"},
	{"component":"select","id":"sel","title":"Pick","options":["a","b","c"]},
	{"component":"select","id":"selm","title":"Pick many","options":["a","b","c"],"min":2,"max":3},
	{"component":"photo","id":"p","title":"Photos","min":1,"max":2},
	{"component":"signature","id":"sig","title":"Sign"},
	{"component":"view","id":"v","title":"Info"},
	{"component":"bill","id":"b","title":"Bill"},
	{"component":"list","id":"l","title":"Items"},
	{"component":"timer","id":"tmr","title":"Timer"},
	{"component":"voice","id":"vo","title":"Voice"},
	{"component":"capture","id":"cap","title":"Capture"}]},
	{"id":"page1","components":[
	{"component":"photo","id":"p2","title":"Proof","min":2},
	{"component":"input","id":"note","title":"Note"}]}]}`

func TestCheckValues(t *testing.T) {
	f := validFlow(t, kindsFlow)
	for _, tt := range []struct {
		name   string
		values string
		prefix string
		want   string // normalized values; "" = {}
		errs   []FieldError
	}{
		// Strings.
		{name: "string", values: `{"s":"hello","addr":"1 Main St"}`, want: `{"addr":"1 Main St","s":"hello"}`},
		{name: "empty string", values: `{"s":"","ph":"","u":"","d":"","dt":"","tm":"","geo":""}`,
			want: `{"d":"","dt":"","geo":"","ph":"","s":"","tm":"","u":""}`},
		{name: "string rejects number", values: `{"s":5,"addr":true}`, errs: []FieldError{
			{"s", "must be a string"}, {"addr", "must be a string"}}},
		{name: "phone ok", values: `{"ph":"+62 (812) 555-0100"}`, want: `{"ph":"+62 (812) 555-0100"}`},
		{name: "phone bad", values: `{"ph":"call me"}`, errs: []FieldError{
			{"ph", "must be a phone number (digits, spaces and + - ( ) only)"}}},
		{name: "phone without digits", values: `{"ph":"+-() "}`, errs: []FieldError{
			{"ph", "must be a phone number (digits, spaces and + - ( ) only)"}}},
		{name: "phone as number", values: `{"ph":62812}`, errs: []FieldError{{"ph", "must be a string"}}},
		{name: "url ok", values: `{"u":"HTTPS://Example.com/a?b=c"}`, want: `{"u":"HTTPS://Example.com/a?b=c"}`},
		{name: "url http", values: `{"u":"http://localhost:8080"}`, want: `{"u":"http://localhost:8080"}`},
		{name: "url ftp", values: `{"u":"ftp://example.com"}`, errs: []FieldError{{"u", "must be an http(s) URL"}}},
		{name: "url without host", values: `{"u":"https://"}`, errs: []FieldError{{"u", "must be an http(s) URL"}}},
		{name: "url relative", values: `{"u":"example.com/x"}`, errs: []FieldError{{"u", "must be an http(s) URL"}}},
		// Numbers.
		{name: "numbers as numbers", values: `{"num":12.5,"cur":-3}`, want: `{"cur":-3,"num":12.5}`},
		{name: "numeric strings converted", values: `{"num":"12.50","cur":" 1000 "}`, want: `{"cur":1000,"num":12.50}`},
		{name: "numeric strings in other forms", values: `{"num":"+5","cur":".5"}`, want: `{"cur":0.5,"num":5}`},
		{name: "numeric string leading zeros and exponent", values: `{"num":"007","cur":"1e3"}`, want: `{"cur":1e3,"num":7}`},
		{name: "empty numeric string clears", values: `{"num":"","cur":"  "}`, want: `{"cur":null,"num":null}`},
		{name: "not numbers", values: `{"num":"abc","cur":true}`, errs: []FieldError{
			{"num", "must be a number"}, {"cur", "must be a number"}}},
		{name: "go number syntax refused", values: `{"num":"0x10","cur":"1_000"}`, errs: []FieldError{
			{"num", "must be a number"}, {"cur", "must be a number"}}},
		{name: "NaN and Inf refused", values: `{"num":"NaN","cur":"Inf"}`, errs: []FieldError{
			{"num", "must be a number"}, {"cur", "must be a number"}}},
		{name: "number out of range", values: `{"num":"1e999","cur":-1e999}`, errs: []FieldError{
			{"num", "must be a number"}, {"cur", "must be a number"}}},
		{name: "number array", values: `{"num":[1]}`, errs: []FieldError{{"num", "must be a number"}}},
		// Dates and times.
		{name: "date", values: `{"d":"2024-02-29"}`, want: `{"d":"2024-02-29"}`},
		{name: "date invalid", values: `{"d":"2023-02-29"}`, errs: []FieldError{{"d", "must be a date like 2006-01-02"}}},
		{name: "date short form", values: `{"d":"2024-2-1"}`, errs: []FieldError{{"d", "must be a date like 2006-01-02"}}},
		{name: "datetime space form", values: `{"dt":"2024-01-02 03:04:05"}`, want: `{"dt":"2024-01-02T03:04:05+00:00"}`},
		{name: "datetime offset", values: `{"dt":"2024-01-02T10:04:05+07:00"}`, want: `{"dt":"2024-01-02T03:04:05+00:00"}`},
		{name: "datetime fraction Z", values: `{"dt":"2024-01-02T03:04:05.123456Z"}`, want: `{"dt":"2024-01-02T03:04:05+00:00"}`},
		{name: "datetime bad", values: `{"dt":"tomorrow"}`, errs: []FieldError{
			{"dt", "must be a date-time like 2006-01-02 15:04:05 or 2006-01-02T15:04:05+07:00"}}},
		{name: "time", values: `{"tm":"09:30"}`, want: `{"tm":"09:30"}`},
		{name: "time seconds", values: `{"tm":"23:59:59"}`, want: `{"tm":"23:59:59"}`},
		{name: "time bad", values: `{"tm":"25:00"}`, errs: []FieldError{{"tm", "must be a time like 15:04 or 15:04:05"}}},
		{name: "time short", values: `{"tm":"9:30"}`, errs: []FieldError{{"tm", "must be a time like 15:04 or 15:04:05"}}},
		// Geolocation.
		{name: "geolocation", values: `{"geo":"-6.2,106.8"}`, want: `{"geo":"-6.2,106.8"}`},
		{name: "geolocation spaces and bounds", values: `{"geo":" 90 , -180 "}`, want: `{"geo":" 90 , -180 "}`},
		{name: "geolocation lat out of range", values: `{"geo":"91,0"}`, errs: []FieldError{
			{"geo", `must be "lat,lng" with lat within -90..90 and lng within -180..180`}}},
		{name: "geolocation lng out of range", values: `{"geo":"0,180.5"}`, errs: []FieldError{
			{"geo", `must be "lat,lng" with lat within -90..90 and lng within -180..180`}}},
		{name: "geolocation one number", values: `{"geo":"1"}`, errs: []FieldError{
			{"geo", `must be "lat,lng" with lat within -90..90 and lng within -180..180`}}},
		{name: "geolocation words", values: `{"geo":"a,b"}`, errs: []FieldError{
			{"geo", `must be "lat,lng" with lat within -90..90 and lng within -180..180`}}},
		// Select.
		{name: "select one", values: `{"sel":"a"}`, want: `{"sel":"a"}`},
		{name: "select many", values: `{"sel":["a","c"],"selm":["a","b","c"]}`, want: `{"sel":["a","c"],"selm":["a","b","c"]}`},
		{name: "select empty", values: `{"sel":"","selm":[]}`, want: `{"sel":"","selm":[]}`},
		{name: "select not an option", values: `{"sel":"z"}`, errs: []FieldError{{"sel", "must be one of: a, b, c"}}},
		{name: "select case matters", values: `{"sel":"A"}`, errs: []FieldError{{"sel", "must be one of: a, b, c"}}},
		{name: "select list with a bad value", values: `{"sel":["a","z","y"]}`, errs: []FieldError{
			{"sel[1]", "must be one of: a, b, c"}, {"sel[2]", "must be one of: a, b, c"}}},
		{name: "select wrong type", values: `{"sel":1,"selm":[1,2]}`, errs: []FieldError{
			{"sel", "must be a string or a list of strings"}, {"selm", "must be a string or a list of strings"}}},
		{name: "select under min", values: `{"selm":["a"]}`, errs: []FieldError{{"selm", "must have at least 2 values"}}},
		{name: "select single string counts one", values: `{"selm":"a"}`, errs: []FieldError{{"selm", "must have at least 2 values"}}},
		{name: "select over max", values: `{"selm":["a","b","c","a"]}`, errs: []FieldError{{"selm", "must have at most 3 values"}}},
		// Photo.
		{name: "photo", values: `{"p":["https://cdn.example.com/1.jpg"],"p2":["http://x/1.jpg","http://x/2.jpg"]}`,
			want: `{"p":["https://cdn.example.com/1.jpg"],"p2":["http://x/1.jpg","http://x/2.jpg"]}`},
		{name: "photo empty list", values: `{"p":[]}`, want: `{"p":[]}`},
		{name: "photo string", values: `{"p":"https://x/1.jpg"}`, errs: []FieldError{{"p", "must be a list of photo URLs"}}},
		{name: "photo objects", values: `{"p":[{"url":"https://x/1.jpg"}]}`, errs: []FieldError{{"p", "must be a list of photo URLs"}}},
		{name: "photo bad url", values: `{"p":["https://x/1.jpg","file:///etc/passwd"]}`, errs: []FieldError{{"p[1]", "must be an http(s) URL"}}},
		{name: "photo over max", values: `{"p":["https://x/1","https://x/2","https://x/3"]}`, errs: []FieldError{{"p", "must have at most 2 photos"}}},
		{name: "photo under min", values: `{"p2":["https://x/1"]}`, errs: []FieldError{{"p2", "must have at least 2 photos"}}},
		// Signature.
		{name: "signature", values: `{"sig":"https://x/s.png"}`, want: `{"sig":"https://x/s.png"}`},
		{name: "signature empty", values: `{"sig":""}`, want: `{"sig":""}`},
		{name: "signature data URI", values: `{"sig":"data:image/png;base64,AAAA"}`, errs: []FieldError{{"sig", "must be an http(s) URL"}}},
		{name: "signature not a string", values: `{"sig":["https://x/s.png"]}`, errs: []FieldError{{"sig", "must be a string"}}},
		// View.
		{name: "view value", values: `{"v":"x"}`, errs: []FieldError{{"v", "cannot be set"}}},
		{name: "view null", values: `{"v":null}`, errs: []FieldError{{"v", "cannot be set"}}},
		// Any JSON.
		{name: "any-JSON kinds stored as given",
			values: `{"b":{"items":[{"name":"x","qty":2}]},"l":[1,"a",null],"tmr":5,"vo":"https://x/v.m4a","cap":{"a":null}}`,
			want:   `{"b":{"items":[{"name":"x","qty":2}]},"cap":{"a":null},"l":[1,"a",null],"tmr":5,"vo":"https://x/v.m4a"}`},
		{name: "any-JSON kinds accept false and empty values", values: `{"b":false,"l":[],"tmr":"","vo":0,"cap":{}}`,
			want: `{"b":false,"cap":{},"l":[],"tmr":"","vo":0}`},
		// Null clears every kind but view.
		{name: "null clears",
			values: `{"s":null,"ph":null,"u":null,"num":null,"cur":null,"d":null,"dt":null,"tm":null,"geo":null,
				"sel":null,"selm":null,"p":null,"sig":null,"b":null,"l":null,"tmr":null,"vo":null,"cap":null,"p2":null}`,
			want: `{"b":null,"cap":null,"cur":null,"d":null,"dt":null,"geo":null,"l":null,"num":null,"p":null,"p2":null,
				"ph":null,"s":null,"sel":null,"selm":null,"sig":null,"tm":null,"tmr":null,"u":null,"vo":null}`},
		// Keys, pages, prefixes, order.
		{name: "keys that are no component are ignored", values: `{"flow":"Every Kind","hubId":"x","nope":1,"S":"x","s":"a"}`,
			want: `{"s":"a"}`},
		{name: "later pages checked too", values: `{"note":"n","p2":"x"}`, want: `{"note":"n"}`,
			errs: []FieldError{{"p2", "must be a list of photo URLs"}}},
		{name: "empty values", values: `{}`, want: `{}`},
		{name: "prefix and flow order", prefix: "tasks[1]",
			values: `{"sig":1,"u":"x","num":"y","s":"ok","p":["x"]}`, want: `{"s":"ok"}`,
			errs: []FieldError{
				{"tasks[1].u", "must be an http(s) URL"},
				{"tasks[1].num", "must be a number"},
				{"tasks[1].p[0]", "must be an http(s) URL"},
				{"tasks[1].sig", "must be a string"},
			}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := f.CheckValues(rawValues(t, tt.values), tt.prefix)
			if diff := cmp.Diff(tt.errs, []FieldError(errs)); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			want := tt.want
			if want == "" {
				want = "{}"
			}
			if diff := cmp.Diff(compactJSON(t, want), string(mustMarshal(t, got))); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFlowMissingRequired(t *testing.T) {
	f := validFlow(t, `{"name":"R","pages":[
		{"id":"page0","components":[
			{"component":"input","id":"a","title":"A","required":true},
			{"component":"select","id":"s","title":"S","options":["x"],"required":true},
			{"component":"photo","id":"p","title":"P","isRequired":true},
			{"component":"input","id":"n","title":"N","type":"Numeric","required":true},
			{"component":"bill","id":"b","title":"B","required":true},
			{"component":"view","id":"v","title":"V","required":true},
			{"component":"input","id":"opt","title":"Optional"}]},
		{"id":"page1","components":[
			{"component":"signature","id":"sig","title":"Sig","required":true}]}]}`)
	page0 := func(id string) bool { return id == "page0" }
	later := func(id string) bool { return id != "page0" }
	full := `{"a":"x","s":"x","p":["https://x/1"],"n":0,"b":false,"sig":"https://x/s"}`
	for _, tt := range []struct {
		name   string
		values string
		pred   func(string) bool
		prefix string
		want   []FieldError
	}{
		{name: "all present", values: full, pred: nil},
		{name: "zero, false and {} are values", values: `{"a":"x","s":"x","p":["u"],"n":0,"b":{},"sig":"x"}`, pred: nil},
		{name: "nothing, every page", values: `{}`, pred: nil, want: []FieldError{
			{"a", "is required"}, {"s", "is required"}, {"p", "is required"}, {"n", "is required"},
			{"b", "is required"}, {"sig", "is required"}}},
		{name: "nothing, page0 only", values: `{}`, pred: page0, want: []FieldError{
			{"a", "is required"}, {"s", "is required"}, {"p", "is required"}, {"n", "is required"},
			{"b", "is required"}}},
		{name: "nothing, later pages", values: `{"a":""}`, pred: later, prefix: "tasks[0]", want: []FieldError{
			{"tasks[0].sig", "is required"}}},
		{name: "null, empty string and empty arrays are missing",
			values: `{"a":"","s":[],"p":[ ],"n":null,"b":"","sig":null}`, pred: nil, prefix: "x", want: []FieldError{
				{"x.a", "is required"}, {"x.s", "is required"}, {"x.p", "is required"}, {"x.n", "is required"},
				{"x.b", "is required"}, {"x.sig", "is required"}}},
		{name: "whitespace is a value", values: `{"a":" ","s":"x","p":["u"],"n":1,"b":1}`, pred: page0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := f.MissingRequired(rawValues(t, tt.values), tt.pred, tt.prefix)
			if diff := cmp.Diff(tt.want, []FieldError(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestShowAsValues(t *testing.T) {
	f := validFlow(t, `{"name":"S","pages":[{"id":"page0","components":[
		{"component":"input","id":"name","title":"Name","showAs":"title"},
		{"component":"input","id":"amount","title":"Amount","type":"Numeric","showAs":"content"},
		{"component":"select","id":"tags","title":"Tags","options":["a","b"],"showAs":"label"},
		{"component":"input","id":"loc","title":"Loc","type":"Geolocation","showAs":"expectedCoordinate"},
		{"component":"input","id":"plain","title":"Plain"}]},
		{"id":"page1","components":[{"component":"bill","id":"bill","title":"Bill","showAs":"content"}]}]}`)
	for _, tt := range []struct {
		name   string
		values string
		want   map[string]string
	}{
		{name: "none", values: `{}`, want: map[string]string{}},
		{name: "strings, numbers, arrays",
			values: `{"name":"Order #1","amount":12.50,"tags":["a","b"],"loc":"-6.2,106.8","plain":"x"}`,
			want:   map[string]string{"title": "Order #1", "content": "12.5", "label": "a, b", "expectedCoordinate": "-6.2,106.8"}},
		{name: "large and negative numbers", values: `{"amount":1e21,"name":-0.000001}`,
			want: map[string]string{"content": "1000000000000000000000", "title": "-0.000001"}},
		{name: "null and absent skipped", values: `{"name":null,"tags":"b"}`, want: map[string]string{"label": "b"}},
		{name: "empty string kept", values: `{"name":""}`, want: map[string]string{"title": ""}},
		{name: "later component wins, objects as compact JSON",
			values: `{"amount":3,"bill":{ "total" : 3 }}`, want: map[string]string{"content": `{"total":3}`}},
		{name: "arrays of other values", values: `{"tags":[1,true,"x",[2]]}`, want: map[string]string{"label": "1, true, x, 2"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := f.ShowAsValues(rawValues(t, tt.values))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestFindComponentAndFields(t *testing.T) {
	f := validFlow(t, `{"name":"F","pages":[
		{"id":"page0","components":[{"component":"input","id":"a","title":"A"},{"component":"view","id":"b","title":"B"}]},
		{"id":"page2","components":[]},
		{"id":"page1","components":[{"component":"photo","id":"c","title":"C","watermark":true}]}]}`)
	for _, tt := range []struct {
		id, wantPage string
		ok           bool
	}{
		{"a", "page0", true},
		{"b", "page0", true},
		{"c", "page1", true},
		{"C", "", false},
		{"", "", false},
	} {
		t.Run("find "+tt.id, func(t *testing.T) {
			c, page, ok := f.FindComponent(tt.id)
			if ok != tt.ok || page != tt.wantPage || ok && c.ID != tt.id {
				t.Errorf("FindComponent(%q) = %v, %q, %v", tt.id, c, page, ok)
			}
		})
	}
	t.Run("find returns a pointer into the flow", func(t *testing.T) {
		c, _, _ := f.FindComponent("c")
		if c != &f.Pages[2].Components[0] {
			t.Error("not the flow's component")
		}
	})
	t.Run("fields", func(t *testing.T) {
		want := `[{"component":"input","id":"a","title":"A","type":"String","required":false,"visible":true,"page":"page0"},` +
			`{"component":"view","id":"b","title":"B","type":"String","required":false,"visible":true,"page":"page0"},` +
			`{"component":"photo","id":"c","title":"C","required":false,"visible":true,"watermark":true,"page":"page1"}]`
		if diff := cmp.Diff(want, string(mustMarshal(t, f.Fields()))); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("fields of a flow without components", func(t *testing.T) {
		if got := string(mustMarshal(t, (&Flow{}).Fields())); got != "[]" {
			t.Errorf("got %s, want []", got)
		}
	})
}

func TestFlowAdjustments(t *testing.T) {
	for _, tt := range []struct {
		name       string
		confs      string
		start, end float64
	}{
		{"none", `[]`, 0, 24},
		{"both", `[{"id":"startTime","adjustment":1.5},{"id":"endTime","adjustment":48}]`, 1.5, 48},
		{"only end", `[{"id":"dataSource"},{"id":"endTime","adjustment":-2}]`, 0, -2},
		{"not numbers ignored", `[{"id":"startTime","adjustment":"3"},{"id":"endTime"},7]`, 0, 24},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &Flow{}
			if err := json.Unmarshal([]byte(tt.confs), &f.Configurations); err != nil {
				t.Fatal(err)
			}
			start, end := f.Adjustments()
			if start != tt.start || end != tt.end {
				t.Errorf("Adjustments() = %v, %v, want %v, %v", start, end, tt.start, tt.end)
			}
		})
	}
}

func TestFlowPayload(t *testing.T) {
	now := time.Date(2024, 5, 6, 7, 8, 9, 0, time.FixedZone("WIB", 7*3600))
	const hub = "65f000000000000000000001"
	for _, tt := range []struct {
		name     string
		flow     string
		fields   string // wanted flowFields after the four fixed ones
		wantBody string
	}{
		{
			name: "every kind, optional, no defaults",
			flow: kindsFlow,
			fields: `[
				{"field":"s","type":"String","required":false,"description":"Name","example":"Sample Name","format":null},
				{"field":"addr","type":"Address","required":false,"description":"Address","example":"1 Sample Street","format":null},
				{"field":"ph","type":"PhoneNumber","required":false,"description":"Phone (phone number: digits, spaces and + - ( ))","example":"+62 812 0000 0000","format":null},
				{"field":"u","type":"URL","required":false,"description":"Site (http(s) URL)","example":"https://example.com","format":null},
				{"field":"num","type":"Numeric","required":false,"description":"Weight (number)","example":1,"format":null},
				{"field":"cur","type":"Currency","required":false,"description":"Price (number)","example":1,"format":null},
				{"field":"d","type":"Date","required":false,"description":"Day (date, 2006-01-02)","example":"2024-05-06","format":null},
				{"field":"dt","type":"Datetime","required":false,"description":"When (date-time, 2006-01-02 15:04:05)","example":"2024-05-06 00:08:09","format":null},
				{"field":"tm","type":"Time","required":false,"description":"At (time of day, 15:04)","example":"09:00","format":null},
				{"field":"geo","type":"Geolocation","required":false,"description":"Where (\"lat,lng\")","example":"-6.2,106.8","format":null},
				{"field":"sel","type":"select","required":false,"description":"Pick (one or more of the options)","example":"a","format":["a","b","c"]},
				{"field":"selm","type":"select","required":false,"description":"Pick many (one or more of the options)","example":["a","b"],"format":["a","b","c"]},
				{"field":"p","type":"photo","required":false,"description":"Photos (list of photo URLs)","example":["https://example.com/photo.jpg"],"format":null},
				{"field":"sig","type":"signature","required":false,"description":"Sign (signature image URL)","example":"https://example.com/signature.png","format":null},
				{"field":"b","type":"bill","required":false,"description":"Bill (any JSON value)","example":null,"format":null},
				{"field":"l","type":"list","required":false,"description":"Items (any JSON value)","example":null,"format":null},
				{"field":"tmr","type":"timer","required":false,"description":"Timer (any JSON value)","example":null,"format":null},
				{"field":"vo","type":"voice","required":false,"description":"Voice (any JSON value)","example":null,"format":null},
				{"field":"cap","type":"capture","required":false,"description":"Capture (any JSON value)","example":null,"format":null}]`,
			wantBody: `{"addr":"1 Sample Street","cur":1,"d":"2024-05-06","dt":"2024-05-06 00:08:09",
				"endTime":"2024-05-07 00:08:09","flow":"Every Kind","geo":"-6.2,106.8","hubId":"` + hub + `",
				"num":1,"p":["https://example.com/photo.jpg"],"ph":"+62 812 0000 0000","s":"Sample Name","sel":"a",
				"selm":["a","b"],"sig":"https://example.com/signature.png","startTime":"2024-05-06 00:08:09",
				"tm":"09:00","u":"https://example.com"}`,
		},
		{
			name: "every kind required, defaults, adjustments",
			flow: `{"name":"Req","configurations":[{"id":"startTime","adjustment":1.5},{"id":"endTime","adjustment":-1}],
				"pages":[{"id":"page0","components":[
				{"component":"input","id":"s","title":"","required":true,"default":"Jakarta"},
				{"component":"input","id":"num","title":"N","type":"Numeric","required":true,"default":"abc"},
				{"component":"input","id":"cur","title":"C","type":"Currency","required":true,"default":"2.5"},
				{"component":"input","id":"dt","title":"DT","type":"Datetime","required":true,"default":"2024-01-02T10:00:00+07:00"},
				{"component":"input","id":"u","title":"U","type":"URL","required":true,"default":""},
				{"component":"select","id":"sel","title":"S","required":true,"options":["x","y"],"default":"y"},
				{"component":"select","id":"bad","title":"S","required":true,"options":["x","y"],"default":"z"},
				{"component":"select","id":"two","title":"S","required":true,"options":["x","y","z"],"min":2,"max":2},
				{"component":"photo","id":"p","title":"P","required":true,"min":2.5},
				{"component":"photo","id":"p1","title":"P","required":false,"max":0.5,"min":0},
				{"component":"signature","id":"sig","title":"Sig","required":true},
				{"component":"view","id":"v","title":"V","required":true},
				{"component":"bill","id":"b","title":"B","required":true},
				{"component":"list","id":"l","title":"L","required":true,"default":[{"item":"a"}]},
				{"component":"timer","id":"tmr","title":"T","required":false,"default":5},
				{"component":"voice","id":"vo","title":"V","required":true},
				{"component":"capture","id":"cap","title":"C","required":true,"default":null}]},
				{"id":"page1","components":[{"component":"input","id":"later","title":"L","required":true}]}]}`,
			fields: `[
				{"field":"s","type":"String","required":true,"description":"s","example":"Jakarta","format":null},
				{"field":"num","type":"Numeric","required":true,"description":"N (number)","example":1,"format":null},
				{"field":"cur","type":"Currency","required":true,"description":"C (number)","example":2.5,"format":null},
				{"field":"dt","type":"Datetime","required":true,"description":"DT (date-time, 2006-01-02 15:04:05)","example":"2024-01-02T03:00:00+00:00","format":null},
				{"field":"u","type":"URL","required":true,"description":"U (http(s) URL)","example":"https://example.com","format":null},
				{"field":"sel","type":"select","required":true,"description":"S (one or more of the options)","example":"y","format":["x","y"]},
				{"field":"bad","type":"select","required":true,"description":"S (one or more of the options)","example":"x","format":["x","y"]},
				{"field":"two","type":"select","required":true,"description":"S (one or more of the options)","example":["x","y"],"format":["x","y","z"]},
				{"field":"p","type":"photo","required":true,"description":"P (list of photo URLs)","example":["https://example.com/photo.jpg","https://example.com/photo.jpg","https://example.com/photo.jpg"],"format":null},
				{"field":"p1","type":"photo","required":false,"description":"P (list of photo URLs)","example":[],"format":null},
				{"field":"sig","type":"signature","required":true,"description":"Sig (signature image URL)","example":"https://example.com/signature.png","format":null},
				{"field":"b","type":"bill","required":true,"description":"B (any JSON value)","example":"Sample B","format":null},
				{"field":"l","type":"list","required":true,"description":"L (any JSON value)","example":[{"item":"a"}],"format":null},
				{"field":"tmr","type":"timer","required":false,"description":"T (any JSON value)","example":5,"format":null},
				{"field":"vo","type":"voice","required":true,"description":"V (any JSON value)","example":"Sample V","format":null},
				{"field":"cap","type":"capture","required":true,"description":"C (any JSON value)","example":"Sample C","format":null}]`,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := validFlow(t, tt.flow)
			p := f.Payload(now, hub)
			if p.FlowName != f.Name {
				t.Errorf("FlowName = %q", p.FlowName)
			}
			start, end := f.Adjustments()
			at := func(h float64) string {
				return now.UTC().Add(time.Duration(h * float64(time.Hour))).Format("2006-01-02 15:04:05")
			}
			head := []PayloadField{
				{Field: "hubId", Type: "string", Required: true, Description: "The _id of the task's hub", Example: hub},
				{Field: "flow", Type: "string", Required: true, Description: "The name of the flow", Example: f.Name},
				{Field: "startTime", Type: "datetime", Description: "When the task starts (default: now + " + flowFormatFloat(start) + " hours)", Example: at(start)},
				{Field: "endTime", Type: "datetime", Description: "When the task ends (default: now + " + flowFormatFloat(end) + " hours)", Example: at(end)},
			}
			if len(p.FlowFields) < 4 {
				t.Fatalf("FlowFields = %+v", p.FlowFields)
			}
			if diff := cmp.Diff(head, p.FlowFields[:4]); diff != "" {
				t.Errorf("fixed fields (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(compactJSON(t, tt.fields), string(mustMarshal(t, p.FlowFields[4:]))); diff != "" {
				t.Errorf("component fields (-want +got):\n%s", diff)
			}
			if tt.wantBody != "" {
				if diff := cmp.Diff(compactJSON(t, tt.wantBody), string(mustMarshal(t, p.BodyRequest))); diff != "" {
					t.Errorf("bodyRequest (-want +got):\n%s", diff)
				}
			}

			// The sample body is a valid POST /task body for page0.
			body := rawValues(t, string(mustMarshal(t, p.BodyRequest)))
			for _, k := range []string{"flow", "hubId", "startTime", "endTime"} {
				if _, ok := body[k]; !ok {
					t.Errorf("bodyRequest lacks %s", k)
				}
			}
			if _, err := ParseTime(string(body["startTime"][1 : len(body["startTime"])-1])); err != nil {
				t.Errorf("startTime: %v", err)
			}
			if _, errs := f.CheckValues(body, "bodyRequest"); len(errs) > 0 {
				t.Errorf("CheckValues(bodyRequest) = %v", errs)
			}
			if errs := f.MissingRequired(body, func(id string) bool { return id == "page0" }, "bodyRequest"); len(errs) > 0 {
				t.Errorf("MissingRequired(bodyRequest, page0) = %v", errs)
			}
			for _, pf := range p.FlowFields[4:] {
				if c, page, _ := f.FindComponent(pf.Field); page != "page0" || c.Component == KindView {
					t.Errorf("field %s: page %s, kind %s", pf.Field, page, c.Component)
				}
				if _, in := body[pf.Field]; in == (pf.Example == nil) {
					t.Errorf("field %s: example %v, in bodyRequest %v", pf.Field, pf.Example, in)
				}
			}
		})
	}
}
