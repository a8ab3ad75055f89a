package dispatch_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/fieldwork-dev/fieldwork"
	"github.com/fieldwork-dev/fieldwork/dispatch"
)

// TestDispatchKeepsUpWithBacklog: while its polls find work, one dispatcher must drain a backlog
// as fast as its workers and the receiver allow, not one poll interval at a time. It used to
// pause MinPoll after every poll that found work, so one process delivered at most Workers per
// MinPoll (40 a second by default) and under a steady stream of events (the crash test makes
// ~250 a second) the queue only grew. With MinPoll set to a minute that old behaviour would
// deliver 8 of the 240 in the test's 30 s; the backlog itself takes well under a second.
func TestDispatchKeepsUpWithBacklog(t *testing.T) {
	eachEngine(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		rec := newReceiver(t, nil)
		w.webhook(fieldwork.WebhookInput{URL: ptr(rec.URL), Events: []string{fieldwork.EventTaskCreated}})
		const n = 240
		for i := 0; i < n; i++ {
			w.createTask(fmt.Sprintf("task %d", i))
		}
		start := time.Now()
		w.dispatcher(dispatch.Config{MinPoll: time.Minute, MaxPoll: time.Minute})
		limit := 30 * time.Second
		for len(rec.got()) < n {
			if time.Since(start) > limit {
				t.Fatalf("%d of %d deliveries made in %v: the dispatcher waits a poll interval between batches", len(rec.got()), n, limit)
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Logf("%d deliveries in %v", n, time.Since(start))
	})
}
