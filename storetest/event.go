package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fieldwork-dev/fieldwork"
)

// newEvent returns the event of a change of the task at minute, not yet appended.
func newEvent(task *fieldwork.Task, action string, minute int) *fieldwork.Event {
	return fieldwork.NewEvent(action, task, task, at(minute))
}

// appendEvents appends the events in one Update transaction.
func appendEvents(t *testing.T, s fieldwork.Store, orgID fieldwork.ID, events ...*fieldwork.Event) {
	t.Helper()
	update(t, s, orgID, func(tx fieldwork.Tx) error {
		for _, e := range events {
			if err := tx.AppendEvent(t.Context(), e, e.OccurredTime.Time); err != nil {
				return err
			}
		}
		return nil
	})
}

// findEvents reads the events after a sequence in a View transaction.
func findEvents(t *testing.T, s fieldwork.Store, orgID fieldwork.ID, after int64, limit int) []*fieldwork.Event {
	t.Helper()
	return get(t, s, orgID, func(tx fieldwork.Tx) ([]*fieldwork.Event, error) { return tx.FindEvents(t.Context(), after, limit) })
}

func sequences(events []*fieldwork.Event) []int64 {
	out := []int64{}
	for _, e := range events {
		out = append(out, e.Sequence)
	}
	return out
}

// span returns the numbers from..to.
func span(from, to int64) []int64 {
	out := []int64{}
	for n := from; n <= to; n++ {
		out = append(out, n)
	}
	return out
}

