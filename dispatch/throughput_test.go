package dispatch_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/fieldwork-dev/fieldwork"
	"github.com/fieldwork-dev/fieldwork/dispatch"
)

// TestDispatchKeepsUpWithBacklog: with the default polling, one dispatcher must drain a backlog
// as fast as its workers and the receiver allow. It used to pause MinPoll after every poll that
// found work, so one process delivered at most Workers per MinPoll (40 a second by default) and
// under a steady stream of events (the crash test makes ~250 a second) the queue only grew.
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
		w.dispatcher(dispatch.Config{MinPoll: dispatch.DefaultMinPoll, MaxPoll: dispatch.DefaultMaxPoll})
		// At 8 per 200 ms the backlog took at least 6 s.
		limit := 3 * time.Second
		for len(rec.got()) < n {
			if time.Since(start) > limit {
				t.Fatalf("%d of %d deliveries made in %v", len(rec.got()), n, limit)
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Logf("%d deliveries in %v", n, time.Since(start))
	})
}
