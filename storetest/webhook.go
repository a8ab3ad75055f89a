package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fieldwork-dev/fieldwork"
)

// newWebhook returns a webhook of the organization subscribed to the event types, created at
// minute.
func newWebhook(orgID fieldwork.ID, name string, minute int, events ...string) *fieldwork.Webhook {
	return &fieldwork.Webhook{
		ID: fieldwork.NewID(at(minute)), OrganizationID: orgID, URL: "https://example.com/hooks/" + name,
		Events: events, Headers: map[string]string{}, Format: fieldwork.WebhookFormatEnvelope, Version: 1,
		CreatedBy: "owner@example.com", UpdatedBy: "owner@example.com", CreatedTime: tm(minute), UpdatedTime: tm(minute),
	}
}

// createWebhooks stores the webhooks in one Update transaction.
func createWebhooks(t *testing.T, s fieldwork.Store, orgID fieldwork.ID, hooks ...*fieldwork.Webhook) {
	t.Helper()
	update(t, s, orgID, func(tx fieldwork.Tx) error {
		for _, w := range hooks {
			if err := tx.CreateWebhook(t.Context(), w); err != nil {
				return err
			}
		}
		return nil
	})
}

// appendWithDeliveries appends an event of the task and fans it out, in one transaction, and
// returns the event and how many deliveries it got (the test owns the store: no one else
// queues deliveries meanwhile).
func appendWithDeliveries(t *testing.T, s fieldwork.Store, orgID fieldwork.ID, task *fieldwork.Task, action string, minute int) (*fieldwork.Event, int) {
	t.Helper()
	e := fieldwork.NewEvent(action, task, task, at(minute))
	if action == fieldwork.ActionCreate {
		e = fieldwork.NewEvent(action, nil, task, at(minute))
	}
	pending := func() int {
		n, err := s.CountPendingDeliveries(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := pending()
	update(t, s, orgID, func(tx fieldwork.Tx) error { return tx.AppendEvent(t.Context(), e, at(minute)) })
	return e, pending() - before
}

// claim claims deliveries of the organization at minute now for a lease ending at minute until.
func claim(t *testing.T, s fieldwork.Store, orgID fieldwork.ID, now, until int, lease string, limit int) []*fieldwork.Delivery {
	t.Helper()
	var ds []*fieldwork.Delivery
	update(t, s, orgID, func(tx fieldwork.Tx) (err error) {
		ds, err = tx.ClaimDeliveries(t.Context(), at(now), at(until), lease, limit)
		return err
	})
	return ds
}

// deliveryKey names a delivery by webhook and event, for comparisons.
func deliveryKey(d *fieldwork.Delivery) string {
	return fmt.Sprintf("%s/%d", d.WebhookID, d.EventSequence)
}

func deliveryKeys(ds []*fieldwork.Delivery) []string {
	out := []string{}
	for _, d := range ds {
		out = append(out, deliveryKey(d))
	}
	return out
}

// newAttempt returns the log entry of an attempt of d at minute.
func newAttempt(d *fieldwork.Delivery, e *fieldwork.Event, outcome string, minute int) *fieldwork.DeliveryAttempt {
	a := &fieldwork.DeliveryAttempt{
		ID: fieldwork.NewID(at(minute)), WebhookID: d.WebhookID, EventID: e.ID, EventType: e.Type,
		EventSequence: d.EventSequence, Attempt: d.Attempts, AttemptTime: tm(minute), StatusCode: ptr(200),
		DurationMS: 12, Outcome: outcome,
	}
	if outcome != fieldwork.OutcomeSuccess {
		a.StatusCode, a.Error = ptr(500), ptr("the receiver answered 500")
	}
	if outcome == fieldwork.OutcomeFailure {
		a.NextRetryTime = tm(minute + 10)
	}
	return a
}

// testWebhooks checks webhooks and their delivery queue: the round trip of a webhook (its
// secret included), replacement of its subscriptions, not-found and isolation, the fan-out of
// an event to the subscribed webhooks in the event's transaction (none on rollback), claims
// with leases (a claimed delivery is not due again until its lease ends, a completion needs the
// lease that holds it, released and retried deliveries come back, finished ones never), the
// attempt log, deletion with everything owed, and concurrent claims that never share a
// delivery.
func testWebhooks(t *testing.T, s fieldwork.Store) {
	ctx := t.Context()
	a, b := createOrg(t, s, "Acme", 0), createOrg(t, s, "Beta", 0)
	hubA, hubB := newHub(a.ID, "Jakarta", 0), newHub(b.ID, "Jakarta", 0)
	task, other := newTask(a.ID, hubA, 1), newTask(b.ID, hubB, 1)
	create(t, s, a.ID, hubA, task)
	create(t, s, b.ID, hubB, other)

	hookA := newWebhook(a.ID, "a", 1, fieldwork.EventTaskCreated, fieldwork.EventTaskDone)
	hookA.Secret, hookA.HasSecret = "s3cret", true
	hookA.Headers = map[string]string{"X-Token": "abc", "Authorization": "Bearer x"}
	hookB := newWebhook(a.ID, "b", 2, fieldwork.EventTaskCreated)
	hookB.Format = fieldwork.WebhookFormatMileApp
	hookC := newWebhook(a.ID, "c", 3, fieldwork.EventTaskUpdated)
	hookD := newWebhook(b.ID, "d", 1, fieldwork.EventTaskCreated, fieldwork.EventTaskUpdated)
	createWebhooks(t, s, a.ID, hookC, hookA) // stored out of order: listed by creation time
	createWebhooks(t, s, a.ID, hookB)
	createWebhooks(t, s, b.ID, hookD)

	t.Run("round trip", func(t *testing.T) {
		got := get(t, s, a.ID, func(tx fieldwork.Tx) (*fieldwork.Webhook, error) { return tx.FindWebhookByID(ctx, hookA.ID) })
		diff(t, "webhook with its secret", hookA, got)
		list := get(t, s, a.ID, func(tx fieldwork.Tx) ([]*fieldwork.Webhook, error) { return tx.FindWebhooks(ctx) })
		diff(t, "A's webhooks, oldest first", []*fieldwork.Webhook{hookA, hookB, hookC}, list)
		list = get(t, s, b.ID, func(tx fieldwork.Tx) ([]*fieldwork.Webhook, error) { return tx.FindWebhooks(ctx) })
		diff(t, "B's webhooks", []*fieldwork.Webhook{hookD}, list)
	})

	t.Run("not found and isolation", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			fn   func(tx fieldwork.Tx) error
		}{
			{"find another organization's", func(tx fieldwork.Tx) error { _, err := tx.FindWebhookByID(ctx, hookD.ID); return err }},
			{"find a missing one", func(tx fieldwork.Tx) error { _, err := tx.FindWebhookByID(ctx, fieldwork.NewID(at(0))); return err }},
			{"update another organization's", func(tx fieldwork.Tx) error { return tx.UpdateWebhook(ctx, hookD) }},
			{"delete another organization's", func(tx fieldwork.Tx) error { return tx.DeleteWebhook(ctx, hookD.ID) }},
		} {
			t.Run(tt.name, func(t *testing.T) {
				err := s.Update(ctx, a.ID, tt.fn)
				wantCode(t, tt.name, err, fieldwork.ENOTFOUND)
				wantFailedCode(t, tt.name, err, "webhk-033")
			})
		}
		got := get(t, s, b.ID, func(tx fieldwork.Tx) (*fieldwork.Webhook, error) { return tx.FindWebhookByID(ctx, hookD.ID) })
		diff(t, "B's webhook after A's attempts", hookD, got)
	})

	t.Run("update replaces the subscriptions", func(t *testing.T) {
		hookC.Events = []string{fieldwork.EventTaskCreated, fieldwork.EventTaskUpdated}
		hookC.Secret, hookC.HasSecret, hookC.Version, hookC.UpdatedTime = "new", true, 2, tm(4)
		update(t, s, a.ID, func(tx fieldwork.Tx) error { return tx.UpdateWebhook(ctx, hookC) })
		got := get(t, s, a.ID, func(tx fieldwork.Tx) (*fieldwork.Webhook, error) { return tx.FindWebhookByID(ctx, hookC.ID) })
		diff(t, "replaced webhook", hookC, got)
	})

	// The queue from here on: every delivery is due at minute 10 or later.
	var created, updated *fieldwork.Event
	t.Run("fan-out", func(t *testing.T) {
		var n int
		created, n = appendWithDeliveries(t, s, a.ID, task, fieldwork.ActionCreate, 10)
		if n != 3 {
			t.Errorf("task.created reached %d webhooks, want 3 (A, B, C)", n)
		}
		updated, n = appendWithDeliveries(t, s, a.ID, task, fieldwork.ActionPatch, 10)
		if n != 1 {
			t.Errorf("task.updated reached %d webhooks, want 1 (C)", n)
		}
		if _, n = appendWithDeliveries(t, s, a.ID, task, fieldwork.ActionAssign, 10); n != 0 {
			t.Errorf("task.assigned reached %d webhooks, want none", n)
		}
		if _, n = appendWithDeliveries(t, s, b.ID, other, fieldwork.ActionCreate, 5); n != 1 {
			t.Errorf("B's task.created reached %d webhooks, want 1 (D)", n)
		}
		// A rolled-back change leaves no delivery behind, even once its event was stored (the
		// transaction reads it back: a store deferring its appends writes them then).
		err := s.Update(ctx, a.ID, func(tx fieldwork.Tx) error {
			e := fieldwork.NewEvent(fieldwork.ActionCreate, nil, task, at(10))
			if err := tx.AppendEvent(ctx, e, at(10)); err != nil {
				return err
			}
			events, err := tx.FindEvents(ctx, updated.Sequence, 0)
			if err != nil {
				return err
			}
			if len(events) == 0 || events[len(events)-1].ID != e.ID || e.Sequence == 0 {
				return fmt.Errorf("the transaction does not read its own event back: %d events, sequence %d", len(events), e.Sequence)
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatalf("rolled-back transaction: %v", err)
		}
		if n, err := s.CountPendingDeliveries(ctx); err != nil || n != 5 {
			t.Errorf("pending deliveries %d (%v), want 5: 4 of A and 1 of B", n, err)
		}
		e := get(t, s, a.ID, func(tx fieldwork.Tx) (*fieldwork.Event, error) { return tx.FindEvent(ctx, created.Sequence) })
		diff(t, "event found by sequence", created, e)
		err = s.View(ctx, a.ID, func(tx fieldwork.Tx) error { _, err := tx.FindEvent(ctx, 99); return err })
		wantCode(t, "a missing event", err, fieldwork.ENOTFOUND)
	})

	t.Run("due organizations", func(t *testing.T) {
		for _, tt := range []struct {
			name  string
			now   int
			limit int
			want  []fieldwork.ID
		}{
			{"before anything is due", 4, 10, nil},
			{"B only", 5, 10, []fieldwork.ID{b.ID}},
			{"longest overdue first", 10, 10, []fieldwork.ID{b.ID, a.ID}},
			{"limit bounds the rows read", 10, 1, []fieldwork.ID{b.ID}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.FindDueDeliveryOrganizations(ctx, at(tt.now), tt.limit)
				if err != nil {
					t.Fatal(err)
				}
				diff(t, "organizations", tt.want, got)
			})
		}
	})

	t.Run("claims and leases", func(t *testing.T) {
		all := []string{
			fmt.Sprintf("%s/%d", hookA.ID, created.Sequence), fmt.Sprintf("%s/%d", hookB.ID, created.Sequence),
			fmt.Sprintf("%s/%d", hookC.ID, created.Sequence), fmt.Sprintf("%s/%d", hookC.ID, updated.Sequence),
		}
		if got := claim(t, s, a.ID, 9, 20, "early", 10); len(got) != 0 {
			t.Fatalf("claimed %v before they were due", deliveryKeys(got))
		}
		one := claim(t, s, a.ID, 10, 12, "L1", 2)
		two := claim(t, s, a.ID, 10, 13, "L2", 10)
		if len(one) != 2 || len(two) != 2 {
			t.Fatalf("claims of 2 and 10 took %d and %d of 4", len(one), len(two))
		}
		diff(t, "both claims together", sorted(all), sorted(append(deliveryKeys(one), deliveryKeys(two)...)))
		for _, d := range append(slices.Clone(one), two...) {
			if d.State != fieldwork.DeliveryPending || d.Attempts != 0 || !d.FirstAttemptTime.IsZero() || !d.CreatedTime.Equal(at(10)) {
				t.Errorf("claimed delivery %s: %+v", deliveryKey(d), d)
			}
		}
		if got := claim(t, s, a.ID, 11, 30, "L3", 10); len(got) != 0 {
			t.Fatalf("claimed %v while leased", deliveryKeys(got))
		}
		if n, err := s.CountPendingDeliveries(ctx); err != nil || n != 5 {
			t.Errorf("pending deliveries while claimed: %d (%v), want 5", n, err)
		}

		// Completion needs the lease that holds the delivery.
		ok, retry := *one[0], *one[1]
		err := s.Update(ctx, a.ID, func(tx fieldwork.Tx) error {
			return tx.CompleteDelivery(ctx, &ok, "L2", newAttempt(&ok, created, fieldwork.OutcomeSuccess, 11))
		})
		wantCode(t, "completion with another claim's lease", err, fieldwork.ECONFLICT)
		ok.State, ok.Attempts, ok.FirstAttemptTime, ok.NextAttemptTime = fieldwork.DeliveryDelivered, 1, at(11), at(11)
		retry.Attempts, retry.FirstAttemptTime, retry.NextAttemptTime = 1, at(11), at(20)
		update(t, s, a.ID, func(tx fieldwork.Tx) error {
			if err := tx.CompleteDelivery(ctx, &ok, "L1", newAttempt(&ok, created, fieldwork.OutcomeSuccess, 11)); err != nil {
				return err
			}
			return tx.CompleteDelivery(ctx, &retry, "L1", newAttempt(&retry, created, fieldwork.OutcomeFailure, 11))
		})
		err = s.Update(ctx, a.ID, func(tx fieldwork.Tx) error {
			return tx.CompleteDelivery(ctx, &ok, "L1", newAttempt(&ok, created, fieldwork.OutcomeSuccess, 11))
		})
		wantCode(t, "a second completion of one claim", err, fieldwork.ECONFLICT)
		if got := claim(t, s, a.ID, 12, 30, "L4", 10); len(got) != 0 {
			t.Fatalf("claimed %v at 12: the delivered one never, the retry at 20, L2's at 13", deliveryKeys(got))
		}

		// A lease that ran out: another claim takes the delivery, and the first claim can no
		// longer complete it.
		five := claim(t, s, a.ID, 13, 50, "L5", 10)
		diff(t, "claimed again once L2's lease ran out", sorted(deliveryKeys(two)), sorted(deliveryKeys(five)))
		late := *two[0]
		late.State = fieldwork.DeliveryDelivered
		err = s.Update(ctx, a.ID, func(tx fieldwork.Tx) error {
			return tx.CompleteDelivery(ctx, &late, "L2", newAttempt(&late, created, fieldwork.OutcomeSuccess, 13))
		})
		wantCode(t, "completion after the lease ran out", err, fieldwork.ECONFLICT)

		// A released delivery is due at once; a released one of a stale lease is left alone.
		update(t, s, a.ID, func(tx fieldwork.Tx) error {
			if err := tx.ReleaseDelivery(ctx, five[0], "L2", at(13)); err != nil {
				return err
			}
			return tx.ReleaseDelivery(ctx, five[1], "L5", at(13))
		})
		six := claim(t, s, a.ID, 13, 50, "L6", 10)
		diff(t, "claimed after release", []string{deliveryKey(five[1])}, deliveryKeys(six))

		// The failed attempt is retried when due; a given-up delivery never comes back.
		seven := claim(t, s, a.ID, 20, 22, "L7", 10)
		diff(t, "retried at its next attempt time", []string{deliveryKey(&retry)}, deliveryKeys(seven))
		if d := seven[0]; d.Attempts != 1 || !d.FirstAttemptTime.Equal(at(11)) || d.State != fieldwork.DeliveryPending {
			t.Errorf("retried delivery read back as %+v", d)
		}
		gaveUp := *seven[0]
		gaveUp.State, gaveUp.Attempts = fieldwork.DeliveryFailed, 2
		update(t, s, a.ID, func(tx fieldwork.Tx) error {
			return tx.CompleteDelivery(ctx, &gaveUp, "L7", newAttempt(&gaveUp, created, fieldwork.OutcomeGaveUp, 20))
		})
		if got := claim(t, s, a.ID, 100000, 100001, "L8", 10); len(got) != 2 {
			t.Errorf("claimed %v much later, want only the two still pending", deliveryKeys(got))
		}
		if n, err := s.CountPendingDeliveries(ctx); err != nil || n != 3 {
			t.Errorf("pending deliveries %d (%v), want 3: 2 of A and 1 of B", n, err)
		}
		if got := claim(t, s, b.ID, 100000, 100001, "B1", 10); len(got) != 1 || got[0].WebhookID != hookD.ID {
			t.Errorf("B claimed %v, want its own delivery only", deliveryKeys(got))
		}
	})

	t.Run("attempt log", func(t *testing.T) {
		logged := get(t, s, a.ID, func(tx fieldwork.Tx) ([]*fieldwork.DeliveryAttempt, error) {
			attempts, total, err := tx.FindDeliveryAttempts(ctx, hookA.ID, 0, 0)
			if total != len(attempts) {
				return nil, fmt.Errorf("total %d for %d attempts", total, len(attempts))
			}
			return attempts, err
		})
		// Webhook A had one delivery here; which of A, B, C the first claim took is the
		// store's choice, so collect every webhook's log instead.
		var every []*fieldwork.DeliveryAttempt
		for _, w := range []*fieldwork.Webhook{hookA, hookB, hookC} {
			every = append(every, get(t, s, a.ID, func(tx fieldwork.Tx) ([]*fieldwork.DeliveryAttempt, error) {
				attempts, _, err := tx.FindDeliveryAttempts(ctx, w.ID, 0, 0)
				return attempts, err
			})...)
		}
		if len(every) != 3 || len(logged) > 2 {
			t.Fatalf("%d attempts logged in all (want 3: success, failure, gave_up), %d for A", len(every), len(logged))
		}
		for _, x := range every {
			if x.EventID != created.ID || x.EventType != fieldwork.EventTaskCreated || x.Outcome == "" {
				t.Errorf("attempt read back as %+v", x)
			}
		}
		// Newest first, paged: the retried delivery's two attempts are logged under one webhook.
		for _, w := range []*fieldwork.Webhook{hookA, hookB, hookC} {
			page := func(offset, limit int) ([]*fieldwork.DeliveryAttempt, int) {
				var attempts []*fieldwork.DeliveryAttempt
				var total int
				view(t, s, a.ID, func(tx fieldwork.Tx) (err error) {
					attempts, total, err = tx.FindDeliveryAttempts(ctx, w.ID, offset, limit)
					return err
				})
				return attempts, total
			}
			whole, total := page(0, 0)
			if total != 2 {
				continue
			}
			if whole[0].Outcome != fieldwork.OutcomeGaveUp || whole[1].Outcome != fieldwork.OutcomeFailure {
				t.Errorf("attempts not newest first: %s then %s", whole[0].Outcome, whole[1].Outcome)
			}
			first, n := page(0, 1)
			second, _ := page(1, 1)
			if n != 2 || len(first) != 1 || len(second) != 1 {
				t.Fatalf("pages of one: %d and %d of %d", len(first), len(second), n)
			}
			diff(t, "pages", whole, append(first, second...))
			diff(t, "retry time of the failed attempt", tm(21), whole[1].NextRetryTime)
		}
		other := get(t, s, b.ID, func(tx fieldwork.Tx) ([]*fieldwork.DeliveryAttempt, error) {
			attempts, _, err := tx.FindDeliveryAttempts(ctx, hookA.ID, 0, 0)
			return attempts, err
		})
		if len(other) != 0 {
			t.Errorf("B sees %d of A's attempts", len(other))
		}
	})

	t.Run("delete takes everything owed", func(t *testing.T) {
		for _, w := range []*fieldwork.Webhook{hookA, hookB, hookC} {
			update(t, s, a.ID, func(tx fieldwork.Tx) error { return tx.DeleteWebhook(ctx, w.ID) })
			var total int
			view(t, s, a.ID, func(tx fieldwork.Tx) (err error) {
				_, total, err = tx.FindDeliveryAttempts(ctx, w.ID, 0, 0)
				return err
			})
			if total != 0 {
				t.Errorf("%d attempts of a deleted webhook", total)
			}
		}
		if n, err := s.CountPendingDeliveries(ctx); err != nil || n != 1 {
			t.Errorf("pending deliveries %d (%v), want B's 1", n, err)
		}
		if _, n := appendWithDeliveries(t, s, a.ID, task, fieldwork.ActionCreate, 30); n != 0 {
			t.Errorf("an event reached %d deleted webhooks", n)
		}
		if got := claim(t, s, a.ID, 100000, 100001, "L9", 10); len(got) != 0 {
			t.Errorf("claimed %v of deleted webhooks", deliveryKeys(got))
		}
	})

	t.Run("concurrent claims never share a delivery", func(t *testing.T) { testWebhookClaimsConcurrent(t, s) })
}

// testWebhookClaimsConcurrent has many claimers take small batches of one organization's due
// deliveries at once until none is left: every delivery must be claimed exactly once.
func testWebhookClaimsConcurrent(t *testing.T, s fieldwork.Store) {
	ctx := t.Context()
	o := createOrg(t, s, "Gamma", 0)
	hub := newHub(o.ID, "Jakarta", 0)
	task := newTask(o.ID, hub, 1)
	create(t, s, o.ID, hub, task)
	hooks := []*fieldwork.Webhook{newWebhook(o.ID, "x", 1, fieldwork.EventTaskUpdated), newWebhook(o.ID, "y", 1, fieldwork.EventTaskUpdated)}
	createWebhooks(t, s, o.ID, hooks...)
	const events = 30
	for i := 0; i < events; i++ {
		appendWithDeliveries(t, s, o.ID, task, fieldwork.ActionPatch, 2)
	}
	var (
		mu      sync.Mutex
		claimed = map[string]string{}
		wg      sync.WaitGroup
	)
	for c := 0; c < 8; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for round := 0; ; round++ {
				lease := fmt.Sprintf("claimer-%d-%d", c, round)
				var ds []*fieldwork.Delivery
				err := s.Update(ctx, o.ID, func(tx fieldwork.Tx) (err error) {
					ds, err = tx.ClaimDeliveries(ctx, at(5), at(60), lease, 3)
					time.Sleep(time.Millisecond) // hold the claim while others try
					return err
				})
				if err != nil {
					t.Errorf("claimer %d: %v", c, err)
					return
				}
				if len(ds) == 0 {
					return
				}
				mu.Lock()
				for _, d := range ds {
					if prev, ok := claimed[deliveryKey(d)]; ok {
						t.Errorf("delivery %s claimed by %s and %s", deliveryKey(d), prev, lease)
					}
					claimed[deliveryKey(d)] = lease
				}
				mu.Unlock()
			}
		}(c)
	}
	wg.Wait()
	if len(claimed) != events*len(hooks) {
		t.Errorf("%d deliveries claimed, want %d", len(claimed), events*len(hooks))
	}
}
