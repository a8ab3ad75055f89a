package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fieldwork-dev/fieldwork"
	"github.com/fieldwork-dev/fieldwork/httpapi"
	"github.com/fieldwork-dev/fieldwork/internal/testdb"
)

// newEnvAt is newEnv with the service's clock reading *now (Unix microseconds), installed
// before the server starts so that moving it is no data race.
func newEnvAt(t *testing.T, now *atomic.Int64) *env {
	t.Helper()
	svc := fieldwork.NewService(testdb.Open(t, engineOf(t)))
	svc.Clock = func() time.Time { return time.UnixMicro(now.Load()) }
	org, _, secret, err := svc.CreateOrganization(context.Background(), "Acme", "owner@acme.test", "")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.NewServer(svc, slog.New(slog.NewTextHandler(io.Discard, nil)), ""))
	t.Cleanup(srv.Close)
	return &env{t: t, URL: srv.URL, Token: secret, Service: svc, OrgID: org.ID}
}

// idem sends a request as the Owner with an Idempotency-Key.
func (e *env) idem(method, path, key string, body any) resp {
	e.t.Helper()
	return e.owner(method, path, body, "Idempotency-Key", key)
}

// wantReplay checks that again replays first: same status, the same bytes, and the header.
func wantReplay(t *testing.T, first, again resp) {
	t.Helper()
	if first.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("the first answer says it is replayed")
	}
	if again.Status != first.Status || !bytes.Equal(again.Raw, first.Raw) {
		t.Fatalf("replay %d %s\nwant %d %s", again.Status, again.Raw, first.Status, first.Raw)
	}
	if got := again.Header.Get("Idempotent-Replayed"); got != "true" {
		t.Fatalf("Idempotent-Replayed = %q on a replay", got)
	}
	if ct := again.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q on a replay", ct)
	}
}

// TestIdempotencyReplay sends every create of SPEC §1.9 twice with one key: the second answer
// is the first, byte for byte, with Idempotent-Replayed, and nothing more is created.
func TestIdempotencyReplay(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		fx := newActivityFixture(t, false)
		task := map[string]any{"flow": "Pickup", "hubId": fx.hub, "orderNo": "T-1"}
		count := func(path string, keys ...string) func() int {
			return func() int {
				v := any(fx.must(fx.owner("GET", path, nil), 200).Body)
				for _, k := range keys {
					v = v.(map[string]any)[k]
				}
				if list, ok := v.([]any); ok {
					return len(list)
				}
				return int(v.(float64))
			}
		}
		activities := count("/activities", "data", "total")
		for _, tt := range []struct {
			name, path string
			body       any
			status     int
			count      func() int // objects of the kind created, when the test counts them
		}{
			{"hub", "/hub", map[string]any{"name": "Depot", "address": "a", "lat": 1, "lng": 2}, 200, count("/hubs", "data")},
			{"flow", "/flow", flowSimple("Idem Flow"), 201, count("/flows", "flows", "total")},
			{"workflow", "/internal/workflows", map[string]any{"name": "Idem Route", "steps": []any{map[string]any{"flowId": fx.pickup.ID}}}, 201,
				count("/internal/workflows", "pagination", "total")},
			{"task", "/task", task, 201, fx.taskCount},
			{"tasks bulk", "/tasks/bulk", map[string]any{"tasks": []any{task, task}}, 201, fx.taskCount},
			{"activity", "/activity", fx.body(nil, nil), 201, activities},
			{"internal activity", "/internal/activity", fx.body(nil, nil), 201, activities},
			{"activities bulk", "/activities/bulk", map[string]any{"activities": []any{fx.body(nil, nil)}}, 201, activities},
			{"user", "/user", map[string]any{"email": "idem@acme.test", "name": "Idem", "role": "Planner"}, 201, count("/users", "data")},
			{"token", "/token", map[string]any{"name": "idem"}, 200, count("/tokens", "data")},
			{"user token", "/user/" + fx.worker.ID + "/token", map[string]any{"name": "idem"}, 200, nil},
		} {
			t.Run(tt.name, func(t *testing.T) {
				sub := *fx.env
				sub.t = t
				before := 0
				if tt.count != nil {
					before = tt.count()
				}
				first := sub.must(sub.idem("POST", tt.path, "key-"+tt.name, tt.body), tt.status)
				created := 0
				if tt.count != nil {
					created = tt.count() - before
				}
				wantReplay(t, first, sub.idem("POST", tt.path, "key-"+tt.name, tt.body))
				wantReplay(t, first, sub.idem("POST", tt.path+"/", "key-"+tt.name, tt.body)) // one trailing slash is the same path
				if tt.count != nil {
					if n := tt.count() - before; n != created || n == 0 {
						t.Fatalf("%d objects after the replays, %d after the first request", n, created)
					}
				}
			})
		}
	})
}

