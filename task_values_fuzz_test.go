package fieldwork

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// everyKindFlow has a component of every kind and input type (SPEC §4), a showAs, a required
// page0 component and required page1 ones.
const everyKindFlow = `{"name": "Everything", "pages": [
 {"id": "page0", "components": [
  {"component": "input", "id": "text", "title": "Text", "required": true, "showAs": "title"},
  {"component": "input", "id": "addr", "title": "Address", "type": "Address", "showAs": "content"},
  {"component": "input", "id": "num", "title": "Num", "type": "Numeric", "showAs": "label"},
  {"component": "input", "id": "money", "title": "Money", "type": "Currency"},
  {"component": "input", "id": "day", "title": "Day", "type": "Date"},
  {"component": "input", "id": "when", "title": "When", "type": "Datetime"},
  {"component": "input", "id": "clock", "title": "Clock", "type": "Time"},
  {"component": "input", "id": "geo", "title": "Geo", "type": "Geolocation", "showAs": "expectedCoordinate"},
  {"component": "input", "id": "site", "title": "Site", "type": "URL"},
  {"component": "input", "id": "phone", "title": "Phone", "type": "PhoneNumber"},
  {"component": "select", "id": "size", "title": "Size", "options": ["S", "M", "L"], "min": 1, "max": 2},
  {"component": "select", "id": "free", "title": "Free", "options": ["a", "b"]},
  {"component": "view", "id": "info", "title": "Info"},
  {"component": "bill", "id": "bill", "title": "Bill"},
  {"component": "list", "id": "items", "title": "Items"},
  {"component": "timer", "id": "timer", "title": "Timer"},
  {"component": "voice", "id": "voice", "title": "Voice"},
  {"component": "capture", "id": "capture", "title": "Capture"}]},
 {"id": "page1", "components": [
  {"component": "photo", "id": "proof", "title": "Proof", "required": true, "min": 1, "max": 3},
  {"component": "signature", "id": "sign", "title": "Sign", "required": true}]}]}`

// FuzzTaskValues drives the domain's task-body rules with arbitrary bodies against a flow of
// every component kind, below HTTP so that the fuzzer spends its time there: ParseTaskBody,
// Flow.CheckValues, ShowAsValues and MissingRequired never panic; every problem names a field
// of the body; and the values CheckValues accepts are valid JSON that pass a second check
// unchanged, so a task read back and sent again is accepted as it is. Run it with
// `go test . -run '^$' -fuzz FuzzTaskValues -fuzztime 5m`.
func FuzzTaskValues(f *testing.F) {
	for _, seed := range []string{
		`{"flow": "Everything", "hubId": "h", "text": "a", "addr": "Jl. 1", "num": "1.5", "money": 3, "day": "2026-01-02", "when": "2026-01-02 03:04:05", "clock": "09:30", "geo": "-6.2,106.8", "site": "https://x.test", "phone": "+62 (21) 555", "size": ["S", "M"], "free": "anything", "bill": {"a": [1, 2]}}`,
		`{"text": "", "num": "x", "size": ["XL"], "info": "no", "proof": [], "sign": ""}`,
		`{"num": "+5", "money": " 1e3 ", "when": "2026-01-02T03:04:05.123456789+14:00", "geo": " 90 , -180 "}`,
		`{"num": 1e400, "money": "0x10", "day": "2026-02-30", "clock": "24:00", "geo": "91,0", "site": "ftp://x"}`,
		`{"size": "S", "proof": ["https://a.test/1.jpg", "nope"], "sign": "https://s.test/s.png", "startTime": "2026-01-02", "endTime": null}`,
		`{"assignee": "A@B.test, a@b.test,,", "orderIndex": "1", "createdFrom": "Fax", "doneCoordinate": "1,2", "doneFrom": "MOBILE"}`,
		`{"when": "9999-12-31T23:59:59-14:00", "num": "-0", "money": "1.", "items": [[[]]], "timer": null}`,
		`{"text": null, "size": [], "free": [1], "proof": "https://a.test", "taskType": "activityChild", "parentId": null}`,
	} {
		f.Add(seed)
	}
	var flow Flow
	if err := json.Unmarshal([]byte(everyKindFlow), &flow); err != nil {
		f.Fatal(err)
	}
	if err := ValidateFlow(&flow); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		var body map[string]json.RawMessage
		if json.Unmarshal([]byte(doc), &body) != nil {
			return // the HTTP layer refuses it before the domain sees it (req-013)
		}
		p, fe := ParseTaskBody(body, "tasks[0]")
		checkProblems(t, doc, body, fe)
		vals, fe := flow.CheckValues(p.Values, "tasks[0]")
		checkProblems(t, doc, body, fe)
		checkProblems(t, doc, body, flow.MissingRequired(vals, nil, "tasks[0]"))
		for k, v := range vals {
			if !json.Valid(v) {
				t.Fatalf("%s: %s normalized to invalid JSON %q", doc, k, v)
			}
			if _, sent := body[k]; !sent {
				t.Fatalf("%s: %s was not sent but has a value", doc, k)
			}
		}
		_ = flow.ShowAsValues(vals)
		// Only a fully accepted body is stored: its values must be accepted again unchanged.
		if len(fe) > 0 {
			return
		}
		again, fe2 := flow.CheckValues(vals, "")
		if len(fe2) > 0 {
			t.Fatalf("%s: stored values %v refused when sent back: %v", doc, vals, fe2)
		}
		for k, v := range vals {
			if !bytes.Equal(again[k], v) {
				t.Fatalf("%s: %s normalized to %s, then to %s", doc, k, v, again[k])
			}
		}
	})
}

// checkProblems requires every problem to name a field of the body (under its prefix) with a
// message.
func checkProblems(t *testing.T, doc string, body map[string]json.RawMessage, fe FieldErrors) {
	t.Helper()
	for _, e := range fe {
		key, _, _ := strings.Cut(strings.TrimPrefix(e.Field, "tasks[0]."), "[")
		key, _, _ = strings.Cut(key, ".")
		if !strings.HasPrefix(e.Field, "tasks[0].") || e.Message == "" {
			t.Fatalf("%s: problem %+v lacks its field path or message", doc, e)
		}
		if _, ok := body[key]; !ok && !strings.Contains(e.Message, "required") {
			t.Fatalf("%s: problem %+v names a field that was not sent", doc, e)
		}
	}
}
