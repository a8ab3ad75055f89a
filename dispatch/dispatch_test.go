package dispatch_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fieldwork-dev/fieldwork"
	"github.com/fieldwork-dev/fieldwork/dispatch"
	"github.com/fieldwork-dev/fieldwork/internal/testdb"
	"github.com/fieldwork-dev/fieldwork/postgres"
	"github.com/fieldwork-dev/fieldwork/sqlite"
)

// eachEngine runs fn once per storage engine, as the subtests t/sqlite and t/postgres.
func eachEngine(t *testing.T, fn func(t *testing.T, engine string)) {
	t.Helper()
	for _, engine := range testdb.Engines() {
		t.Run(engine, func(t *testing.T) { fn(t, engine) })
	}
}

// clock is a settable clock for the service: tests move it to reach retry times.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// world is an organization on a fresh store of one engine, with a hub, a flow and its Owner.
type world struct {
	t     *testing.T
	svc   *fieldwork.Service
	clock *clock
	owner *fieldwork.Caller
	hubID string
}

func newWorld(t *testing.T, engine string) *world {
	t.Helper()
	return newWorldOn(t, openStores(t, engine, 1)[0])
}

// newWorldOn creates the world's organization on a store.
func newWorldOn(t *testing.T, st fieldwork.Store) *world {
	t.Helper()
	ctx := t.Context()
	clk := newClock()
	svc := fieldwork.NewService(st)
	svc.Clock = clk.Now
	svc.Logger = slog.New(slog.DiscardHandler)
	_, owner, _, err := svc.CreateOrganization(ctx, "Acme", "owner@acme.test", "")
	if err != nil {
		t.Fatal(err)
	}
	c := &fieldwork.Caller{User: owner}
	hub, err := svc.CreateHub(ctx, c, fieldwork.HubInput{Name: ptr("Jakarta"), Address: ptr("Jl. Sudirman 1"), Lat: ptr(-6.2), Lng: ptr(106.8)})
	if err != nil {
		t.Fatal(err)
	}
	var pages []fieldwork.Page
	if err := json.Unmarshal([]byte(`[{"id": "page0", "components": [{"component": "input", "id": "note", "title": "Note"}]}]`), &pages); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateFlow(ctx, c, fieldwork.FlowInput{Name: ptr("Delivery"), Pages: &pages}); err != nil {
		t.Fatal(err)
	}
	return &world{t: t, svc: svc, clock: clk, owner: c, hubID: hub.ID}
}