// TestIdempotencyRules: the conflict and validation answers, answers that are not stored, the
// key's scope (organization and user) and the routes that ignore the header.
func TestIdempotencyRules(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		e := newEnv(t)
		hub := map[string]any{"name": "Depot", "address": "a", "lat": 1, "lng": 2}
		first := e.must(e.idem("POST", "/hub", "k1", hub), 200)
		hubID := first.obj("data")["_id"].(string)
		key := func(k string) []string { return []string{"Idempotency-Key", k} }
		e.run(t, []apiCase{
			{"another body", "POST", "/hub", "", map[string]any{"name": "Other", "address": "a", "lat": 1, "lng": 2}, key("k1"), 409, "idem-031"},
			{"same body, another route", "POST", "/flow", "", hub, key("k1"), 409, "idem-031"},
			{"empty key", "POST", "/hub", "", hub, key(""), 400, "idem-003"},
			{"256 characters", "POST", "/hub", "", hub, key(strings.Repeat("k", 256)), 400, "idem-003"},
			{"non-ASCII", "POST", "/hub", "", hub, key("clé"), 400, "idem-003"},
			{"control character", "POST", "/hub", "", hub, key("a\tb"), 400, "idem-003"},
			{"bad key, no token", "POST", "/hub", "-", hub, key(""), 401, "auth-001"},
			{"255 characters", "POST", "/hub", "", map[string]any{"name": "Long", "address": "a", "lat": 1, "lng": 2}, key(strings.Repeat("k", 255)), 200, ""},
			// Elsewhere the header is ignored, even a bad one.
			{"ignored on a list", "GET", "/hubs", "", nil, key(""), 200, ""},
			{"ignored on a read", "GET", "/hub/" + hubID, "", nil, key("k1"), 200, ""},
			{"ignored on an update", "PATCH", "/hub/" + hubID, "", map[string]any{"address": "b"}, key("\t"), 200, ""},
			{"ignored on an update, again", "PATCH", "/hub/" + hubID, "", map[string]any{"address": "c"}, key("k1"), 200, ""},
		})
		if r := e.idem("PATCH", "/hub/"+hubID, "k1", map[string]any{"address": "d"}); r.Header.Get("Idempotent-Replayed") != "" || r.obj("data")["address"] != "d" {
			t.Fatalf("a PATCH with a key was replayed: %s", r.Raw)
		}

		t.Run("a failed answer is not stored", func(t *testing.T) {
			sub := *e
			sub.t = t
			bad := map[string]any{"name": "Fix"}
			for range 2 { // the same failure again is run again, not replayed
				if r := sub.idem("POST", "/hub", "k2", bad); r.Status != 400 || r.str("failedCode") != "hub-032" || r.Header.Get("Idempotent-Replayed") != "" {
					t.Fatalf("invalid hub: %d %s", r.Status, r.Raw)
				}
			}
			fixed := map[string]any{"name": "Fix", "address": "a", "lat": 1, "lng": 2}
			ok := sub.must(sub.idem("POST", "/hub", "k2", fixed), 200) // the corrected retry reuses the key
			wantReplay(t, ok, sub.idem("POST", "/hub", "k2", fixed))
			// A refusal after a write (the taken name is found on insert) keeps nothing either.
			dup := map[string]any{"name": "FIX", "address": "a", "lat": 1, "lng": 2}
			sub.must(sub.idem("POST", "/hub", "k3", dup), 400)
			sub.must(sub.idem("POST", "/hub", "k3", map[string]any{"name": "Fix 2", "address": "a", "lat": 1, "lng": 2}), 200)
		})

		t.Run("scope", func(t *testing.T) {
			sub := *e
			sub.t = t
			// Another organization has keys of its own.
			_, _, secret, err := e.Service.CreateOrganization(context.Background(), "Beta", "owner@beta.test", "")
			if err != nil {
				t.Fatal(err)
			}
			beta := sub.must(sub.do("POST", "/hub", secret, hub, "Idempotency-Key", "k1"), 200)
			if beta.Header.Get("Idempotent-Replayed") != "" || beta.obj("data")["_id"] == hubID {
				t.Fatalf("Beta got Acme's answer: %s", beta.Raw)
			}
			wantReplay(t, beta, sub.do("POST", "/hub", secret, hub, "Idempotency-Key", "k1"))
			// Another user of the organization cannot replay (a token answer holds a secret).
			admin := e.addUser("admin@acme.test", "Admin")
			if r := sub.do("POST", "/hub", admin.Token, hub, "Idempotency-Key", "k1"); r.Status != 409 || r.str("failedCode") != "idem-031" {
				t.Fatalf("another user's repeat: %d %s", r.Status, r.Raw)
			}
			if r := sub.do("POST", "/token", admin.Token, map[string]any{"name": "mine"}, "Idempotency-Key", "t1"); r.Status != 200 {
				t.Fatalf("admin token: %d %s", r.Status, r.Raw)
			}
			if r := sub.idem("POST", "/token", "t1", map[string]any{"name": "mine"}); r.Status != 409 || strings.Contains(string(r.Raw), "token\"") {
				t.Fatalf("the Owner got the Admin's token answer: %d %s", r.Status, r.Raw)
			}
		})
	})
}

