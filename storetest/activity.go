package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldwork-dev/fieldwork"
)

// The activity cases run the Service on the store under test: they check what the store must
// give the service's activity rules — one transaction for a whole activity, and transactions
// that serialize concurrent changes of one activity's children.

// faultStore fails the failAt-th CreateTask (counting from 1) of its Update transactions.
type faultStore struct {
	fieldwork.Store
	mu              sync.Mutex
	failAt, creates int
}

func (f *faultStore) Update(ctx context.Context, orgID fieldwork.ID, fn func(fieldwork.Tx) error) error {
	return f.Store.Update(ctx, orgID, func(tx fieldwork.Tx) error { return fn(&faultTx{Tx: tx, s: f}) })
}

type faultTx struct {
	fieldwork.Tx
	s *faultStore
}

func (t *faultTx) CreateTask(ctx context.Context, task *fieldwork.Task) error {
	t.s.mu.Lock()
	t.s.creates++
	fail := t.s.creates == t.s.failAt
	t.s.mu.Unlock()
	if fail {
		return errors.New("injected failure")
	}
	return t.Tx.CreateTask(ctx, task)
}

// activityWorld is an organization with a hub, an assignee and a workflow of n steps.
type activityWorld struct {
	svc      *fieldwork.Service
	caller   *fieldwork.Caller
	org      fieldwork.ID
	hub      *fieldwork.Hub
	workflow *fieldwork.Workflow
}

