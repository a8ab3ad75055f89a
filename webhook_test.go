package fieldwork

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestValidateWebhook(t *testing.T) {
	str := func(s string) *string { return &s }
	ok := func() WebhookInput {
		return WebhookInput{URL: str("https://example.com/hook"), Events: []string{"task.created"}}
	}
	for _, tt := range []struct {
		name   string
		edit   func(in *WebhookInput)
		field  string // "" = valid
		events []string
	}{
		{"minimal", func(*WebhookInput) {}, "", []string{"task.created"}},
		{"http with port, path and query", func(in *WebhookInput) { in.URL = str(" http://127.0.0.1:8080/a?b=c ") }, "", nil},
		{"aliases become types, repeats go", func(in *WebhookInput) {
			in.Events = []string{"onTaskCreated", "task.created", "onTaskFinished", "onTaskAssigned", "activity.status_changed"}
		}, "", []string{"task.created", "task.done", "task.assigned", "activity.status_changed"}},
		{"every option", func(in *WebhookInput) {
			in.Secret, in.Format = str("s"), str("mileapp")
			in.Headers = map[string]string{"X-Api-Key": "k", "Authorization": "Bearer x", "User-Agent": "me"}
		}, "", nil},
		{"empty secret", func(in *WebhookInput) { in.Secret = str("") }, "", nil},
		{"no url", func(in *WebhookInput) { in.URL = nil }, "url", nil},
		{"empty url", func(in *WebhookInput) { in.URL = str("") }, "url", nil},
		{"relative url", func(in *WebhookInput) { in.URL = str("/hook") }, "url", nil},
		{"ftp url", func(in *WebhookInput) { in.URL = str("ftp://example.com/x") }, "url", nil},
		{"url without host", func(in *WebhookInput) { in.URL = str("https:///x") }, "url", nil},
		{"opaque url", func(in *WebhookInput) { in.URL = str("https:example.com") }, "url", nil},
		{"url with a space", func(in *WebhookInput) { in.URL = str("https://example.com/a b") }, "url", nil},
		{"url too long", func(in *WebhookInput) { in.URL = str("https://example.com/" + strings.Repeat("a", 2048)) }, "url", nil},
		{"no events", func(in *WebhookInput) { in.Events = nil }, "events", nil},
		{"empty events", func(in *WebhookInput) { in.Events = []string{} }, "events", nil},
		{"unknown event", func(in *WebhookInput) { in.Events = []string{"task.created", "task.exploded"} }, "events[1]", nil},
		{"alias in the wrong case", func(in *WebhookInput) { in.Events = []string{"ontaskcreated"} }, "events[0]", nil},
		{"secret with a line break", func(in *WebhookInput) { in.Secret = str("a\nb") }, "secret", nil},
		{"secret too long", func(in *WebhookInput) { in.Secret = str(strings.Repeat("s", 256)) }, "secret", nil},
		{"Content-Type header", func(in *WebhookInput) { in.Headers = map[string]string{"content-type": "text/plain"} }, "headers.content-type", nil},
		{"Fieldwork header", func(in *WebhookInput) { in.Headers = map[string]string{"Fieldwork-Signature": "x"} }, "headers.Fieldwork-Signature", nil},
		{"other Fieldwork header", func(in *WebhookInput) { in.Headers = map[string]string{"FIELDWORK-Anything": "x"} }, "headers.FIELDWORK-Anything", nil},
		{"Host header", func(in *WebhookInput) { in.Headers = map[string]string{"Host": "x"} }, "headers.Host", nil},
		{"Content-Length header", func(in *WebhookInput) { in.Headers = map[string]string{"Content-Length": "1"} }, "headers.Content-Length", nil},
		{"bad header name", func(in *WebhookInput) { in.Headers = map[string]string{"X Key": "x"} }, "headers.X Key", nil},
		{"empty header name", func(in *WebhookInput) { in.Headers = map[string]string{"": "x"} }, "headers", nil},
		{"header value with a line break", func(in *WebhookInput) { in.Headers = map[string]string{"X-A": "a\r\nX-B: b"} }, "headers.X-A", nil},
		{"header value with outer blanks", func(in *WebhookInput) { in.Headers = map[string]string{"X-A": " a"} }, "headers.X-A", nil},
		{"header twice in two cases", func(in *WebhookInput) { in.Headers = map[string]string{"X-A": "a", "x-a": "b"} }, "headers.x-a", nil},
		{"too many headers", func(in *WebhookInput) {
			in.Headers = map[string]string{}
			for i := range 51 {
				in.Headers["X-H"+strings.Repeat("a", i)] = "v"
			}
		}, "headers", nil},
		{"unknown format", func(in *WebhookInput) { in.Format = str("xml") }, "format", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := ok()
			tt.edit(&in)
			events, err := validateWebhook(in)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if tt.events != nil && !slices.Equal(events, tt.events) {
					t.Fatalf("events %v, want %v", events, tt.events)
				}
				return
			}
			e, isErr := err.(*Error)
			if !isErr || e.FailedCode != "webhk-032" || len(e.Fields) == 0 || e.Fields[0].Field != tt.field {
				t.Fatalf("error %v, want webhk-032 on %q", err, tt.field)
			}
		})
	}
}

