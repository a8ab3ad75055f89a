package dispatch_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldwork-dev/fieldwork"
	"github.com/fieldwork-dev/fieldwork/dispatch"
)

// quiet waits a little and checks that the receiver got no more than n requests: long enough
// for a fast-polling dispatcher to have polled many times.
func quiet(t *testing.T, r *receiver, n int) {
	t.Helper()
	time.Sleep(100 * time.Millisecond)
	if got := len(r.got()); got != n {
		t.Fatalf("the receiver got %d requests, want %d", got, n)
	}
}

// TestRetriesWithBackoff answers 500 twice, then 200: the attempts come 10 s, then 20 s apart
// on the service clock, not before, and the log shows all three, newest first.
func TestRetriesWithBackoff(t *testing.T) {
	eachEngine(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		r := newReceiver(t, func(n int, _ *http.Request) int {
			if n <= 2 {
				return http.StatusInternalServerError
			}
			return http.StatusOK
		})
		hook := w.webhook(fieldwork.WebhookInput{URL: ptr(r.URL), Events: []string{fieldwork.EventTaskCreated}})
		d := w.dispatcher(dispatch.Config{})
		t0 := w.clock.Now()
		w.createTask("A")

		first := w.waitAttempts(hook.ID, 1)[0]
		if first.Outcome != fieldwork.OutcomeFailure || *first.StatusCode != 500 || first.Error == nil ||
			!strings.Contains(*first.Error, "500") || first.NextRetryTime.Time != t0.Add(10*time.Second) {
			t.Fatalf("first attempt: %+v", first)
		}
		quiet(t, r, 1)
		w.clock.Advance(10 * time.Second)
		second := w.waitAttempts(hook.ID, 2)[0]
		if second.Attempt != 2 || second.Outcome != fieldwork.OutcomeFailure || second.NextRetryTime.Time != t0.Add(30*time.Second) {
			t.Fatalf("second attempt: %+v", second)
		}
		w.clock.Advance(19 * time.Second)
		quiet(t, r, 2)
		if got := metric(t, d, "fieldwork_webhook_queue_depth", ""); got != 1 {
			t.Errorf("queue depth %v while retrying, want 1", got)
		}
		w.clock.Advance(time.Second)
		all := w.waitAttempts(hook.ID, 3)
		if all[0].Outcome != fieldwork.OutcomeSuccess || all[0].Attempt != 3 || all[1].Attempt != 2 || all[2].Attempt != 1 {
			t.Fatalf("log not newest first: %v %v %v", all[0].Attempt, all[1].Attempt, all[2].Attempt)
		}
		hits := r.got()
		for _, h := range hits {
			if h.Header.Get("Fieldwork-Event-Id") != first.EventID {
				t.Errorf("a retry carried event id %q, want %q", h.Header.Get("Fieldwork-Event-Id"), first.EventID)
			}
		}
		if string(hits[0].Body) != string(hits[2].Body) {
			t.Errorf("a retry changed the body:\n%s\n%s", hits[0].Body, hits[2].Body)
		}
		quiet(t, r, 3)
		for outcome, want := range map[string]float64{"success": 1, "failure": 2, "gave_up": 0} {
			if got := metric(t, d, "fieldwork_webhook_deliveries_total", outcome); got != want {
				t.Errorf("%s counter %v, want %v", outcome, got, want)
			}
		}
		if got := metric(t, d, "fieldwork_webhook_queue_depth", ""); got != 0 {
			t.Errorf("queue depth %v after delivery, want 0", got)
		}
	})
}

// TestGiveUpAfter24Hours answers 503 to everything: the last retry comes exactly 24 h after the
// first attempt, then the delivery is given up and never tried again.
func TestGiveUpAfter24Hours(t *testing.T) {
	eachEngine(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		r := newReceiver(t, func(int, *http.Request) int { return http.StatusServiceUnavailable })
		hook := w.webhook(fieldwork.WebhookInput{URL: ptr(r.URL), Events: []string{fieldwork.EventTaskCreated}})
		d := w.dispatcher(dispatch.Config{})
		t0 := w.clock.Now()
		w.createTask("A")
		w.waitAttempts(hook.ID, 1)

		// Long after the 10 s retry, but 5 s before the window ends: the next attempt is due at
		// the end of the window, not after a full backoff.
		w.clock.Advance(24*time.Hour - 5*time.Second)
		second := w.waitAttempts(hook.ID, 2)[0]
		if second.Outcome != fieldwork.OutcomeFailure || second.NextRetryTime.Time != t0.Add(24*time.Hour) {
			t.Fatalf("attempt before the end of the window: %+v", second)
		}
		w.clock.Advance(5 * time.Second)
		last := w.waitAttempts(hook.ID, 3)[0]
		if last.Outcome != fieldwork.OutcomeGaveUp || last.Error == nil || *last.StatusCode != 503 || !last.NextRetryTime.IsZero() {
			t.Fatalf("last attempt: %+v", last)
		}
		w.clock.Advance(48 * time.Hour)
		quiet(t, r, 3)
		for outcome, want := range map[string]float64{"success": 0, "failure": 2, "gave_up": 1} {
			if got := metric(t, d, "fieldwork_webhook_deliveries_total", outcome); got != want {
				t.Errorf("%s counter %v, want %v", outcome, got, want)
			}
		}
		if n, err := w.svc.CountPendingDeliveries(t.Context()); err != nil || n != 0 {
			t.Errorf("pending deliveries after giving up: %d %v", n, err)
		}
	})
}