// testEvents checks the outbox: numbering per organization from 1 without gaps, reads after a
// sequence with a limit, the round trip of an event, isolation between organizations, that a
// rolled-back or read-only transaction leaves neither an event nor a gap, and concurrent
// writers (testEventsConcurrent).
func testEvents(t *testing.T, s fieldwork.Store) {
	ctx := t.Context()
	a, b := createOrg(t, s, "Acme", 0), createOrg(t, s, "Beta", 0)
	hubA, hubB := newHub(a.ID, "Jakarta", 0), newHub(b.ID, "Jakarta", 0)
	create(t, s, a.ID, hubA)
	create(t, s, b.ID, hubB)
	task := newTask(a.ID, hubA, 1)
	task.Title = ptr("Deliver")
	task.Values["size"] = []byte(`["M"]`)
	// Keys a store might take for the event's own (PostgreSQL writes the number into the
	// stored document).
	task.Values["sequence"] = []byte(`0`)
	task.Values["parcel"] = []byte(`{"sequence":0,"text":"\"sequence\":0"}`)
	master := newTask(a.ID, hubA, 1)
	master.TaskType = fieldwork.TaskTypeActivityMaster
	master.SubStatus = ptr("Loaded")

	if got := findEvents(t, s, a.ID, 0, 0); len(got) != 0 {
		t.Fatalf("a new organization has %d events", len(got))
	}
	// Three events in one transaction, then three in three more.
	first := []*fieldwork.Event{
		fieldwork.NewEvent(fieldwork.ActionCreate, nil, task, at(2)),
		fieldwork.NewEvent(fieldwork.ActionCreate, nil, master, at(2)),
		newEvent(task, fieldwork.ActionPatch, 3),
	}
	appendEvents(t, s, a.ID, first...)
	diff(t, "sequences given in one transaction", []int64{1, 2, 3}, sequences(first))
	all := first
	for i := 4; i <= 6; i++ {
		e := newEvent(task, fieldwork.ActionAssign, i)
		appendEvents(t, s, a.ID, e)
		if e.Sequence != int64(i) {
			t.Errorf("sequence of the %dth event = %d", i, e.Sequence)
		}
		all = append(all, e)
	}
	for _, e := range all {
		if e.OrganizationID != a.ID {
			t.Errorf("event %d: organizationId %s, want %s", e.Sequence, e.OrganizationID, a.ID)
		}
	}

	t.Run("read", func(t *testing.T) {
		for _, tt := range []struct {
			name  string
			after int64
			limit int
			want  []*fieldwork.Event
		}{
			{"all", 0, 0, all},
			{"after 2", 2, 0, all[2:]},
			{"after 2, limit 2", 2, 2, all[2:4]},
			{"limit 1", 0, 1, all[:1]},
			{"limit beyond the end", 4, 10, all[4:]},
			{"after the last", 6, 0, nil},
			{"far after the last", 1000, 5, nil},
		} {
			t.Run(tt.name, func(t *testing.T) {
				got := findEvents(t, s, a.ID, tt.after, tt.limit)
				if tt.want == nil {
					tt.want = []*fieldwork.Event{}
				}
				if got == nil {
					got = []*fieldwork.Event{}
				}
				diff(t, "events", tt.want, got)
			})
		}
		// The events keep their head and the task they carry.
		got := findEvents(t, s, a.ID, 0, 2)
		if len(got) == 2 {
			if got[0].Type != fieldwork.EventTaskCreated || got[0].TaskID != task.ID || got[0].ActivityID != nil ||
				got[0].OccurredTime != tm(2) || got[0].Data.Title == nil || *got[0].Data.Title != "Deliver" {
				t.Errorf("task event read back as %+v", got[0])
			}
			if got[1].Type != fieldwork.EventActivityCreated || got[1].ActivityID == nil || *got[1].ActivityID != master.ID ||
				got[1].Data.SubStatus == nil || *got[1].Data.SubStatus != "Loaded" {
				t.Errorf("activity event read back as %+v", got[1])
			}
		}
	})

	t.Run("organizations are isolated", func(t *testing.T) {
		if got := findEvents(t, s, b.ID, 0, 0); len(got) != 0 {
			t.Fatalf("B sees %d events of A", len(got))
		}
		other := newTask(b.ID, hubB, 7)
		e := fieldwork.NewEvent(fieldwork.ActionCreate, nil, other, at(7))
		appendEvents(t, s, b.ID, e)
		if e.Sequence != 1 || e.OrganizationID != b.ID {
			t.Errorf("B's first event: sequence %d, organization %s", e.Sequence, e.OrganizationID)
		}
		diff(t, "B's events", []*fieldwork.Event{e}, findEvents(t, s, b.ID, 0, 0))
		// An event built with another organization's id is stored for the transaction's.
		stray := newEvent(task, fieldwork.ActionPatch, 7)
		stray.OrganizationID = a.ID
		appendEvents(t, s, b.ID, stray)
		if stray.OrganizationID != b.ID || stray.Sequence != 2 {
			t.Errorf("event appended in B: organization %s, sequence %d", stray.OrganizationID, stray.Sequence)
		}
		diff(t, "A's sequences after B's writes", span(1, 6), sequences(findEvents(t, s, a.ID, 0, 0)))
	})

	t.Run("a rolled-back transaction leaves no event and no gap", func(t *testing.T) {
		boom := errors.New("boom")
		err := s.Update(ctx, a.ID, func(tx fieldwork.Tx) error {
			for i := 0; i < 3; i++ {
				if err := tx.AppendEvent(ctx, newEvent(task, fieldwork.ActionPatch, 8), at(8)); err != nil {
					return err
				}
			}
			got, err := tx.FindEvents(ctx, 6, 0)
			if err != nil {
				return err
			}
			diff(t, "the transaction's own events", span(7, 9), sequences(got))
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Update = %v, want fn's error", err)
		}
		diff(t, "sequences after the rollback", span(1, 6), sequences(findEvents(t, s, a.ID, 0, 0)))
		// A failed write fails the transaction with its events.
		err = s.Update(ctx, a.ID, func(tx fieldwork.Tx) error {
			if err := tx.AppendEvent(ctx, newEvent(task, fieldwork.ActionPatch, 8), at(8)); err != nil {
				return err
			}
			return tx.CreateHub(ctx, newHub(a.ID, "jakarta", 8))
		})
		wantFailedCode(t, "CreateHub with a taken name", err, "hub-034")
		diff(t, "sequences after the failed write", span(1, 6), sequences(findEvents(t, s, a.ID, 0, 0)))
		if err := s.View(ctx, a.ID, func(tx fieldwork.Tx) error {
			return tx.AppendEvent(ctx, newEvent(task, fieldwork.ActionPatch, 8), at(8))
		}); err == nil {
			t.Error("AppendEvent in a View transaction succeeded")
		}
		next := newEvent(task, fieldwork.ActionDone, 9)
		appendEvents(t, s, a.ID, next)
		if next.Sequence != 7 {
			t.Errorf("the event after the rollbacks has sequence %d, want 7", next.Sequence)
		}
	})

	t.Run("concurrent writers and a reader", func(t *testing.T) { testEventsConcurrent(t, s) })
	t.Run("lock order of an activity's steps", func(t *testing.T) { testEventsLockOrder(t, s) })
}

// testEventsConcurrent appends events of a new organization from many transactions at once, each holding its number
// a moment before committing, while a reader follows the feed: the reader must never see a
// number before every smaller one (commit order equals sequence order), and the feed must end
// as 1..N without a gap, N being the number of committed transactions' events.
func testEventsConcurrent(t *testing.T, s fieldwork.Store) {
	ctx := t.Context()
	o := createOrg(t, s, "Acme", 0)
	hub := newHub(o.ID, "Jakarta", 0)
	task := newTask(o.ID, hub, 1)
	create(t, s, o.ID, hub, task)

	const writers, perWriter = 8, 6
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		committed int64
	)
	done := make(chan struct{})
	readerErr := make(chan error, 1)
	go func() {
		// Follow the feed as a client catching up would: each page must continue exactly
		// after the last number seen, without a hole.
		var last int64
		for {
			select {
			case <-done:
				readerErr <- nil
				return
			default:
			}
			var page []*fieldwork.Event
			if err := s.View(ctx, o.ID, func(tx fieldwork.Tx) (err error) {
				page, err = tx.FindEvents(ctx, last, 0)
				return err
			}); err != nil {
				readerErr <- err
				return
			}
			for _, e := range page {
				if e.Sequence != last+1 {
					readerErr <- fmt.Errorf("the reader saw sequence %d right after %d", e.Sequence, last)
					return
				}
				last = e.Sequence
			}
		}
	}()
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < perWriter; i++ {
				fail := (w+i)%5 == 0 // some transactions roll back after taking their numbers
				n := 1 + i%2         // one or two events per transaction
				err := s.Update(ctx, o.ID, func(tx fieldwork.Tx) error {
					for k := 0; k < n; k++ {
						if err := tx.AppendEvent(ctx, newEvent(task, fieldwork.ActionPatch, 2), at(2)); err != nil {
							return err
						}
					}
					time.Sleep(2 * time.Millisecond) // hold the numbers while others wait
					if fail {
						return errRollback
					}
					return nil
				})
				switch {
				case fail && errors.Is(err, errRollback):
				case err != nil:
					t.Errorf("writer %d: %v", w, err)
				default:
					mu.Lock()
					committed += int64(n)
					mu.Unlock()
				}
			}
		}(w)
	}
	wg.Wait()
	close(done)
	if err := <-readerErr; err != nil {
		t.Error(err)
	}
	got := findEvents(t, s, o.ID, 0, 0)
	diff(t, "sequences of the committed events", span(1, committed), sequences(got))
	seen := map[fieldwork.ID]bool{}
	for _, e := range got {
		if seen[e.ID] {
			t.Errorf("event %s stored twice", e.ID)
		}
		seen[e.ID] = true
	}
}