func TestNextDeliveryAttempt(t *testing.T) {
	first := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name  string
		after time.Duration // the failed attempt, after the first
		n     int
		want  time.Duration // the next attempt, after the first; -1 = give up
	}{
		{"first failure: 10 s", 0, 1, 10 * time.Second},
		{"second: 20 s", 10 * time.Second, 2, 30 * time.Second},
		{"third: 40 s", 30 * time.Second, 3, 70 * time.Second},
		{"ninth: 2560 s", time.Hour, 9, time.Hour + 2560*time.Second},
		{"tenth: capped at 1 h", 2 * time.Hour, 10, 3 * time.Hour},
		{"fiftieth: still 1 h", 5 * time.Hour, 50, 6 * time.Hour},
		{"near the end: the end of the window", 23*time.Hour + 30*time.Minute, 30, 24 * time.Hour},
		{"at the end: give up", 24 * time.Hour, 31, -1},
		{"after the end: give up", 25 * time.Hour, 31, -1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			next, ok := NextDeliveryAttempt(first, first.Add(tt.after), tt.n)
			if tt.want < 0 {
				if ok {
					t.Fatalf("retry at %v, want give up", next.Sub(first))
				}
				return
			}
			if !ok || !next.Equal(first.Add(tt.want)) {
				t.Fatalf("next %v (%v), want %v", next.Sub(first), ok, tt.want)
			}
		})
	}
}

func TestWebhookSignature(t *testing.T) {
	// Computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret
	got := WebhookSignature("secret", time.Unix(1700000000, 0), []byte(`{"a":1}`))
	want := "t=1700000000,v1=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686"
	if got != want {
		t.Fatalf("signature %q, want %q", got, want)
	}
}

func TestWebhookPayload(t *testing.T) {
	task := &Task{ID: "64b7c2f0aaaaaaaaaaaaaaaa", OrganizationID: "64b7c2f0bbbbbbbbbbbbbbbb", Flow: "Delivery",
		Status: StatusOngoing, TaskType: TaskTypeActivityMaster, Title: ptr("Job"), Assignee: []string{}}
	e := NewEvent(ActionRollup, task, task, time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	e.OrganizationID = task.OrganizationID
	env, err := WebhookPayload(&Webhook{Format: WebhookFormatEnvelope}, e)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	_ = json.Unmarshal(env, &m)
	if len(m) != 5 || string(m["id"]) != `"`+e.ID+`"` || string(m["type"]) != `"task.updated"` ||
		string(m["occurredTime"]) != `"2025-01-02T03:04:05+00:00"` || string(m["organizationId"]) != `"64b7c2f0bbbbbbbbbbbbbbbb"` {
		t.Fatalf("envelope %s", env)
	}
	bare, err := WebhookPayload(&Webhook{Format: WebhookFormatMileApp}, e)
	if err != nil {
		t.Fatal(err)
	}
	if string(bare) != string(m["data"]) {
		t.Fatalf("mileapp body %s, want the envelope's data %s", bare, m["data"])
	}
}