// TestTimeoutAndUnreachable: a receiver slower than the timeout, and one that is not there,
// are failed attempts with a reason, retried later.
func TestTimeoutAndUnreachable(t *testing.T) {
	eachEngine(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		slow := newReceiver(t, func(_ int, req *http.Request) int {
			select {
			case <-req.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return http.StatusOK
		})
		gone := newReceiver(t, nil)
		gone.Close()
		slowHook := w.webhook(fieldwork.WebhookInput{URL: ptr(slow.URL), Events: []string{fieldwork.EventTaskCreated}})
		goneHook := w.webhook(fieldwork.WebhookInput{URL: ptr(gone.URL), Events: []string{fieldwork.EventTaskCreated}})
		w.dispatcher(dispatch.Config{Timeout: 200 * time.Millisecond})
		w.createTask("A")
		for hook, want := range map[string]string{slowHook.ID: "no answer within 200ms", goneHook.ID: "connection refused"} {
			a := w.waitAttempts(hook, 1)[0]
			if a.Outcome != fieldwork.OutcomeFailure || a.StatusCode != nil || a.Error == nil || !strings.Contains(*a.Error, want) {
				t.Errorf("attempt: %+v (error %v), want a failure saying %q", a, deref(a.Error), want)
			}
		}
	})
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// TestTwoInstancesNeverDeliverTwice runs two dispatchers of two server instances (two stores on
// one database) while many changes commit at once: every event reaches the receiver exactly
// once, and the two logs agree.
func TestTwoInstancesNeverDeliverTwice(t *testing.T) {
	eachEngine(t, func(t *testing.T, engine string) {
		stores := openStores(t, engine, 2)
		w := newWorldOn(t, stores[0])
		r := newReceiver(t, func(int, *http.Request) int {
			time.Sleep(3 * time.Millisecond) // attempts overlap with claims
			return http.StatusOK
		})
		hook := w.webhook(fieldwork.WebhookInput{URL: ptr(r.URL), Events: []string{fieldwork.EventTaskCreated}})
		other := w.instance(stores[1])
		d1 := w.dispatcher(dispatch.Config{Workers: 3})
		d2 := w.dispatcherOn(other, dispatch.Config{Workers: 3})
		d3 := w.dispatcher(dispatch.Config{Workers: 2}) // and a second one in the first instance

		const writers, perWriter = 6, 8
		var wg sync.WaitGroup
		for i := 0; i < writers; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				for j := 0; j < perWriter; j++ {
					w.createTask(fmt.Sprintf("T%d-%d", i, j))
				}
			}(i)
		}
		wg.Wait()
		attempts := w.waitAttempts(hook.ID, writers*perWriter)
		quiet(t, r, writers*perWriter)
		perEvent := map[string]int{}
		for _, h := range r.got() {
			perEvent[h.Header.Get("Fieldwork-Event-Id")]++
		}
		for _, a := range attempts {
			if a.Outcome != fieldwork.OutcomeSuccess || a.Attempt != 1 {
				t.Errorf("attempt %+v", a)
			}
			if perEvent[a.EventID] != 1 {
				t.Errorf("event %s delivered %d times", a.EventID, perEvent[a.EventID])
			}
		}
		if len(perEvent) != writers*perWriter {
			t.Errorf("%d events delivered, want %d", len(perEvent), writers*perWriter)
		}
		total := 0.0
		for _, d := range []*dispatch.Dispatcher{d1, d2, d3} {
			total += metric(t, d, "fieldwork_webhook_deliveries_total", "success")
		}
		if total != writers*perWriter {
			t.Errorf("the dispatchers counted %v successes, want %d", total, writers*perWriter)
		}
	})
}

