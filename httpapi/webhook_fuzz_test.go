package httpapi

import (
	"encoding/json"
	"testing"
)

// FuzzWebhookBody sends hostile webhook bodies to create and replace (the invariant of
// fuzz_test.go: never a panic, never a 5xx, every refusal the error envelope). Webhooks created
// on the way are deleted again, so the organization's limit is never reached.
func FuzzWebhookBody(f *testing.F) {
	for _, seed := range []string{
		`{"url": "https://example.com/h", "events": ["onTaskCreated", "task.done"], "secret": "s", "headers": {"X-Key": "v"}, "format": "mileapp"}`,
		`{"url": "http://127.0.0.1:1/x?y=1#z", "events": ["activity.status_changed"], "secret": null, "headers": {}}`,
		`{"url": "ftp://x", "events": "task.created", "headers": {"Content-Type": "text/plain", "Fieldwork-Event-Id": "1"}}`,
		`{"url": 5, "events": [1, null], "headers": {"X A": "\r\nInjected: 1"}, "format": "xml"}`,
		`{"url": "https://example.com", "events": ["task.created"], "_id": "x", "version": 99, "hasSecret": true}`,
		`{"url": "https://[::1]:99999/", "events": [], "secret": "\u00e9\ud800"}`,
		`[]`, `{`, `{"headers": []}`, `{"headers": {"": ""}}`,
	} {
		f.Add(seed)
	}
	e := newFuzzEnv(f)
	hook := e.call(f, "POST", "/api/v3/webhook", `{"url": "https://example.com", "events": ["task.created"]}`)
	id := hook["data"].(map[string]any)["_id"].(string)
	f.Fuzz(func(t *testing.T, body string) {
		rec := e.serve("POST", "/api/v3/webhook", body)
		checkAnswer(t, rec, body)
		if rec.Code == 201 {
			var m map[string]any
			_ = json.Unmarshal(rec.Body.Bytes(), &m)
			checkAnswer(t, e.serve("DELETE", "/api/v3/webhook/"+m["data"].(map[string]any)["_id"].(string), ""), body)
		}
		checkAnswer(t, e.serve("PUT", "/api/v3/webhook/"+id, body), body)
	})
}
