package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fieldwork-dev/fieldwork"
	"github.com/fieldwork-dev/fieldwork/internal/testdb"
)

// TestWebhookSurvivesKill runs the real binary: a webhook's first attempt fails (503), the
// server is killed (SIGKILL, no shutdown) before the retry, and another change is committed
// while no server runs at all. A new server delivers both events, the first at its retry time,
// exposes the outcomes in /metrics, and stops cleanly on SIGTERM.
func TestWebhookSurvivesKill(t *testing.T) {
	for _, engine := range testdb.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			var db string
			if engine == testdb.Postgres {
				db = testdb.PostgresSchemaDSN(t)
			} else {
				db = "sqlite:" + filepath.Join(t.TempDir(), "db")
			}
			var (
				status atomic.Int32
				mu     sync.Mutex
				got    = map[string][]string{} // event id → the status codes answered
			)
			status.Store(http.StatusServiceUnavailable)
			receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				ts, v1, _ := strings.Cut(r.Header.Get("Fieldwork-Signature"), ",v1=")
				mac := hmac.New(sha256.New, []byte("whsec"))
				mac.Write([]byte(strings.TrimPrefix(ts, "t=") + "." + string(body)))
				if !hmac.Equal([]byte(v1), []byte(hex.EncodeToString(mac.Sum(nil)))) {
					t.Errorf("signature %q does not verify", r.Header.Get("Fieldwork-Signature"))
				}
				code := int(status.Load())
				mu.Lock()
				id := r.Header.Get("Fieldwork-Event-Id")
				got[id] = append(got[id], http.StatusText(code))
				mu.Unlock()
				w.WriteHeader(code)
			}))
			defer receiver.Close()
			seen := func() map[string][]string {
				mu.Lock()
				defer mu.Unlock()
				out := map[string][]string{}
				for k, v := range got {
					out[k] = append([]string(nil), v...)
				}
				return out
			}
			waitFor := func(what string, cond func(map[string][]string) bool) {
				t.Helper()
				for deadline := time.Now().Add(40 * time.Second); !cond(seen()); time.Sleep(50 * time.Millisecond) {
					if time.Now().After(deadline) {
						t.Fatalf("waited 40 s for %s; the receiver saw %v", what, seen())
					}
				}
			}

			a := startServer(t, db)
			must := func(addr string, want int, method, path string, body any) map[string]any {
				t.Helper()
				code, out := apiCall(t, addr, method, path, body)
				if code != want {
					t.Fatalf("%s %s: %d %v", method, path, code, out)
				}
				return out
			}
			hub := must(a.addr, 200, "POST", "/hub", map[string]any{"name": "H", "address": "a", "lat": 1, "lng": 2})["data"].(map[string]any)["_id"]
			must(a.addr, 201, "POST", "/flow", map[string]any{"name": "Delivery", "pages": []any{
				map[string]any{"id": "page0", "components": []any{map[string]any{"component": "input", "id": "note", "title": "Note"}}}}})
			hook := must(a.addr, 201, "POST", "/webhook", map[string]any{"url": receiver.URL, "events": []string{"onTaskCreated"}, "secret": "whsec"})["data"].(map[string]any)["_id"].(string)
			must(a.addr, 201, "POST", "/task", map[string]any{"flow": "Delivery", "hubId": hub, "title": "first"})
			waitFor("the first attempt", func(s map[string][]string) bool { return len(s) == 1 })
			// Kill once the failed attempt is logged with its retry time (a kill during the
			// attempt would leave the delivery to its lease, a minute later).
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				d := must(a.addr, 200, "GET", "/webhook/"+hook+"/deliveries", nil)["data"].(map[string]any)
				if d["total"] == float64(1) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the first attempt was not logged: %v", d)
				}
			}
			if err := a.cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			<-a.done
			a.done <- nil // for its cleanup

			// A change committed while no server runs: what a crash right after a commit leaves.
			st := openStore(t, db)
			svc := fieldwork.NewService(st)
			caller, err := svc.Authenticate(context.Background(), bootstrapToken)
			if err != nil {
				t.Fatal(err)
			}
			body := map[string]json.RawMessage{"flow": json.RawMessage(`"Delivery"`), "title": json.RawMessage(`"second"`)}
			body["hubId"], _ = json.Marshal(hub)
			if _, err := svc.CreateTask(context.Background(), caller, body); err != nil {
				t.Fatal(err)
			}
			st.Close()

			status.Store(http.StatusOK)
			b := startServer(t, db)
			waitFor("both events delivered", func(s map[string][]string) bool {
				ok := 0
				for _, codes := range s {
					if codes[len(codes)-1] == "OK" {
						ok++
					}
				}
				return ok == 2
			})
			for id, codes := range seen() {
				if n := len(codes); n > 2 || (n == 2 && codes[0] != "Service Unavailable") {
					t.Errorf("event %s answered %v: want at most one failed attempt before the success", id, codes)
				}
			}
			// The receiver answers before the server records the answer: wait for the log.
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				d := must(b.addr, 200, "GET", "/webhook/"+hook+"/deliveries", nil)["data"].(map[string]any)
				if d["total"] == float64(3) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("deliveries log: %v", d)
				}
			}
			res, err := http.Get("http://" + b.addr + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			metrics, _ := io.ReadAll(res.Body)
			res.Body.Close()
			for _, line := range []string{`fieldwork_webhook_deliveries_total{outcome="success"} 2`, "fieldwork_webhook_queue_depth 0"} {
				if !strings.Contains(string(metrics), line+"\n") {
					t.Errorf("/metrics lacks %q", line)
				}
			}

			if err := b.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-b.done:
				if err != nil {
					t.Fatalf("exit after SIGTERM: %v\n%s", err, b.log())
				}
				b.done <- nil
			case <-time.After(35 * time.Second):
				t.Fatal("the server did not exit after SIGTERM")
			}
		})
	}
}