func newActivityWorld(t *testing.T, s fieldwork.Store, steps int, sequential bool) *activityWorld {
	t.Helper()
	ctx := context.Background()
	w := &activityWorld{svc: fieldwork.NewService(s)}
	_, owner, secret, err := w.svc.CreateOrganization(ctx, "Acme", "owner@acme.test", "")
	if err != nil {
		t.Fatal(err)
	}
	w.org = owner.OrganizationID
	if w.caller, err = w.svc.Authenticate(ctx, secret); err != nil {
		t.Fatal(err)
	}
	name, addr, lat, lng := "Hub", "Street 1", 1.0, 2.0
	if w.hub, err = w.svc.CreateHub(ctx, w.caller, fieldwork.HubInput{Name: &name, Address: &addr, Lat: &lat, Lng: &lng}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	w.workflow = &fieldwork.Workflow{ID: fieldwork.NewID(now), OrganizationID: w.org, Name: "Job", Sequential: sequential,
		Version: 1, CustomStatuses: []fieldwork.CustomStatus{}, CreatedTime: fieldwork.NewTime(now), UpdatedTime: fieldwork.NewTime(now)}
	err = s.Update(ctx, w.org, func(tx fieldwork.Tx) error {
		for i := 0; i < steps; i++ {
			f := &fieldwork.Flow{ID: fieldwork.NewID(now), OrganizationID: w.org, Name: fmt.Sprintf("Step%d", i),
				Pages:   []fieldwork.Page{{ID: "page0", Components: []fieldwork.Component{{Component: "input", ID: "note", Title: "Note"}}}},
				Version: 1, CreatedTime: fieldwork.NewMicroTime(now), UpdatedTime: fieldwork.NewMicroTime(now)}
			if err := fieldwork.ValidateFlow(f); err != nil {
				return err
			}
			if err := tx.CreateFlow(ctx, f); err != nil {
				return err
			}
			mapping := fmt.Sprintf("Step %d done", i)
			w.workflow.Steps = append(w.workflow.Steps, fieldwork.Step{Order: i, FlowID: f.ID, FlowName: f.Name,
				StatusMapping: &mapping, FieldMappings: []fieldwork.FieldMapping{}})
			w.workflow.CustomStatuses = append(w.workflow.CustomStatuses, fieldwork.CustomStatus{Name: mapping})
		}
		return tx.CreateWorkflow(ctx, w.workflow)
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// body is a POST /activity body for the world's workflow, every step assigned to the Owner.
func (w *activityWorld) body() map[string]json.RawMessage {
	tasks := make([]any, len(w.workflow.Steps))
	for i := range tasks {
		tasks[i] = map[string]any{"note": fmt.Sprint(i), "assignee": "owner@acme.test"}
	}
	b, _ := json.Marshal(map[string]any{"workflowId": w.workflow.ID, "hubId": w.hub.ID, "tasks": tasks})
	var m map[string]json.RawMessage
	_ = json.Unmarshal(b, &m)
	return m
}

func allTasks(t *testing.T, s fieldwork.Store, org fieldwork.ID) []*fieldwork.Task {
	t.Helper()
	var all []*fieldwork.Task
	err := s.View(context.Background(), org, func(tx fieldwork.Tx) (err error) {
		all, err = tx.FindTasks(context.Background(), fieldwork.TaskFilter{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// testActivityAtomicity injects a failure at every task insert of a 5-step activity: the
// service answers activ-036 and no task remains.
func testActivityAtomicity(t *testing.T, s fieldwork.Store) {
	fs := &faultStore{Store: s}
	w := newActivityWorld(t, fs, 5, true)
	for k := 1; k <= 6; k++ {
		fs.failAt, fs.creates = k, 0
		_, err := w.svc.CreateActivity(context.Background(), w.caller, w.body())
		var fe *fieldwork.Error
		if !errors.As(err, &fe) || fe.FailedCode != "activ-036" || fe.Code != fieldwork.EINTERNAL {
			t.Fatalf("failure at insert %d: %v", k, err)
		}
		if n := len(allTasks(t, s, w.org)); n != 0 {
			t.Fatalf("failure at insert %d left %d tasks", k, n)
		}
	}
	fs.failAt = 0
	if m, err := w.svc.CreateActivity(context.Background(), w.caller, w.body()); err != nil || len(m.SubID) != 5 {
		t.Fatalf("create without failure: %v", err)
	}
}

// testActivityCascadeDelete deletes a master: its children go with it; a child alone cannot
// be deleted.
func testActivityCascadeDelete(t *testing.T, s fieldwork.Store) {
	ctx := context.Background()
	w := newActivityWorld(t, s, 3, true)
	m, err := w.svc.CreateActivity(ctx, w.caller, w.body())
	if err != nil {
		t.Fatal(err)
	}
	keep, err := w.svc.CreateActivity(ctx, w.caller, w.body())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.DeleteTask(ctx, w.caller, m.SubID[1], nil); !hasFailedCode(err, "activ-049") {
		t.Fatalf("deleting a child alone: %v", err)
	}
	if _, err := w.svc.DeleteTask(ctx, w.caller, m.ID, nil); err != nil {
		t.Fatal(err)
	}
	left := allTasks(t, s, w.org)
	if len(left) != 1+len(keep.SubID) {
		t.Fatalf("%d tasks left, want the other activity's %d", len(left), 1+len(keep.SubID))
	}
	for _, task := range left {
		if task.ID != keep.ID && (task.ParentID == nil || *task.ParentID != keep.ID) {
			t.Fatalf("task %s of the deleted activity survived", task.ID)
		}
	}
}

func hasFailedCode(err error, code string) bool {
	var fe *fieldwork.Error
	return errors.As(err, &fe) && fe.FailedCode == code
}

// testActivityConcurrentRollup completes every child of many activities from as many
// goroutines at once, while other activities are deleted, and then compares every master with
// the roll-up recomputed from its stored children. No update may be lost, no child orphaned,
// and the only error allowed is not-found (a child whose master was just deleted).
func testActivityConcurrentRollup(t *testing.T, s fieldwork.Store) {
	ctx := context.Background()
	w := newActivityWorld(t, s, 3, false)
	var masters []*fieldwork.Task
	for i := 0; i < 12; i++ {
		m, err := w.svc.CreateActivity(ctx, w.caller, w.body())
		if err != nil {
			t.Fatal(err)
		}
		masters = append(masters, m)
	}
	var wg sync.WaitGroup
	for i, m := range masters {
		for _, id := range m.SubID {
			wg.Add(1)
			go func(id fieldwork.ID, mayVanish bool) {
				defer wg.Done()
				_, err := w.svc.UpdateTask(ctx, w.caller, id, fieldwork.ChangeDone, map[string]json.RawMessage{}, nil)
				if err != nil && !(mayVanish && fieldwork.ErrorCode(err) == fieldwork.ENOTFOUND) {
					t.Errorf("done %s: %v", id, err)
				}
			}(id, i%4 == 3)
		}
		if i%4 == 3 {
			wg.Add(1)
			go func(id fieldwork.ID) {
				defer wg.Done()
				if err := w.svc.DeleteActivity(ctx, w.caller, id, nil); err != nil {
					t.Errorf("delete %s: %v", id, err)
				}
			}(m.ID)
		}
	}
	wg.Wait()
	all := allTasks(t, s, w.org)
	byID := map[fieldwork.ID]*fieldwork.Task{}
	for _, task := range all {
		byID[task.ID] = task
	}
	if len(all) != 9*4 {
		t.Errorf("%d tasks remain, want 36 (9 activities of 1+3)", len(all))
	}
	for _, m := range all {
		switch m.TaskType {
		case fieldwork.TaskTypeActivityChild:
			if byID[*m.ParentID] == nil {
				t.Errorf("orphan child %s", m.ID)
			}
		case fieldwork.TaskTypeActivityMaster:
			var kids []*fieldwork.Task
			for _, id := range m.SubID {
				kids = append(kids, byID[id])
			}
			want := fieldwork.ComputeRollup(kids, m.Workflow.Steps)
			got := fieldwork.Rollup{Status: m.Status, SubStatus: m.SubStatus, Assignee: m.Assignee, StartTime: m.StartTime, EndTime: m.EndTime}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("master %s differs from its roll-up (-want +got)\n%s", m.ID, diff)
			}
			if m.Status != fieldwork.StatusDone {
				t.Errorf("master %s is %s after all its children were completed", m.ID, m.Status)
			}
		}
	}
}
