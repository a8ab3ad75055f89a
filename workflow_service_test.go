package fieldwork_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldwork-dev/fieldwork"
	"github.com/fieldwork-dev/fieldwork/sqlite"
)

// wfEnv is a Service on a fresh SQLite store whose clock moves one second per reading, with
// one organization holding the Pickup, Delivery and Survey flows.
type wfEnv struct {
	svc                      *fieldwork.Service
	owner                    *fieldwork.Caller
	pickup, delivery, survey *fieldwork.Flow
}

func newWfEnv(t *testing.T) *wfEnv {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "fw.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := fieldwork.NewService(st)
	var tick atomic.Int64
	start := time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)
	svc.Clock = func() time.Time { return start.Add(time.Duration(tick.Add(1)) * time.Second) }
	_, _, secret, err := svc.CreateOrganization(ctx, "Acme", "owner@acme.test", "")
	if err != nil {
		t.Fatal(err)
	}
	owner, err := svc.Authenticate(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	e := &wfEnv{svc: svc, owner: owner}
	e.pickup, e.delivery, e.survey = wfFlows(t)
	for _, f := range []*fieldwork.Flow{e.pickup, e.delivery, e.survey} {
		f.OrganizationID = owner.OrgID()
		if err := st.Update(ctx, owner.OrgID(), func(tx fieldwork.Tx) error { return tx.CreateFlow(ctx, f) }); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// as returns a caller of the owner's organization with another role (permissions are checked
// on the caller alone).
func (e *wfEnv) as(role, email string) *fieldwork.Caller {
	u := *e.owner.User
	u.Role.Name, u.Email = role, email
	return &fieldwork.Caller{User: &u}
}

// input is a valid two-step body: Pickup, then Delivery whose recipientName copies the
// customer's name; the second step maps to the custom status Delivered.
func (e *wfEnv) input(name string) fieldwork.WorkflowInput {
	steps := []fieldwork.Step{
		{FlowID: e.pickup.ID},
		{FlowID: e.delivery.ID, StatusMapping: wfPtr("Delivered"), FieldMappings: []fieldwork.FieldMapping{
			{TargetField: "recipientName", SourceType: "step", SourceStep: wfPtr(0), SourceField: "$Pickup.customerName"}}},
	}
	statuses := []fieldwork.CustomStatus{{Name: "Delivered"}}
	return fieldwork.WorkflowInput{Name: &name, Steps: &steps, CustomStatuses: &statuses}
}

func TestWorkflowServiceCreateAndRead(t *testing.T) {
	ctx := context.Background()
	e := newWfEnv(t)
	w, err := e.svc.CreateWorkflow(ctx, e.owner, e.input("  Pickup to Delivery "))
	if err != nil {
		t.Fatal(err)
	}
	if w.Name != "Pickup to Delivery" || w.Version != 1 || !w.Sequential || w.CreatedBy != "owner@acme.test" ||
		w.UpdatedBy != "owner@acme.test" || w.OrganizationID != e.owner.OrgID() || w.CreatedTime.IsZero() ||
		len(w.CustomStatuses) != 4 || w.Steps[1].FlowName != "Delivery" || len(w.Steps[1].FieldSchema) != 6 ||
		*w.Steps[1].FieldMappings[0].SourceStepID != e.pickup.ID || w.Steps[1].FieldMappings[0].SourceField != "customerName" {
		t.Fatalf("created = %+v", w)
	}
	for _, role := range []string{fieldwork.RoleAdmin, fieldwork.RolePlanner, fieldwork.RoleFieldUser} {
		got, err := e.svc.FindWorkflow(ctx, e.as(role, "x@acme.test"), w.ID)
		if err != nil {
			t.Fatalf("%s: %v", role, err)
		}
		if diff := cmp.Diff(w, got); diff != "" {
			t.Fatalf("stored workflow differs (-created +read):\n%s", diff)
		}
	}
	for _, id := range []string{"nope", "000000000000000000000000"} {
		if _, err := e.svc.FindWorkflow(ctx, e.owner, id); wfCode(err) != "workf-033" || err.(*fieldwork.Error).Message != "Workflow not found" {
			t.Fatalf("FindWorkflow(%q) = %v", id, err)
		}
	}

	noSteps := e.input("No steps")
	noSteps.Steps = nil
	noName := e.input("")
	noName.Name = nil
	for _, tt := range []struct {
		name   string
		caller *fieldwork.Caller
		in     fieldwork.WorkflowInput
		want   string
	}{
		{"admin", e.as(fieldwork.RoleAdmin, "admin@acme.test"), e.input("By Admin"), ""},
		{"planner", e.as(fieldwork.RolePlanner, "p@acme.test"), e.input("X1"), "auth-003"},
		{"field user", e.as(fieldwork.RoleFieldUser, "f@acme.test"), e.input("X2"), "auth-003"},
		{"duplicate name, other case", e.owner, e.input("PICKUP TO DELIVERY"), "workf-031"},
		{"no name", e.owner, noName, "workf-003"},
		{"short name", e.owner, e.input("x"), "workf-003"},
		{"no steps", e.owner, noSteps, "workf-040"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.CreateWorkflow(ctx, tt.caller, tt.in)
			if wfCode(err) != tt.want {
				t.Fatalf("failedCode %q, want %q (%v)", wfCode(err), tt.want, err)
			}
		})
	}

	list, total, err := e.svc.FindWorkflows(ctx, e.as(fieldwork.RoleFieldUser, "f@acme.test"), fieldwork.WorkflowFilter{})
	if err != nil || total != 2 || len(list) != 2 || list[0].Name != "By Admin" || list[1].Name != "Pickup to Delivery" {
		t.Fatalf("list = %v, %d, %v", list, total, err)
	}
}

func TestWorkflowServiceUpdate(t *testing.T) {
	ctx := context.Background()
	e := newWfEnv(t)
	w, err := e.svc.CreateWorkflow(ctx, e.owner, e.input("Route"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateWorkflow(ctx, e.owner, e.input("Other")); err != nil {
		t.Fatal(err)
	}
	admin := e.as(fieldwork.RoleAdmin, "admin@acme.test")

	// Partial: only the name changes; the rest is kept, version and updatedBy move.
	name := "Morning Route"
	got, err := e.svc.UpdateWorkflow(ctx, admin, w.ID, fieldwork.WorkflowInput{Name: &name}, wfPtr(1))
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != name || got.Version != 2 || got.UpdatedBy != "admin@acme.test" || got.CreatedBy != "owner@acme.test" ||
		!cmp.Equal(got.Steps, w.Steps) || !cmp.Equal(got.CustomStatuses, w.CustomStatuses) || got.UpdatedTime == w.UpdatedTime {
		t.Fatalf("after rename: %+v", got)
	}
	off := false
	got, err = e.svc.UpdateWorkflow(ctx, admin, w.ID, fieldwork.WorkflowInput{Sequential: &off}, nil)
	if err != nil || got.Sequential || got.Version != 3 {
		t.Fatalf("after sequential=false: %+v, %v", got, err)
	}

	swapped := []fieldwork.Step{{FlowID: e.delivery.ID}, {FlowID: e.survey.ID}}
	three := []fieldwork.Step{{FlowID: e.pickup.ID}, {FlowID: e.delivery.ID}, {FlowID: e.survey.ID}}
	fewer := []fieldwork.CustomStatus{{Name: "Loaded"}}
	dup := "other"
	for _, tt := range []struct {
		name   string
		caller *fieldwork.Caller
		id     string
		in     fieldwork.WorkflowInput
		match  *int
		want   string
	}{
		{"planner", e.as(fieldwork.RolePlanner, "p@acme.test"), w.ID, fieldwork.WorkflowInput{Name: &name}, nil, "auth-003"},
		{"unknown id", e.owner, "000000000000000000000000", fieldwork.WorkflowInput{Name: &name}, nil, "workf-033"},
		{"stale version", e.owner, w.ID, fieldwork.WorkflowInput{Name: &name}, wfPtr(1), "etag-032"},
		{"duplicate name", e.owner, w.ID, fieldwork.WorkflowInput{Name: &dup}, nil, "workf-031"},
		{"step count changed", e.owner, w.ID, fieldwork.WorkflowInput{Steps: &three}, nil, "workf-048"},
		{"status removed while mapped", e.owner, w.ID, fieldwork.WorkflowInput{CustomStatuses: &fewer}, nil, "workf-049"},
		{"steps replaced", e.owner, w.ID, fieldwork.WorkflowInput{Steps: &swapped}, wfPtr(3), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.UpdateWorkflow(ctx, tt.caller, tt.id, tt.in, tt.match)
			if wfCode(err) != tt.want {
				t.Fatalf("failedCode %q, want %q (%v)", wfCode(err), tt.want, err)
			}
		})
	}
	got, err = e.svc.FindWorkflow(ctx, e.owner, w.ID)
	if err != nil || got.Version != 4 || got.Steps[0].FlowName != "Delivery" || got.Steps[1].FlowName != "Survey" ||
		got.Steps[1].StatusMapping != nil || len(got.Steps[1].FieldMappings) != 0 {
		t.Fatalf("after steps replaced: %+v, %v", got, err)
	}
	// Now nothing maps to Delivered: the status may go.
	if got, err = e.svc.UpdateWorkflow(ctx, e.owner, w.ID, fieldwork.WorkflowInput{CustomStatuses: &fewer}, nil); err != nil ||
		len(got.CustomStatuses) != 4 || got.CustomStatuses[3].Name != "Loaded" {
		t.Fatalf("statuses: %+v, %v", got, err)
	}
}

func TestWorkflowServiceDelete(t *testing.T) {
	ctx := context.Background()
	e := newWfEnv(t)
	w, err := e.svc.CreateWorkflow(ctx, e.owner, e.input("Route"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.DeleteWorkflow(ctx, e.as(fieldwork.RolePlanner, "p@acme.test"), w.ID, true, true, nil); wfCode(err) != "auth-003" {
		t.Fatalf("planner delete: %v", err)
	}
	if _, err := e.svc.DeleteWorkflow(ctx, e.owner, w.ID, false, false, wfPtr(9)); wfCode(err) != "etag-032" {
		t.Fatalf("stale delete: %v", err)
	}
	// Two activity masters use the workflow (and one plain task does not count).
	now := time.Now()
	err = e.svc.Store.Update(ctx, e.owner.OrgID(), func(tx fieldwork.Tx) error {
		for _, typ := range []string{fieldwork.TaskTypeActivityMaster, fieldwork.TaskTypeActivityMaster, fieldwork.TaskTypeActivityChild} {
			task := &fieldwork.Task{ID: fieldwork.NewID(now), OrganizationID: e.owner.OrgID(), Flow: "ActivityWorkflow",
				Status: fieldwork.StatusUnassigned, TaskType: typ, WorkflowID: &w.ID, Assignee: []string{},
				CreatedFrom: "API", CreatedBy: "owner@acme.test", UpdatedBy: "owner@acme.test",
				CreatedTime: fieldwork.NewTime(now), UpdatedTime: fieldwork.NewTime(now), Version: 1}
			if err := tx.CreateTask(ctx, task); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name             string
		force, confirmed bool
	}{{"neither", false, false}, {"force only", true, false}, {"confirmed only", false, true}} {
		t.Run(tt.name, func(t *testing.T) {
			usage, err := e.svc.DeleteWorkflow(ctx, e.owner, w.ID, tt.force, tt.confirmed, nil)
			var fe *fieldwork.Error
			if !errors.As(err, &fe) || fe.FailedCode != "workf-032" || usage != 2 ||
				!cmp.Equal(fe.Extra, map[string]any{"confirmation_required": true, "usage": map[string]int{"activities": 2}}) {
				t.Fatalf("delete refused = %d, %+v", usage, err)
			}
			if _, err := e.svc.FindWorkflow(ctx, e.owner, w.ID); err != nil {
				t.Fatalf("workflow gone after a refusal: %v", err)
			}
		})
	}
	if usage, err := e.svc.DeleteWorkflow(ctx, e.owner, w.ID, true, true, wfPtr(1)); err != nil || usage != 2 {
		t.Fatalf("forced delete = %d, %v", usage, err)
	}
	if _, err := e.svc.FindWorkflow(ctx, e.owner, w.ID); wfCode(err) != "workf-033" {
		t.Fatalf("deleted workflow still read: %v", err)
	}
	unused, _ := e.svc.CreateWorkflow(ctx, e.owner, e.input("Unused"))
	if usage, err := e.svc.DeleteWorkflow(ctx, e.owner, unused.ID, false, false, nil); err != nil || usage != 0 {
		t.Fatalf("delete unused = %d, %v", usage, err)
	}
}

func TestWorkflowServiceFieldMappings(t *testing.T) {
	ctx := context.Background()
	e := newWfEnv(t)
	w, err := e.svc.CreateWorkflow(ctx, e.owner, e.input("Route"))
	if err != nil {
		t.Fatal(err)
	}
	fieldUser := e.as(fieldwork.RoleFieldUser, "f@acme.test")
	d, err := e.svc.WorkflowFieldMappingData(ctx, fieldUser, w.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if d.CurrentStep.StepOrder != 1 || d.CurrentStep.FlowName != "Delivery" || len(d.CurrentStep.Fields) != 6 ||
		len(d.PreviousSteps) != 1 || d.PreviousSteps[0].FlowID != e.pickup.ID || len(d.ExistingMappings) != 1 {
		t.Fatalf("mapping data = %+v", d)
	}
	if d, err = e.svc.WorkflowFieldMappingData(ctx, fieldUser, w.ID, 0); err != nil || d.PreviousSteps == nil || len(d.PreviousSteps) != 0 ||
		d.ExistingMappings == nil {
		t.Fatalf("step 0 mapping data = %+v, %v", d, err)
	}
	for _, order := range []int{2, -1} {
		if _, err := e.svc.WorkflowFieldMappingData(ctx, e.owner, w.ID, order); wfCode(err) != "workf-033" || err.(*fieldwork.Error).Message != "Workflow or step not found" {
			t.Fatalf("step %d: %v", order, err)
		}
	}

	v, err := e.svc.ValidateWorkflowFieldMappings(ctx, fieldUser, w.ID, 1, []fieldwork.FieldMapping{
		{TargetField: "amount", SourceType: "manual", SourceField: "abc"},
		{TargetField: "recipientName", SourceType: "step", SourceStepID: wfPtr(e.pickup.ID), SourceField: "customerName"},
	})
	want := &fieldwork.MappingValidation{Valid: false, Errors: []string{"fieldMappings[0].sourceField: must be a number"},
		Warnings: []string{`fieldMappings: required field "pod" is not filled by any mapping`}}
	if err != nil || !cmp.Equal(v, want) {
		t.Fatalf("validation = %+v, %v", v, err)
	}
	v, err = e.svc.ValidateWorkflowFieldMappings(ctx, e.owner, w.ID, 0, nil)
	if err != nil || !v.Valid || len(v.Errors) != 0 || v.Errors == nil || len(v.Warnings) != 2 {
		t.Fatalf("validation of nothing = %+v, %v", v, err)
	}
	// Nothing was saved.
	got, _ := e.svc.FindWorkflow(ctx, e.owner, w.ID)
	if got.Version != 1 || !cmp.Equal(got.Steps, w.Steps) {
		t.Fatalf("validation changed the workflow: %+v", got)
	}
}