// openStores opens n stores of the engine on ONE fresh database, as n server instances would:
// on SQLite n handles of one file, on PostgreSQL n pools on one schema.
func openStores(t *testing.T, engine string, n int) []fieldwork.Store {
	t.Helper()
	var stores []fieldwork.Store
	switch engine {
	case testdb.SQLite:
		path := filepath.Join(t.TempDir(), "fieldwork.db")
		for i := 0; i < n; i++ {
			st, err := sqlite.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			if err := st.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
			stores = append(stores, st)
		}
	case testdb.Postgres:
		dsn := testdb.PostgresSchemaDSN(t)
		for i := 0; i < n; i++ {
			st, err := postgres.Open(t.Context(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			stores = append(stores, st)
		}
	}
	return stores
}

// instance returns a service of another server instance: on another store of the same
// database, with the world's clock.
func (w *world) instance(st fieldwork.Store) *fieldwork.Service {
	svc := fieldwork.NewService(st)
	svc.Clock = w.clock.Now
	svc.Logger = w.svc.Logger
	return svc
}

func ptr[T any](v T) *T { return &v }

// createTask creates a task through the service (and so its event and deliveries).
func (w *world) createTask(title string) *fieldwork.Task {
	w.t.Helper()
	body := map[string]json.RawMessage{}
	for k, v := range map[string]any{"flow": "Delivery", "hubId": w.hubID, "title": title} {
		body[k], _ = json.Marshal(v)
	}
	task, err := w.svc.CreateTask(context.Background(), w.owner, body)
	if err != nil {
		w.t.Fatal(err)
	}
	return task
}

// webhook creates a webhook through the service.
func (w *world) webhook(in fieldwork.WebhookInput) *fieldwork.Webhook {
	w.t.Helper()
	hook, err := w.svc.CreateWebhook(context.Background(), w.owner, in)
	if err != nil {
		w.t.Fatal(err)
	}
	return hook
}

// attempts returns a webhook's logged attempts, newest first.
func (w *world) attempts(hookID string) []*fieldwork.DeliveryAttempt {
	w.t.Helper()
	list, _, err := w.svc.FindWebhookDeliveries(context.Background(), w.owner, hookID, 0, 1000)
	if err != nil {
		w.t.Fatal(err)
	}
	return list
}

// waitAttempts waits until the webhook has logged n attempts and returns them, newest first.
func (w *world) waitAttempts(hookID string, n int) []*fieldwork.DeliveryAttempt {
	w.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		got := w.attempts(hookID)
		if len(got) >= n {
			if len(got) > n {
				w.t.Fatalf("%d attempts logged, want %d", len(got), n)
			}
			return got
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("%d attempts logged after 15 s, want %d", len(got), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// dispatcher starts a fast-polling dispatcher on the world's service, stopped when the test ends.
func (w *world) dispatcher(cfg dispatch.Config) *dispatch.Dispatcher {
	w.t.Helper()
	return w.dispatcherOn(w.svc, cfg)
}

// dispatcherOn starts a fast-polling dispatcher on a service, stopped when the test ends.
func (w *world) dispatcherOn(svc *fieldwork.Service, cfg dispatch.Config) *dispatch.Dispatcher {
	w.t.Helper()
	if cfg.MinPoll == 0 {
		cfg.MinPoll, cfg.MaxPoll = 5*time.Millisecond, 20*time.Millisecond
	}
	cfg.Logger = slog.New(slog.DiscardHandler)
	d := dispatch.New(svc, cfg)
	d.Start()
	w.t.Cleanup(func() { _ = d.Stop(context.Background()) })
	return d
}

// hit is one request a receiver got.
type hit struct {
	Header http.Header
	Body   []byte
}

// receiver is a webhook endpoint on 127.0.0.1 that records what it gets and answers with
// answer(n, req) for its n-th request (n from 1; 200 when answer is nil).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	hits   []hit
	answer func(n int, req *http.Request) int
}

func newReceiver(t *testing.T, answer func(n int, req *http.Request) int) *receiver {
	r := &receiver{answer: answer}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.hits = append(r.hits, hit{Header: req.Header.Clone(), Body: body})
		n := len(r.hits)
		r.mu.Unlock()
		status := http.StatusOK
		if r.answer != nil {
			status = r.answer(n, req)
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) got() []hit {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.hits)
}

// verifySignature checks a Fieldwork-Signature header as a receiver would: split t and v1,
// recompute the HMAC-SHA256 of "<t>.<body>" with the shared secret and compare in constant
// time. It returns t.
func verifySignature(t *testing.T, header, secret string, body []byte) int64 {
	t.Helper()
	var ts, v1 string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			v1 = v
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || v1 == "" {
		t.Fatalf("signature header %q: want t=<unix>,v1=<hex>", header)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "%s.%s", ts, body)
	got, err := hex.DecodeString(v1)
	if err != nil || !hmac.Equal(got, mac.Sum(nil)) {
		t.Fatalf("signature %q does not verify with the secret over %q", header, body)
	}
	return unix
}

// metric returns the value of a metric (with the label value, if any) the dispatcher exports.
func metric(t *testing.T, d *dispatch.Dispatcher, name, outcome string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(d.Collectors()...)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if outcome != "" && (len(m.GetLabel()) != 1 || m.GetLabel()[0].GetValue() != outcome) {
				continue
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s{%s}", name, outcome)
	return 0
}

// TestDelivery delivers a created task to two webhooks: an envelope with a secret and custom
// headers, subscribed through official aliases, and a mileapp one without a secret. Each gets
// exactly the documented headers and body, the signature verifies, and the attempts are logged.
func TestDelivery(t *testing.T) {
	eachEngine(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		env, mile := newReceiver(t, nil), newReceiver(t, func(int, *http.Request) int { return http.StatusNoContent })
		hookEnv := w.webhook(fieldwork.WebhookInput{URL: ptr(env.URL + "/hooks?x=1"), Events: []string{"onTaskCreated", "onTaskFinished"},
			Secret: ptr("whsec-123"), Headers: map[string]string{"X-Api-Key": "k-1", "authorization": "Bearer abc"}})
		hookMile := w.webhook(fieldwork.WebhookInput{URL: ptr(mile.URL), Events: []string{fieldwork.EventTaskCreated, fieldwork.EventTaskUpdated},
			Format: ptr(fieldwork.WebhookFormatMileApp)})
		if !slices.Equal(hookEnv.Events, []string{fieldwork.EventTaskCreated, fieldwork.EventTaskDone}) {
			t.Fatalf("aliases stored as %v", hookEnv.Events)
		}
		d := w.dispatcher(dispatch.Config{})
		task := w.createTask("Deliver parcel")

		attempts := w.waitAttempts(hookEnv.ID, 1)
		w.waitAttempts(hookMile.ID, 1)
		events, err := w.svc.FindEvents(context.Background(), w.owner, 0, 10)
		if err != nil || len(events) != 1 {
			t.Fatalf("events: %v %v", events, err)
		}
		ev := events[0]

		h := env.got()[0]
		for name, want := range map[string]string{
			"Content-Type": "application/json", "Fieldwork-Event-Id": ev.ID, "Fieldwork-Event-Type": "task.created",
			"X-Api-Key": "k-1", "Authorization": "Bearer abc",
		} {
			if got := h.Header.Get(name); got != want {
				t.Errorf("envelope delivery header %s = %q, want %q", name, got, want)
			}
		}
		ts := verifySignature(t, h.Header.Get("Fieldwork-Signature"), "whsec-123", h.Body)
		if ts != w.clock.Now().Unix() {
			t.Errorf("signature time %d, want the attempt's %d", ts, w.clock.Now().Unix())
		}
		var envelope map[string]json.RawMessage
		if err := json.Unmarshal(h.Body, &envelope); err != nil {
			t.Fatal(err)
		}
		if keys := sortedKeys(envelope); !slices.Equal(keys, []string{"data", "id", "occurredTime", "organizationId", "type"}) {
			t.Errorf("envelope keys %v", keys)
		}
		var data fieldwork.Task
		_ = json.Unmarshal(envelope["data"], &data)
		if string(envelope["id"]) != `"`+ev.ID+`"` || string(envelope["type"]) != `"task.created"` ||
			string(envelope["organizationId"]) != `"`+task.OrganizationID+`"` || data.ID != task.ID ||
			string(envelope["occurredTime"]) != `"`+w.clock.Now().Format(fieldwork.TaskLayout)+`"` {
			t.Errorf("envelope: %s", h.Body)
		}

		m := mile.got()[0]
		if m.Header.Get("Fieldwork-Signature") != "" || m.Header.Get("Fieldwork-Event-Id") != ev.ID || m.Header.Get("Content-Type") != "application/json" {
			t.Errorf("mileapp delivery headers: %v", m.Header)
		}
		var bare map[string]any
		_ = json.Unmarshal(m.Body, &bare)
		if bare["_id"] != task.ID || bare["title"] != "Deliver parcel" || bare["type"] != nil || bare["data"] != nil {
			t.Errorf("mileapp body is not the bare task: %s", m.Body)
		}

		a := attempts[0]
		if a.Outcome != fieldwork.OutcomeSuccess || a.StatusCode == nil || *a.StatusCode != 200 || a.Error != nil ||
			a.EventID != ev.ID || a.EventType != "task.created" || a.Attempt != 1 || !a.NextRetryTime.IsZero() {
			t.Errorf("logged attempt: %+v", a)
		}
		// The counter moves just after the attempt is logged.
		for deadline := time.Now().Add(time.Second); metric(t, d, "fieldwork_webhook_deliveries_total", "success") != 2 && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		if got := metric(t, d, "fieldwork_webhook_deliveries_total", "success"); got != 2 {
			t.Errorf("success counter %v, want 2", got)
		}
		if got := metric(t, d, "fieldwork_webhook_queue_depth", ""); got != 0 {
			t.Errorf("queue depth %v after delivery, want 0", got)
		}

		// An update reaches only the mileapp webhook; the envelope one does not subscribe.
		patch := map[string]json.RawMessage{"title": json.RawMessage(`"Changed"`)}
		if _, err := w.svc.UpdateTask(context.Background(), w.owner, task.ID, fieldwork.ChangePatch, patch, nil); err != nil {
			t.Fatal(err)
		}
		w.waitAttempts(hookMile.ID, 2)
		time.Sleep(50 * time.Millisecond)
		if n := len(env.got()); n != 1 {
			t.Errorf("the envelope webhook got %d deliveries, want 1", n)
		}
	})
}

func sortedKeys[V any](m map[string]V) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
