package httpapi_test

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
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldwork-dev/fieldwork/dispatch"
)

// TestWebhooks covers the webhook endpoints (SPEC §9): create, list, read, replace, delete and
// the deliveries list, every failedCode, If-Match, the secret never shown, permissions and
// isolation between organizations.
func TestWebhooks(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		e := newEnv(t)
		hub := e.seedHub("Jakarta")
		_, admin := e.seedUser("admin@acme.test", "Admin")
		_, hubAdmin := e.seedUser("hubadmin@acme.test", "Admin", hub)
		_, planner := e.seedUser("planner@acme.test", "Planner")
		_, field := e.seedUser("field@acme.test", "Field User")

		r := e.must(e.owner("POST", "/webhook", map[string]any{"url": "https://example.com/hooks", "events": []string{"onTaskCreated", "task.done", "onTaskFinished"},
			"secret": "whsec-1", "headers": map[string]string{"X-Api-Key": "k"}}), 201)
		w := r.obj("data")
		id := w["_id"].(string)
		if fmt.Sprint(w["events"]) != "[task.created task.done]" || w["hasSecret"] != true || w["format"] != "envelope" ||
			w["version"] != float64(1) || w["organizationId"] != e.OrgID || w["createdBy"] != "owner@acme.test" ||
			fmt.Sprint(w["headers"]) != "map[X-Api-Key:k]" || r.Header.Get("ETag") != `"1"` || r.Body["code"] != float64(201) {
			t.Fatalf("created webhook: %s", r.Raw)
		}
		if _, err := time.Parse("2006-01-02T15:04:05+00:00", w["createdTime"].(string)); err != nil {
			t.Errorf("createdTime %v: %v", w["createdTime"], err)
		}
		if strings.Contains(string(r.Raw), "whsec-1") || w["secret"] != nil {
			t.Fatalf("the secret was sent back: %s", r.Raw)
		}
		ok := map[string]any{"url": "https://example.com/h", "events": []string{"task.created"}}
		with := func(k string, v any) map[string]any {
			m := map[string]any{"url": "https://example.com/h", "events": []string{"task.created"}}
			m[k] = v
			return m
		}
		missing := "/webhook/000000000000000000000000"
		e.run(t, []apiCase{
			{"list", "GET", "/webhooks", "", nil, nil, 200, ""},
			{"list as Admin", "GET", "/webhooks", admin, nil, nil, 200, ""},
			{"list as Planner", "GET", "/webhooks", planner, nil, nil, 403, "auth-003"},
			{"list as Field User", "GET", "/webhooks", field, nil, nil, 403, "auth-003"},
			{"list as a hub-restricted Admin", "GET", "/webhooks", hubAdmin, nil, nil, 403, "auth-003"},
			{"list without token", "GET", "/webhooks", "-", nil, nil, 401, "auth-001"},
			{"create as Admin, mileapp", "POST", "/webhook", admin, with("format", "mileapp"), nil, 201, ""},
			{"create http with port", "POST", "/webhook", "", with("url", "http://127.0.0.1:9/x"), nil, 201, ""},
			{"create as Planner", "POST", "/webhook", planner, ok, nil, 403, "auth-003"},
			{"create as Field User", "POST", "/webhook", field, ok, nil, 403, "auth-003"},
			{"create as a hub-restricted Admin", "POST", "/webhook", hubAdmin, ok, nil, 403, "auth-003"},
			{"create without url", "POST", "/webhook", "", map[string]any{"events": []string{"task.created"}}, nil, 400, "webhk-032"},
			{"create with ftp url", "POST", "/webhook", "", with("url", "ftp://example.com"), nil, 400, "webhk-032"},
			{"create with relative url", "POST", "/webhook", "", with("url", "/hook"), nil, 400, "webhk-032"},
			{"create with url not a string", "POST", "/webhook", "", with("url", 5), nil, 400, "webhk-032"},
			{"create without events", "POST", "/webhook", "", map[string]any{"url": "https://example.com"}, nil, 400, "webhk-032"},
			{"create with no event", "POST", "/webhook", "", with("events", []string{}), nil, 400, "webhk-032"},
			{"create with an unknown event", "POST", "/webhook", "", with("events", []string{"task.exploded"}), nil, 400, "webhk-032"},
			{"create with events not an array", "POST", "/webhook", "", with("events", "task.created"), nil, 400, "webhk-032"},
			{"create with Content-Type header", "POST", "/webhook", "", with("headers", map[string]string{"Content-Type": "text/plain"}), nil, 400, "webhk-032"},
			{"create with a Fieldwork header", "POST", "/webhook", "", with("headers", map[string]string{"fieldwork-event-id": "x"}), nil, 400, "webhk-032"},
			{"create with a header value not a string", "POST", "/webhook", "", with("headers", map[string]any{"X-A": 1}), nil, 400, "webhk-032"},
			{"create with headers not an object", "POST", "/webhook", "", with("headers", []string{"X-A"}), nil, 400, "webhk-032"},
			{"create with a bad header name", "POST", "/webhook", "", with("headers", map[string]string{"X A": "1"}), nil, 400, "webhk-032"},
			{"create with an unknown format", "POST", "/webhook", "", with("format", "xml"), nil, 400, "webhk-032"},
			{"create with a secret not a string", "POST", "/webhook", "", with("secret", 42), nil, 400, "webhk-032"},
			{"create with an unknown key", "POST", "/webhook", "", with("active", true), nil, 400, "webhk-032"},
			{"create malformed json", "POST", "/webhook", "", `{"url":`, nil, 400, "req-013"},
			{"read", "GET", "/webhook/" + id, "", nil, nil, 200, ""},
			{"read as Admin", "GET", "/webhook/" + id, admin, nil, nil, 200, ""},
			{"read as Planner", "GET", "/webhook/" + id, planner, nil, nil, 403, "auth-003"},
			{"read malformed id", "GET", "/webhook/xyz", "", nil, nil, 404, "webhk-033"},
			{"read unknown id", "GET", missing, "", nil, nil, 404, "webhk-033"},
			{"replace without events", "PUT", "/webhook/" + id, "", map[string]any{"url": "https://example.com"}, nil, 400, "webhk-032"},
			{"replace unknown id", "PUT", missing, "", ok, nil, 404, "webhk-033"},
			{"replace malformed id", "PUT", "/webhook/xyz", "", ok, nil, 404, "webhk-033"},
			{"replace as Field User", "PUT", "/webhook/" + id, field, ok, nil, 403, "auth-003"},
			{"replace with stale If-Match", "PUT", "/webhook/" + id, "", ok, []string{"If-Match", `"7"`}, 412, "etag-032"},
			{"deliveries", "GET", "/webhook/" + id + "/deliveries", "", nil, nil, 200, ""},
			{"deliveries bad limit", "GET", "/webhook/" + id + "/deliveries?limit=0", "", nil, nil, 400, "webhk-032"},
			{"deliveries bad page", "GET", "/webhook/" + id + "/deliveries?page=x", "", nil, nil, 400, "webhk-032"},
			{"deliveries unknown id", "GET", missing + "/deliveries", "", nil, nil, 404, "webhk-033"},
			{"deliveries as Planner", "GET", "/webhook/" + id + "/deliveries", planner, nil, nil, 403, "auth-003"},
			{"delete unknown id", "DELETE", missing, "", nil, nil, 404, "webhk-033"},
			{"delete as Planner", "DELETE", "/webhook/" + id, planner, nil, nil, 403, "auth-003"},
			{"delete with stale If-Match", "DELETE", "/webhook/" + id, "", nil, []string{"If-Match", `"9"`}, 412, "etag-032"},
		})

		list := e.must(e.owner("GET", "/webhooks", nil), 200)
		if hooks := list.Body["data"].([]any); len(hooks) != 3 || hooks[0].(map[string]any)["_id"] != id {
			t.Fatalf("list, oldest first: %s", list.Raw)
		}

		// An Idempotency-Key makes a repeated create a replay (SPEC §1.9).
		first := e.must(e.owner("POST", "/webhook", ok, "Idempotency-Key", "hook-1"), 201)
		again := e.must(e.owner("POST", "/webhook", ok, "Idempotency-Key", "hook-1"), 201)
		if again.Header.Get("Idempotent-Replayed") != "true" || again.obj("data")["_id"] != first.obj("data")["_id"] {
			t.Fatalf("replay: %s", again.Raw)
		}
		e.must(e.owner("DELETE", "/webhook/"+first.obj("data")["_id"].(string), nil), 200)

		// A PUT replaces url, events, headers and format; the secret is kept unless sent. The
		// answer of a GET can be sent back as it is (its read-only keys are ignored).
		got := e.must(e.owner("GET", "/webhook/"+id, nil), 200)
		body := got.obj("data")
		body["url"], body["events"] = "https://example.com/v2", []string{"task.updated", "onTaskAssigned"}
		put := e.must(e.owner("PUT", "/webhook/"+id, body, "If-Match", `"1"`), 200)
		p := put.obj("data")
		if p["url"] != "https://example.com/v2" || fmt.Sprint(p["events"]) != "[task.updated task.assigned]" || p["hasSecret"] != true ||
			p["version"] != float64(2) || fmt.Sprint(p["headers"]) != "map[X-Api-Key:k]" || put.Header.Get("ETag") != `"2"` {
			t.Fatalf("replaced: %s", put.Raw)
		}
		p = e.must(e.do("PUT", "/webhook/"+id, admin, map[string]any{"url": "https://example.com/v3", "events": []string{"task.done"}}), 200).obj("data")
		if p["hasSecret"] != true || fmt.Sprint(p["headers"]) != "map[]" || p["format"] != "envelope" || p["updatedBy"] != "admin@acme.test" {
			t.Fatalf("replaced without headers: %v", p)
		}
		for _, secret := range []any{nil, ""} {
			e.must(e.owner("PUT", "/webhook/"+id, map[string]any{"url": "https://example.com", "events": []string{"task.done"}, "secret": "again"}), 200)
			p = e.must(e.owner("PUT", "/webhook/"+id, map[string]any{"url": "https://example.com", "events": []string{"task.done"}, "secret": secret}), 200).obj("data")
			if p["hasSecret"] != false {
				t.Fatalf("secret %v did not remove the secret: %v", secret, p)
			}
		}

		// Another organization sees none of it.
		_, _, other, err := e.Service.CreateOrganization(context.Background(), "Other", "boss@other.test", "")
		if err != nil {
			t.Fatal(err)
		}
		e.run(t, []apiCase{
			{"other organization reads", "GET", "/webhook/" + id, other, nil, nil, 404, "webhk-033"},
			{"other organization replaces", "PUT", "/webhook/" + id, other, ok, nil, 404, "webhk-033"},
			{"other organization's deliveries", "GET", "/webhook/" + id + "/deliveries", other, nil, nil, 404, "webhk-033"},
			{"other organization deletes", "DELETE", "/webhook/" + id, other, nil, nil, 404, "webhk-033"},
		})
		if l := e.must(e.do("GET", "/webhooks", other, nil), 200); len(l.Body["data"].([]any)) != 0 {
			t.Fatalf("other organization lists: %s", l.Raw)
		}

		del := e.must(e.owner("DELETE", "/webhook/"+id, nil), 200)
		if del.obj("data")["_id"] != id {
			t.Fatalf("delete answer: %s", del.Raw)
		}
		e.run(t, []apiCase{
			{"read deleted", "GET", "/webhook/" + id, "", nil, nil, 404, "webhk-033"},
			{"delete twice", "DELETE", "/webhook/" + id, "", nil, nil, 404, "webhk-033"},
		})
	})
}

// webhookHit is one request a test receiver got.
type webhookHit struct {
	header http.Header
	body   []byte
}

// webhookReceiver listens on 127.0.0.1 and answers every request with status.
type webhookReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	hits   []webhookHit
	status int
}

func newWebhookReceiver(t *testing.T, status int) *webhookReceiver {
	r := &webhookReceiver{status: status}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.hits = append(r.hits, webhookHit{req.Header.Clone(), b})
		r.mu.Unlock()
		w.WriteHeader(r.status)
	}))
	t.Cleanup(r.Close)
	return r
}

// wait returns the first n requests once they have come.
func (r *webhookReceiver) wait(t *testing.T, n int) []webhookHit {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		r.mu.Lock()
		hits := slices.Clone(r.hits)
		r.mu.Unlock()
		if len(hits) >= n {
			return hits[:n]
		}
		if time.Now().After(deadline) {
			t.Fatalf("the receiver got %d requests in 15 s, want %d", len(hits), n)
		}
	}
}

// TestWebhookDeliveries runs a dispatcher beside the API: an activity's changes reach an
// envelope webhook (signed) and a mileapp one (the bare master), a failing receiver's attempts
// are logged with their next retry, and GET /webhook/{id}/deliveries pages the attempts newest
// first.
func TestWebhookDeliveries(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		fx := newActivityFixture(t, true)
		env, mile, down := newWebhookReceiver(t, 200), newWebhookReceiver(t, 202), newWebhookReceiver(t, 500)
		hook := func(url string, body map[string]any) string {
			body["url"] = url
			return fx.must(fx.owner("POST", "/webhook", body), 201).obj("data")["_id"].(string)
		}
		envID := hook(env.URL, map[string]any{"events": []string{"onTaskCreated", "activity.created", "activity.status_changed", "onTaskFinished"},
			"secret": "s3cret", "headers": map[string]string{"Authorization": "Bearer receiver-token"}})
		mileID := hook(mile.URL, map[string]any{"events": []string{"activity.created", "activity.status_changed"}, "format": "mileapp"})
		downID := hook(down.URL, map[string]any{"events": []string{"activity.created"}})
		d := dispatch.New(fx.Service, dispatch.Config{MinPoll: 5 * time.Millisecond, MaxPoll: 20 * time.Millisecond,
			Logger: slog.New(slog.DiscardHandler)})
		d.Start()
		t.Cleanup(func() { _ = d.Stop(context.Background()) })

		master := fx.must(fx.owner("POST", "/activity", fx.body(nil, nil)), 201).obj("data")
		steps := master["subId"].([]any)
		fx.must(fx.owner("PUT", "/task/"+steps[0].(string)+"/assign", map[string]any{"assignee": []string{"ana@acme.test"}}), 200)
		fx.must(fx.owner("POST", "/task/"+steps[0].(string)+"/done", map[string]any{}), 200)

		// The envelope webhook: activity.created, task.created × 2, task.done, then the
		// master's status change, each signed.
		hits := env.wait(t, 5)
		var types []string
		for _, h := range hits {
			types = append(types, h.header.Get("Fieldwork-Event-Type"))
			ts, v1, _ := strings.Cut(h.header.Get("Fieldwork-Signature"), ",v1=")
			mac := hmac.New(sha256.New, []byte("s3cret"))
			mac.Write([]byte(strings.TrimPrefix(ts, "t=") + "." + string(h.body)))
			if want := hex.EncodeToString(mac.Sum(nil)); !strings.HasPrefix(ts, "t=") || !hmac.Equal([]byte(v1), []byte(want)) {
				t.Errorf("signature %q does not verify", h.header.Get("Fieldwork-Signature"))
			}
			var ev struct {
				ID   string         `json:"id"`
				Type string         `json:"type"`
				Data map[string]any `json:"data"`
			}
			if err := json.Unmarshal(h.body, &ev); err != nil || ev.ID != h.header.Get("Fieldwork-Event-Id") || ev.Type != h.header.Get("Fieldwork-Event-Type") {
				t.Errorf("envelope %s does not match its headers %v", h.body, h.header)
			}
			if h.header.Get("Authorization") != "Bearer receiver-token" || h.header.Get("Content-Type") != "application/json" {
				t.Errorf("headers %v", h.header)
			}
		}
		slices.Sort(types)
		if want := []string{"activity.created", "activity.status_changed", "task.created", "task.created", "task.done"}; !slices.Equal(types, want) {
			t.Errorf("event types delivered %v, want %v", types, want)
		}

		// The mileapp webhook: the bare master, twice (created, and after its status change).
		for i, h := range mile.wait(t, 2) {
			var task map[string]any
			_ = json.Unmarshal(h.body, &task)
			if task["_id"] != master["_id"] || task["taskType"] != "activityMaster" || task["type"] != nil || h.header.Get("Fieldwork-Signature") != "" {
				t.Errorf("mileapp delivery %d: %s", i, h.body)
			}
			// Deliveries may arrive in any order: the event type says which this is.
			if h.header.Get("Fieldwork-Event-Type") == "activity.status_changed" && task["subStatus"] != "Picked up" {
				t.Errorf("status change delivered with subStatus %v", task["subStatus"])
			}
		}

		// The failing receiver: its attempt is logged with the reason and the next retry.
		down.wait(t, 1)
		var failed map[string]any
		for deadline := time.Now().Add(15 * time.Second); failed == nil && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			page := fx.must(fx.owner("GET", "/webhook/"+downID+"/deliveries", nil), 200).obj("data")
			if items := page["data"].([]any); len(items) == 1 {
				failed = items[0].(map[string]any)
			}
		}
		if failed == nil || failed["outcome"] != "failure" || failed["statusCode"] != float64(500) || failed["error"] == nil ||
			failed["nextRetryTime"] == nil || failed["attempt"] != float64(1) || failed["eventType"] != "activity.created" {
			t.Fatalf("failed attempt: %v", failed)
		}

		// Deliveries of the envelope webhook, newest first, paged.
		var all []any
		for deadline := time.Now().Add(15 * time.Second); len(all) < 5 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			all = fx.must(fx.owner("GET", "/webhook/"+envID+"/deliveries", nil), 200).obj("data")["data"].([]any)
		}
		if len(all) != 5 {
			t.Fatalf("%d attempts listed, want 5", len(all))
		}
		for i, a := range all {
			a := a.(map[string]any)
			if a["outcome"] != "success" || a["statusCode"] != float64(200) || a["error"] != nil || a["nextRetryTime"] != nil || a["webhookId"] != envID {
				t.Errorf("attempt %d: %v", i, a)
			}
			if i > 0 && a["attemptTime"].(string) > all[i-1].(map[string]any)["attemptTime"].(string) {
				t.Errorf("attempts not newest first at %d", i)
			}
		}
		page := fx.must(fx.owner("GET", "/webhook/"+envID+"/deliveries?limit=2&page=2", nil), 200).obj("data")
		if page["total"] != float64(5) || page["current_page"] != float64(2) || len(page["data"].([]any)) != 2 ||
			page["data"].([]any)[0].(map[string]any)["_id"] != all[2].(map[string]any)["_id"] {
			t.Fatalf("page 2 of 2-item pages: %v", page)
		}
		if n := len(fx.must(fx.owner("GET", "/webhook/"+mileID+"/deliveries", nil), 200).obj("data")["data"].([]any)); n != 2 {
			t.Errorf("mileapp webhook lists %d attempts, want 2", n)
		}
	})
}