// TestIdempotencyExpiry: a key holds its answer for 24 h, then may be used afresh.
func TestIdempotencyExpiry(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		var now atomic.Int64
		now.Store(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro())
		e := newEnvAt(t, &now)
		body := map[string]any{"name": "ci"}
		first := e.must(e.idem("POST", "/token", "k", body), 200)
		now.Add((24 * time.Hour).Microseconds())
		wantReplay(t, first, e.idem("POST", "/token", "k", body))
		e.must(e.idem("POST", "/token", "k", map[string]any{"name": "other"}), 409)
		now.Add(time.Second.Microseconds())
		fresh := e.must(e.idem("POST", "/token", "k", map[string]any{"name": "other"}), 200)
		if fresh.Header.Get("Idempotent-Replayed") != "" || fresh.obj("data")["token"] == first.obj("data")["token"] {
			t.Fatalf("an expired key was replayed: %s", fresh.Raw)
		}
		wantReplay(t, fresh, e.idem("POST", "/token", "k", map[string]any{"name": "other"}))
		if n := len(e.must(e.owner("GET", "/tokens", nil), 200).Body["data"].([]any)); n != 3 {
			t.Fatalf("%d tokens, want the Owner's and two", n)
		}
	})
}

// TestIdempotencyConcurrent is the test of issue 5: 50 identical POST /activity requests with
// one key, all at once, create exactly one activity; every answer is that activity's 201
// (the original or a replay, the same bytes) or 409 idem-032.
func TestIdempotencyConcurrent(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		fx := newActivityFixture(t, false)
		body := fx.body(nil, nil)
		const n = 50
		answers := make([]resp, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				answers[i] = fx.idem("POST", "/activity", "burst", body)
			})
		}
		close(start)
		wg.Wait()
		var created []byte
		originals, busy := 0, 0
		for i, r := range answers {
			switch {
			case r.Status == 409 && r.str("failedCode") == "idem-032":
				busy++
				continue
			case r.Status != 201:
				t.Fatalf("answer %d: %d %s", i, r.Status, r.Raw)
			case r.Header.Get("Idempotent-Replayed") == "":
				originals++
			}
			if created == nil {
				created = r.Raw
			}
			if !bytes.Equal(r.Raw, created) {
				t.Fatalf("answer %d differs:\n%s\n%s", i, r.Raw, created)
			}
		}
		if originals != 1 {
			t.Fatalf("%d answers are not replays, want 1", originals)
		}
		list := fx.must(fx.owner("GET", "/activities", nil), 200).obj("data")
		if total := list["total"]; total != float64(1) {
			t.Fatalf("%v activities after %d requests with one key, want 1", total, n)
		}
		if fx.taskCount() != 3 {
			t.Fatalf("%d tasks, want one master and its two steps", fx.taskCount())
		}
		t.Logf("%d originals, %d replays, %d in progress", originals, n-originals-busy, busy)
	})
}
