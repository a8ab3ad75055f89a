package fieldwork_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/fieldwork-dev/fieldwork"
	"github.com/fieldwork-dev/fieldwork/sqlite"
)

// flowClock is the fixed time of the flow service tests.
var flowClock = time.Date(2030, 5, 6, 7, 8, 9, 123456789, time.UTC)

// flowService returns a Service on a fresh SQLite store with a fixed clock and one
// organization, and its Owner as a caller.
func flowService(t *testing.T) (*fieldwork.Service, *fieldwork.Caller) {
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
	svc.Clock = func() time.Time { return flowClock }
	_, _, secret, err := svc.CreateOrganization(ctx, "Acme", "owner@acme.test", "")
	if err != nil {
		t.Fatal(err)
	}
	owner, err := svc.Authenticate(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	return svc, owner
}

// flowCaller is a caller of the owner's organization with another role (the service checks
// permissions on the caller alone).
func flowCaller(owner *fieldwork.Caller, role, email string, hubIDs ...string) *fieldwork.Caller {
	u := *owner.User
	u.Role.Name, u.Email, u.HubID = role, email, hubIDs
	return &fieldwork.Caller{User: &u}
}

// flowCode returns the failedCode of err ("" for nil).
func flowCode(err error) string {
	var e *fieldwork.Error
	if errors.As(err, &e) {
		return e.FailedCode
	}
	if err != nil {
		return "internal: " + err.Error()
	}
	return ""
}

// flowInput builds a FlowInput with page0 holding the given components.
func flowInput(name string, comps ...fieldwork.Component) fieldwork.FlowInput {
	pages := []fieldwork.Page{{ID: "page0", Components: comps}}
	return fieldwork.FlowInput{Name: &name, Pages: &pages}
}

func TestFlowServiceCreate(t *testing.T) {
	ctx := context.Background()
	svc, owner := flowService(t)
	order, def := 4, true
	in := flowInput("  Delivery ", fieldwork.Component{Component: "INPUT", ID: "note", Title: "Note", Type: "text"})
	in.OrderIndex, in.IsDefault = &order, &def
	f, err := svc.CreateFlow(ctx, owner, in)
	if err != nil {
		t.Fatal(err)
	}
	want := fieldwork.NewMicroTime(flowClock)
	if f.Name != "Delivery" || f.Version != 1 || f.OrderIndex != 4 || !f.IsDefault || f.OrganizationID != owner.OrgID() ||
		f.CreatedBy != "owner@acme.test" || f.UpdatedBy != "owner@acme.test" || f.CreatedTime != want || f.UpdatedTime != want ||
		f.Pages[0].Components[0].Type != "String" || f.Pages[0].Components[0].Component != "input" || f.Configurations == nil {
		t.Fatalf("created flow = %+v", f)
	}
	got, err := svc.FindFlow(ctx, owner, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(f)
	b, _ := json.Marshal(got)
	if string(a) != string(b) {
		t.Fatalf("stored flow differs:\n%s\n%s", a, b)
	}
	if byName, err := svc.FindFlowByName(ctx, owner, "DELIVERY"); err != nil || byName.ID != f.ID {
		t.Fatalf("FindFlowByName = %v, %v", byName, err)
	}

	for _, tt := range []struct {
		name   string
		caller *fieldwork.Caller
		in     fieldwork.FlowInput
		want   string
	}{
		{"planner", flowCaller(owner, fieldwork.RolePlanner, "p@acme.test"), flowInput("X"), "auth-003"},
		{"field user", flowCaller(owner, fieldwork.RoleFieldUser, "f@acme.test"), flowInput("X"), "auth-003"},
		{"admin", flowCaller(owner, fieldwork.RoleAdmin, "a@acme.test"), flowInput("By Admin"), ""},
		{"no name", owner, fieldwork.FlowInput{Pages: flowInput("x").Pages}, "flow-034"},
		{"no pages", owner, fieldwork.FlowInput{Name: flowInput("x").Name}, "flow-034"},
		{"duplicate", owner, flowInput("delivery"), "flow-031"},
		{"reserved", owner, flowInput("activity"), "flow-034"},
		{"control character", owner, flowInput("a\nb"), "flow-034"},
		{"bad component", owner, flowInput("Y", fieldwork.Component{Component: "input", ID: "status"}), "flow-039"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := svc.CreateFlow(ctx, tt.caller, tt.in); flowCode(err) != tt.want {
				t.Fatalf("failedCode %q, want %q", flowCode(err), tt.want)
			}
		})
	}
}

func TestFlowServiceUpdateAndDelete(t *testing.T) {
	ctx := context.Background()
	svc, owner := flowService(t)
	in := flowInput("Delivery", fieldwork.Component{Component: "photo", ID: "pics", Title: "P"})
	order := 7
	confs := []json.RawMessage{json.RawMessage(`{"id":"endTime","adjustment":3}`)}
	in.OrderIndex, in.Configurations = &order, &confs
	f, err := svc.CreateFlow(ctx, owner, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateFlow(ctx, owner, flowInput("Pickup")); err != nil {
		t.Fatal(err)
	}
	admin := flowCaller(owner, fieldwork.RoleAdmin, "admin@acme.test")
	planner := flowCaller(owner, fieldwork.RolePlanner, "planner@acme.test")
	stale, current := 5, 1
	name := "Delivery Express"
	for _, tt := range []struct {
		name    string
		caller  *fieldwork.Caller
		id      string
		in      fieldwork.FlowInput
		full    bool
		ifMatch *int
		want    string
	}{
		{"planner", planner, f.ID, fieldwork.FlowInput{Name: &name}, false, nil, "auth-003"},
		{"malformed id", owner, "nope", fieldwork.FlowInput{Name: &name}, false, nil, "flow-033"},
		{"unknown id", owner, "000000000000000000000000", fieldwork.FlowInput{Name: &name}, false, nil, "flow-033"},
		{"stale if-match", owner, f.ID, fieldwork.FlowInput{Name: &name}, false, &stale, "etag-032"},
		{"put without pages", owner, f.ID, fieldwork.FlowInput{Name: &name}, true, nil, "flow-034"},
		{"duplicate name", owner, f.ID, flowInput("PICKUP"), true, nil, "flow-031"},
		{"patch", admin, f.ID, fieldwork.FlowInput{Name: &name}, false, &current, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := svc.UpdateFlow(ctx, tt.caller, tt.id, tt.in, tt.full, tt.ifMatch); flowCode(err) != tt.want {
				t.Fatalf("failedCode %q, want %q", flowCode(err), tt.want)
			}
		})
	}
	p, err := svc.FindFlow(ctx, owner, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != name || p.Version != 2 || p.UpdatedBy != "admin@acme.test" || p.CreatedBy != "owner@acme.test" ||
		p.OrderIndex != 7 || len(p.Configurations) != 1 || len(p.Pages[0].Components) != 1 {
		t.Fatalf("after patch: %+v", p)
	}

	// PUT keeps nothing of the old flow but its identity.
	r, err := svc.UpdateFlow(ctx, owner, f.ID, flowInput("Delivery"), true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != 3 || r.OrderIndex != 0 || len(r.Configurations) != 0 || len(r.Pages[0].Components) != 0 || r.CreatedTime != f.CreatedTime {
		t.Fatalf("after put: %+v", r)
	}

	// A flow a workflow step uses cannot go; once the workflow is gone, it can.
	wf := &fieldwork.Workflow{ID: fieldwork.NewID(flowClock), OrganizationID: owner.OrgID(), Name: "Uses Delivery",
		Steps:   []fieldwork.Step{{FlowID: f.ID, FlowName: f.Name, FieldMappings: []fieldwork.FieldMapping{}}},
		Version: 1, CreatedBy: "owner@acme.test", UpdatedBy: "owner@acme.test",
		CreatedTime: fieldwork.NewTime(flowClock), UpdatedTime: fieldwork.NewTime(flowClock)}
	if err := svc.Store.Update(ctx, owner.OrgID(), func(tx fieldwork.Tx) error { return tx.CreateWorkflow(ctx, wf) }); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.DeleteFlow(ctx, owner, f.ID, nil); flowCode(err) != "flow-046" {
		t.Fatalf("delete of a used flow: %v", err)
	}
	if err := svc.Store.Update(ctx, owner.OrgID(), func(tx fieldwork.Tx) error { return tx.DeleteWorkflow(ctx, wf.ID) }); err != nil {
		t.Fatal(err)
	}

	if _, err := svc.DeleteFlow(ctx, planner, f.ID, nil); flowCode(err) != "auth-003" {
		t.Fatalf("planner delete: %v", err)
	}
	if _, err := svc.DeleteFlow(ctx, owner, f.ID, &stale); flowCode(err) != "etag-032" {
		t.Fatalf("stale delete: %v", err)
	}
	d, err := svc.DeleteFlow(ctx, owner, f.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.DeletedAt == nil || *d.DeletedAt != fieldwork.NewMicroTime(flowClock) || d.ID != f.ID {
		t.Fatalf("delete answer: %+v", d)
	}
	if _, err := svc.FindFlow(ctx, owner, f.ID); flowCode(err) != "flow-033" {
		t.Fatalf("read after delete: %v", err)
	}
}

func TestFlowServiceTaskPayload(t *testing.T) {
	ctx := context.Background()
	svc, owner := flowService(t)
	in := flowInput("Delivery", fieldwork.Component{Component: "input", ID: "recipient", Title: "Recipient", Required: true})
	if _, err := svc.CreateFlow(ctx, owner, in); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.FlowTaskPayload(ctx, owner, "Nope"); flowCode(err) != "flow-033" {
		t.Fatalf("unknown flow: %v", err)
	}
	if _, err := svc.FlowTaskPayload(ctx, owner, ""); flowCode(err) != "flow-033" {
		t.Fatalf("empty name: %v", err)
	}
	p, err := svc.FlowTaskPayload(ctx, owner, "delivery")
	if err != nil {
		t.Fatal(err)
	}
	if p.BodyRequest["hubId"] != "" || p.BodyRequest["startTime"] != "2030-05-06 07:08:09" || p.BodyRequest["endTime"] != "2030-05-07 07:08:09" {
		t.Fatalf("without hubs: %v", p.BodyRequest)
	}
	hub := func(name string) string {
		lat, lng, addr := 1.0, 2.0, "a"
		h, err := svc.CreateHub(ctx, owner, fieldwork.HubInput{Name: &name, Address: &addr, Lat: &lat, Lng: &lng})
		if err != nil {
			t.Fatal(err)
		}
		return h.ID
	}
	surabaya, bandung := hub("Surabaya"), hub("Bandung")
	for _, tt := range []struct {
		name   string
		caller *fieldwork.Caller
		want   string
	}{
		{"every hub: first by name", owner, bandung},
		{"limited to one hub", flowCaller(owner, fieldwork.RoleFieldUser, "f@acme.test", surabaya), surabaya},
		{"limited to a deleted hub", flowCaller(owner, fieldwork.RolePlanner, "p@acme.test", "000000000000000000000000"), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := svc.FlowTaskPayload(ctx, tt.caller, "Delivery")
			if err != nil {
				t.Fatal(err)
			}
			if p.BodyRequest["hubId"] != tt.want {
				t.Fatalf("hubId = %v, want %s", p.BodyRequest["hubId"], tt.want)
			}
		})
	}
}