var errRollback = errors.New("rolled back on purpose")

// pauseStore counts the runs of its Update transactions' functions (retries included) and
// calls the hook a context carries after each AppendEvent made with that context.
type pauseStore struct {
	fieldwork.Store
	runs atomic.Int32
}

type pauseKey struct{}

func (p *pauseStore) Update(ctx context.Context, orgID fieldwork.ID, fn func(fieldwork.Tx) error) error {
	return p.Store.Update(ctx, orgID, func(tx fieldwork.Tx) error {
		p.runs.Add(1)
		return fn(&pauseTx{Tx: tx})
	})
}

type pauseTx struct{ fieldwork.Tx }

func (t *pauseTx) AppendEvent(ctx context.Context, e *fieldwork.Event, due time.Time) error {
	if err := t.Tx.AppendEvent(ctx, e, due); err != nil {
		return err
	}
	if hook, ok := ctx.Value(pauseKey{}).(func()); ok {
		hook()
	}
	return nil
}

// testEventsLockOrder changes one step of an activity and pauses right after appending its
// event (a store numbering events at once then holds the organization's event counter), and
// meanwhile completes the next step, which locks the master. Both must commit at the first
// attempt: if the counter were taken before the master, the two transactions would wait for
// each other until the engine broke the deadlock (PostgreSQL, after deadlock_timeout) and one
// ran again. They may commit in either order; the roll-up's event follows the done's.
func testEventsLockOrder(t *testing.T, s fieldwork.Store) {
	ps := &pauseStore{Store: s}
	w := newActivityWorld(t, ps, 2, false)
	m, err := w.svc.CreateActivity(t.Context(), w.caller, w.body())
	if err != nil {
		t.Fatal(err)
	}
	holding, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	pause := func() {
		once.Do(func() {
			close(holding)
			<-release
		})
	}
	ps.runs.Store(0)
	errs := make(chan error, 2)
	go func() {
		ctx := context.WithValue(t.Context(), pauseKey{}, pause)
		_, err := w.svc.UpdateTask(ctx, w.caller, m.SubID[0], fieldwork.ChangePatch,
			map[string]json.RawMessage{"note": json.RawMessage(`"changed"`)}, nil)
		errs <- err
	}()
	<-holding
	go func() {
		_, err := w.svc.UpdateTask(t.Context(), w.caller, m.SubID[1], fieldwork.ChangeDone, map[string]json.RawMessage{}, nil)
		errs <- err
	}()
	time.Sleep(300 * time.Millisecond) // the second transaction reaches its wait
	close(release)
	for range 2 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if n := ps.runs.Load(); n != 2 {
		t.Errorf("the two transactions ran %d times: a deadlock made one run again", n)
	}
	got := findEvents(t, s, w.org, 3, 0) // after the activity's creation
	var types []string
	for _, e := range got {
		types = append(types, e.Type)
	}
	want := []string{fieldwork.EventTaskUpdated, fieldwork.EventTaskDone, fieldwork.EventActivityStatusChanged}
	if len(types) > 0 && types[0] != fieldwork.EventTaskUpdated {
		want = []string{fieldwork.EventTaskDone, fieldwork.EventActivityStatusChanged, fieldwork.EventTaskUpdated}
	}
	diff(t, "events of the two changes", want, types)
}