// TestCrashSafety: a change committed while no dispatcher runs is delivered once one starts;
// a delivery claimed by a dispatcher that then died is delivered by another once the lease has
// run out, not before; and a dispatcher stopped in the middle of an attempt gives the delivery
// back for the next one.
func TestCrashSafety(t *testing.T) {
	eachEngine(t, func(t *testing.T, engine string) {
		t.Run("committed while no dispatcher ran", func(t *testing.T) {
			w := newWorld(t, engine)
			r := newReceiver(t, nil)
			hook := w.webhook(fieldwork.WebhookInput{URL: ptr(r.URL), Events: []string{fieldwork.EventTaskCreated}})
			w.createTask("A")
			if n, err := w.svc.CountPendingDeliveries(t.Context()); err != nil || n != 1 {
				t.Fatalf("pending deliveries after the commit: %d %v", n, err)
			}
			w.dispatcher(dispatch.Config{})
			if a := w.waitAttempts(hook.ID, 1)[0]; a.Outcome != fieldwork.OutcomeSuccess {
				t.Fatalf("attempt: %+v", a)
			}
		})

		t.Run("claimed by a dispatcher that died", func(t *testing.T) {
			w := newWorld(t, engine)
			r := newReceiver(t, nil)
			hook := w.webhook(fieldwork.WebhookInput{URL: ptr(r.URL), Events: []string{fieldwork.EventTaskCreated}})
			w.createTask("A")
			// What a dispatcher does before its attempt; it then dies without a trace.
			jobs, err := w.svc.ClaimDeliveries(t.Context(), w.owner.OrgID(), 10, 2*time.Minute)
			if err != nil || len(jobs) != 1 {
				t.Fatalf("claim: %v %v", jobs, err)
			}
			w.dispatcher(dispatch.Config{})
			w.clock.Advance(2*time.Minute - time.Second)
			quiet(t, r, 0)
			w.clock.Advance(time.Second)
			if a := w.waitAttempts(hook.ID, 1)[0]; a.Outcome != fieldwork.OutcomeSuccess || a.Attempt != 1 {
				t.Fatalf("attempt after the lease: %+v", a)
			}
			// The dead claim's result, were it to come back, is not recorded.
			_, err = w.svc.RecordDeliveryAttempt(t.Context(), jobs[0], fieldwork.DeliveryResult{Time: w.clock.Now(), StatusCode: 200})
			if fieldwork.ErrorCode(err) != fieldwork.ECONFLICT {
				t.Errorf("the dead claim's result: %v, want a conflict", err)
			}
			quiet(t, r, 1)
		})

		t.Run("stopped in the middle of an attempt", func(t *testing.T) {
			w := newWorld(t, engine)
			release := make(chan struct{})
			r := newReceiver(t, func(n int, req *http.Request) int {
				if n == 1 {
					select { // the first attempt hangs until the dispatcher gives up on it
					case <-req.Context().Done():
					case <-release:
					}
				}
				return http.StatusOK
			})
			hook := w.webhook(fieldwork.WebhookInput{URL: ptr(r.URL), Events: []string{fieldwork.EventTaskCreated}})
			first := dispatch.New(w.svc, dispatch.Config{MinPoll: 5 * time.Millisecond, MaxPoll: 20 * time.Millisecond})
			first.Start()
			w.createTask("A")
			for len(r.got()) == 0 {
				time.Sleep(5 * time.Millisecond)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			if err := first.Stop(ctx); err != nil {
				t.Fatal(err)
			}
			close(release)
			if got := w.attempts(hook.ID); len(got) != 0 {
				t.Fatalf("an aborted attempt was logged: %+v", got[0])
			}
			// Given back due at once: the next dispatcher delivers it without waiting for a lease.
			w.dispatcher(dispatch.Config{})
			if a := w.waitAttempts(hook.ID, 1)[0]; a.Outcome != fieldwork.OutcomeSuccess || a.Attempt != 1 {
				t.Fatalf("attempt after the restart: %+v", a)
			}
		})
	})
}

// TestWebhookChangesApplyToOwedDeliveries: a delivery being retried goes to the webhook as it
// is at each attempt (a corrected URL), and deleting the webhook ends what it was owed.
func TestWebhookChangesApplyToOwedDeliveries(t *testing.T) {
	eachEngine(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		broken := newReceiver(t, func(int, *http.Request) int { return http.StatusNotFound })
		fixed := newReceiver(t, nil)
		hook := w.webhook(fieldwork.WebhookInput{URL: ptr(broken.URL), Events: []string{fieldwork.EventTaskCreated, fieldwork.EventTaskUpdated}})
		w.dispatcher(dispatch.Config{})
		w.createTask("A")
		w.waitAttempts(hook.ID, 1)
		if _, err := w.svc.UpdateWebhook(t.Context(), w.owner, hook.ID, fieldwork.WebhookInput{URL: ptr(fixed.URL), Events: hook.Events}, nil); err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(10 * time.Second)
		if a := w.waitAttempts(hook.ID, 2)[0]; a.Outcome != fieldwork.OutcomeSuccess || len(fixed.got()) != 1 {
			t.Fatalf("retry after the URL was fixed: %+v", a)
		}

		// Owed, then deleted: nothing more is sent.
		if _, err := w.svc.UpdateWebhook(t.Context(), w.owner, hook.ID, fieldwork.WebhookInput{URL: ptr(broken.URL), Events: hook.Events}, nil); err != nil {
			t.Fatal(err)
		}
		w.createTask("B")
		w.waitAttempts(hook.ID, 3)
		if _, err := w.svc.DeleteWebhook(t.Context(), w.owner, hook.ID, nil); err != nil {
			t.Fatal(err)
		}
		if n, err := w.svc.CountPendingDeliveries(t.Context()); err != nil || n != 0 {
			t.Errorf("pending deliveries of a deleted webhook: %d %v", n, err)
		}
		w.clock.Advance(time.Hour)
		quiet(t, broken, 2)
	})
}
