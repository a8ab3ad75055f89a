package fieldwork_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/fieldwork-dev/fieldwork"
	"github.com/fieldwork-dev/fieldwork/sqlite"
)

// faultStore fails the failAt-th CreateTask of its Update transactions.
type faultStore struct {
	fieldwork.Store
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
	t.s.creates++
	if t.s.creates == t.s.failAt {
		return errors.New("injected failure")
	}
	return t.Tx.CreateTask(ctx, task)
}

// TestCreateActivityIsAtomic injects a failure at every task insert of a 5-step activity:
// the answer is activ-036 and no task or history remains.
func TestCreateActivityIsAtomic(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "fw.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	fs := &faultStore{Store: st}
	svc := fieldwork.NewService(fs)
	_, owner, secret, err := svc.CreateOrganization(ctx, "Acme", "owner@acme.test", "")
	if err != nil {
		t.Fatal(err)
	}
	caller, err := svc.Authenticate(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	hub, err := svc.CreateHub(ctx, caller, fieldwork.HubInput{Name: ptr("H"), Address: ptr("a"), Lat: ptr(1.0), Lng: ptr(2.0)})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	wf := &fieldwork.Workflow{ID: fieldwork.NewID(now), OrganizationID: owner.OrganizationID, Name: "Five", Sequential: true,
		Version: 1, CustomStatuses: []fieldwork.CustomStatus{}, CreatedTime: fieldwork.NewTime(now), UpdatedTime: fieldwork.NewTime(now)}
	tasks := []any{}
	err = st.Update(ctx, owner.OrganizationID, func(tx fieldwork.Tx) error {
		for i := 0; i < 5; i++ {
			f := &fieldwork.Flow{ID: fieldwork.NewID(now), OrganizationID: owner.OrganizationID, Name: fmt.Sprintf("F%d", i),
				Pages:   []fieldwork.Page{{ID: "page0", Components: []fieldwork.Component{{Component: "input", ID: "note", Title: "Note"}}}},
				Version: 1, CreatedTime: fieldwork.NewMicroTime(now), UpdatedTime: fieldwork.NewMicroTime(now)}
			if err := fieldwork.ValidateFlow(f); err != nil {
				return err
			}
			if err := tx.CreateFlow(ctx, f); err != nil {
				return err
			}
			wf.Steps = append(wf.Steps, fieldwork.Step{Order: i, FlowID: f.ID, FlowName: f.Name, FieldMappings: []fieldwork.FieldMapping{}})
			tasks = append(tasks, map[string]any{"note": fmt.Sprint(i)})
		}
		return tx.CreateWorkflow(ctx, wf)
	})
	if err != nil {
		t.Fatal(err)
	}
	body := map[string]json.RawMessage{}
	b, _ := json.Marshal(map[string]any{"workflowId": wf.ID, "hubId": hub.ID, "tasks": tasks})
	_ = json.Unmarshal(b, &body)

	for k := 1; k <= 6; k++ {
		fs.failAt, fs.creates = k, 0
		_, err := svc.CreateActivity(ctx, caller, body)
		var fe *fieldwork.Error
		if !errors.As(err, &fe) || fe.FailedCode != "activ-036" || fe.Code != fieldwork.EINTERNAL {
			t.Fatalf("failure at insert %d: %v", k, err)
		}
		err = st.View(ctx, owner.OrganizationID, func(tx fieldwork.Tx) error {
			all, err := tx.FindTasks(ctx, fieldwork.TaskFilter{})
			if err != nil {
				return err
			}
			if len(all) != 0 {
				return fmt.Errorf("failure at insert %d left %d tasks", k, len(all))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	fs.failAt = 0
	m, err := svc.CreateActivity(ctx, caller, body)
	if err != nil || len(m.SubID) != 5 {
		t.Fatalf("create without failure: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }
