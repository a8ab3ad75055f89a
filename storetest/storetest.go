// Package storetest is the conformance suite of fieldwork.Store: every storage engine runs Run
// against fresh stores of its own and must pass it unchanged.
//
// The suite tests only the contract of store.go, through the Store and Tx interfaces, never an
// engine's tables or SQL. Where store.go leaves a detail open that callers rely on, the suite
// pins it down, so that both engines behave alike:
//
//   - A Limit of 0 means "no limit" for every finder (as UserFilter documents).
//   - Finders of several objects return them in a stable order, so consecutive Offset/Limit
//     pages concatenate to the unpaged list.
//   - In task sorting an unset time (startTime, endTime, doneTime) sorts as the earliest
//     instant, titles compare lower-cased with an unset title as ""; ties are broken by id in
//     the sort's direction, and the keyset Cursor follows the same order.
//   - A TimeFrom/TimeTo bound on startTime or doneTime never matches a task where that time is
//     unset.
//   - A non-nil empty IDs or HubIDs list in a filter matches nothing.
//   - A write that fails (unique violation, duplicate id) fails its transaction: the caller
//     returns the error from fn and nothing of that transaction is kept.
//   - Every write in a View transaction returns an error, and nothing of it is kept.
//
// Left open on purpose: the order of FindUsers and FindRoles (compared as sets), and whether a
// user with an empty hubId (every hub) matches UserFilter.HubID (a service decision).
//
// Every fixture uses fixed instants (see at) so the suite is deterministic. A store with a
// known, reported gap may pass Skip for the one top-level test that shows it, so the rest of
// the suite keeps guarding it.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/fieldwork-dev/fieldwork"
)

// Run runs the whole suite. open must return a fresh, migrated, empty store for each call and
// arrange its closing with t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) fieldwork.Store, opts ...Option) {
	skip := map[string]string{}
	for _, o := range opts {
		o(skip)
	}
	for name := range skip {
		if !slices.ContainsFunc(suite, func(st suiteTest) bool { return st.name == name }) {
			t.Errorf("storetest.Skip(%q): no such test", name)
		}
	}
	for _, st := range suite {
		t.Run(st.name, func(t *testing.T) {
			if reason, ok := skip[st.name]; ok {
				t.Skip("known gap of this store: " + reason)
			}
			st.fn(t, open(t))
		})
	}
}

// suiteTest is one top-level test of the suite; each gets a fresh store.
type suiteTest struct {
	name string
	fn   func(t *testing.T, s fieldwork.Store)
}

var suite = []suiteTest{
	{"Organizations", testOrganizations},
	{"Users", testUsers},
	{"Tokens", testTokens},
	{"Hubs", testHubs},
	{"Flows", testFlows},
	{"Workflows", testWorkflows},
	{"TaskRoundTrip", testTaskRoundTrip},
	{"TaskUpdateDelete", testTaskUpdateDelete},
	{"TaskFilters", testTaskFilters},
	{"TaskSorting", testTaskSorting},
	{"TaskPaging", testTaskPaging},
	{"TaskChanges", testTaskChanges},
	{"Histories", testHistories},
	{"NotFound", testNotFound},
	{"Isolation", testIsolation},
	{"Atomicity", testAtomicity},
	{"ReadOnlyView", testReadOnlyView},
	{"ActivityAtomicity", testActivityAtomicity},
	{"ActivityCascadeDelete", testActivityCascadeDelete},
	{"ActivityConcurrentRollup", testActivityConcurrentRollup},
	{"IdempotencyKeys", testIdempotencyKeys},
	{"Events", testEvents},
	{"Webhooks", testWebhooks},
}

// Option adjusts a run of the suite.
type Option func(skip map[string]string)

// Skip skips one top-level test of the suite (e.g. "ReadOnlyView") for a known, reported gap of
// the store under test; the reason is printed with the skip. Remove it once the gap is closed.
func Skip(test, reason string) Option {
	return func(skip map[string]string) { skip[test] = reason }
}

// ---------------------------------------------------------------------------------------------
// Fixtures.

// base is the fixed origin of every fixture time.
var base = time.Date(2024, time.March, 1, 8, 0, 0, 0, time.UTC)

// at returns base plus some minutes.
func at(minutes int) time.Time { return base.Add(time.Duration(minutes) * time.Minute) }

// tm returns at(minutes) as a task/user time.
func tm(minutes int) fieldwork.Time { return fieldwork.NewTime(at(minutes)) }

// mt returns at(minutes) as a micro time, with a sub-second part so its precision is tested.
func mt(minutes int) fieldwork.MicroTime {
	return fieldwork.NewMicroTime(at(minutes).Add(123456 * time.Microsecond))
}

func ptr[T any](v T) *T { return &v }

// org is an organization created through Store.CreateOrganization, with what came with it.
type org struct {
	*fieldwork.Organization
	Roles []*fieldwork.Role
	Owner *fieldwork.User
	Token *fieldwork.Token
}

// role returns the organization's built-in role of that name.
func (o *org) role(name string) *fieldwork.Role {
	for _, r := range o.Roles {
		if r.Name == name {
			return r
		}
	}
	panic("storetest: no role " + name)
}

// newOrg builds an organization, its four roles, its Owner and the Owner's token, without
// storing them. minute sets every creation time.
func newOrg(name string, minute int) *org {
	now := at(minute)
	o := &org{Organization: &fieldwork.Organization{ID: fieldwork.NewID(now), Name: name, CreatedTime: tm(minute)}}
	for _, r := range fieldwork.BuiltinRoles {
		o.Roles = append(o.Roles, &fieldwork.Role{
			ID: fieldwork.NewID(now), Name: r, IsAdmin: r == fieldwork.RoleOwner || r == fieldwork.RoleAdmin,
			IsDefault: true, OrganizationID: o.ID, Permissions: []string{},
			CreatedTime: mt(minute), UpdatedTime: mt(minute),
		})
	}
	o.Owner = newUser(o, fieldwork.RoleOwner, "Owner", "owner@example.com", minute)
	o.Token = newToken(o.ID, o.Owner.ID, "owner", minute)
	return o
}

// createOrg builds and stores an organization.
func createOrg(t *testing.T, s fieldwork.Store, name string, minute int) *org {
	t.Helper()
	o := newOrg(name, minute)
	if err := s.CreateOrganization(t.Context(), o.Organization, o.Roles, o.Owner, o.Token); err != nil {
		t.Fatalf("CreateOrganization(%s): %v", name, err)
	}
	return o
}

func roleRef(r *fieldwork.Role) fieldwork.RoleRef {
	return fieldwork.RoleRef{ID: r.ID, Name: r.Name, IsAdmin: r.IsAdmin, IsDefault: r.IsDefault}
}

// newUser returns an active user of the organization with the named role and every hub.
func newUser(o *org, roleName, name, email string, minute int) *fieldwork.User {
	r := o.role(roleName)
	return &fieldwork.User{
		ID: fieldwork.NewID(at(minute)), OrganizationID: o.ID, Name: name, Email: email,
		PhoneNumber: nil, Language: "en", Status: fieldwork.UserActive, RoleID: r.ID, Role: roleRef(r),
		HubID: []fieldwork.ID{}, TeamID: []string{}, Version: 1, CreatedTime: tm(minute), UpdatedTime: tm(minute),
	}
}

// newToken returns a never-expiring token; its hash is unique to its id.
func newToken(orgID, userID fieldwork.ID, name string, minute int) *fieldwork.Token {
	id := fieldwork.NewID(at(minute))
	return &fieldwork.Token{
		ID: id, OrganizationID: orgID, UserID: userID, Name: name,
		Hash: fieldwork.HashToken("secret-" + id), CreatedTime: mt(minute),
	}
}

// newHub returns a hub with the name, created and updated at minute.
func newHub(orgID fieldwork.ID, name string, minute int) *fieldwork.Hub {
	return &fieldwork.Hub{
		ID: fieldwork.NewID(at(minute)), OrganizationID: orgID, Name: name, Address: name + " street 1",
		Lat: -6.2, Lng: 106.816666, Country: json.RawMessage(`{"code":"ID","name":"Indonesia"}`),
		CountryCode: ptr("ID"), DeleteAccess: true, Timezone: "Asia/Jakarta", Version: 1,
		CreatedTime: mt(minute), UpdatedTime: mt(minute),
	}
}

// newFlow returns a flow with one input component on page0.
func newFlow(orgID fieldwork.ID, name string, orderIndex, minute int) *fieldwork.Flow {
	return &fieldwork.Flow{
		ID: fieldwork.NewID(at(minute)), OrganizationID: orgID, Name: name,
		Pages: []fieldwork.Page{{
			ID: "page0", Title: ptr("Details"), Enabled: ptr(true),
			Components: []fieldwork.Component{{
				Component: "input", ID: "recipientName", Title: "Recipient", Type: "String",
				Required: true, Visible: ptr(true), ShowAs: ptr("title"),
			}, {
				Component: "select", ID: "size", Title: "Size", Type: "dropdown", Visible: ptr(true),
				Options: json.RawMessage(`["S","M","L"]`), Min: ptr(1.0), Max: ptr(1.0),
				Extra: map[string]json.RawMessage{"useDataSource": json.RawMessage(`false`)},
			}},
		}},
		Configurations: []json.RawMessage{json.RawMessage(`{"adjustment":2,"id":"endTime"}`)},
		OrderIndex:     orderIndex, Version: 1, CreatedBy: "owner@example.com", UpdatedBy: "owner@example.com",
		CreatedTime: mt(minute), UpdatedTime: mt(minute),
	}
}

// newWorkflow returns a workflow with one step per flow; step i > 0 maps a field of step i-1.
func newWorkflow(orgID fieldwork.ID, name string, minute int, flows ...*fieldwork.Flow) *fieldwork.Workflow {
	w := &fieldwork.Workflow{
		ID: fieldwork.NewID(at(minute)), OrganizationID: orgID, Name: name, Steps: []fieldwork.Step{},
		CustomStatuses: []fieldwork.CustomStatus{{Name: "Loaded", IsDefault: true}, {Name: "Delivered"}},
		Sequential:     true, Version: 1, CreatedBy: "owner@example.com", UpdatedBy: "owner@example.com",
		CreatedTime: tm(minute), UpdatedTime: tm(minute),
	}
	for i, f := range flows {
		st := fieldwork.Step{Order: i, FlowID: f.ID, FlowName: f.Name, FieldMappings: []fieldwork.FieldMapping{}}
		if i > 0 {
			st.StatusMapping = ptr("Delivered")
			st.FieldMappings = append(st.FieldMappings, fieldwork.FieldMapping{
				TargetField: "recipientName", SourceType: fieldwork.SourceStep, SourceStep: ptr(i - 1),
				SourceField: "recipientName",
			})
		}
		w.Steps = append(w.Steps, st)
	}
	return w
}

// newTask returns an unassigned plain task in the hub, created and updated at minute, with
// every optional pointer unset.
func newTask(orgID fieldwork.ID, hub *fieldwork.Hub, minute int) *fieldwork.Task {
	return &fieldwork.Task{
		ID: fieldwork.NewID(at(minute)), OrganizationID: orgID, Flow: "Delivery", HubID: hub.ID, Hub: hub.Ref(),
		Status: fieldwork.StatusUnassigned, TaskType: fieldwork.TaskTypeTask, Assignee: []string{},
		CreatedFrom: "api", CreatedBy: "owner@example.com", UpdatedBy: "owner@example.com",
		CreatedTime: tm(minute), UpdatedTime: tm(minute), Version: 1,
		Values: map[string]json.RawMessage{"recipientName": json.RawMessage(`"Ana"`)},
	}
}

// newHistory returns a history entry of the task.
func newHistory(taskID fieldwork.ID, action string, minute int) *fieldwork.History {
	return &fieldwork.History{
		ID: fieldwork.NewID(at(minute)), TaskID: taskID, Action: action, Notes: action + " by Owner",
		ChangeData: map[string]any{"status": "UNASSIGNED", "orderIndex": 1.5, "title": nil},
		Changes:    map[string]fieldwork.Change{"status": {From: "UNASSIGNED", To: "ONGOING"}},
		Actor:      "owner@example.com", CreatedAt: mt(minute),
	}
}

// ---------------------------------------------------------------------------------------------
// Transaction and assertion helpers.

// update runs fn in an Update transaction of the organization and fails the test on error.
func update(t *testing.T, s fieldwork.Store, orgID fieldwork.ID, fn func(tx fieldwork.Tx) error) {
	t.Helper()
	if err := s.Update(t.Context(), orgID, fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// view runs fn in a View transaction of the organization and fails the test on error.
func view(t *testing.T, s fieldwork.Store, orgID fieldwork.ID, fn func(tx fieldwork.Tx) error) {
	t.Helper()
	if err := s.View(t.Context(), orgID, fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// get returns fn's result, read in a View transaction of the organization.
func get[T any](t *testing.T, s fieldwork.Store, orgID fieldwork.ID, fn func(tx fieldwork.Tx) (T, error)) T {
	t.Helper()
	var v T
	view(t, s, orgID, func(tx fieldwork.Tx) (err error) {
		v, err = fn(tx)
		return err
	})
	return v
}

// create stores each object in one Update transaction.
func create(t *testing.T, s fieldwork.Store, orgID fieldwork.ID, objs ...any) {
	t.Helper()
	update(t, s, orgID, func(tx fieldwork.Tx) error {
		ctx := t.Context()
		for _, o := range objs {
			var err error
			switch v := o.(type) {
			case *fieldwork.User:
				err = tx.CreateUser(ctx, v)
			case *fieldwork.Token:
				err = tx.CreateToken(ctx, v)
			case *fieldwork.Hub:
				err = tx.CreateHub(ctx, v)
			case *fieldwork.Flow:
				err = tx.CreateFlow(ctx, v)
			case *fieldwork.Workflow:
				err = tx.CreateWorkflow(ctx, v)
			case *fieldwork.Task:
				err = tx.CreateTask(ctx, v)
			case *fieldwork.History:
				err = tx.AddHistory(ctx, v)
			default:
				panic(fmt.Sprintf("storetest: cannot create %T", o))
			}
			if err != nil {
				return fmt.Errorf("create %T: %w", o, err)
			}
		}
		return nil
	})
}

// wantCode fails the test unless err carries the error code.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := fieldwork.ErrorCode(err); got != code {
		t.Errorf("%s: error code %q (%v), want %q", what, got, err, code)
	}
}

// wantFailedCode fails the test unless err is a *fieldwork.Error with the failedCode.
func wantFailedCode(t *testing.T, what string, err error, failedCode string) {
	t.Helper()
	var e *fieldwork.Error
	if !errors.As(err, &e) {
		t.Errorf("%s: error %v, want a *fieldwork.Error with failedCode %s", what, err, failedCode)
	} else if e.FailedCode != failedCode {
		t.Errorf("%s: failedCode %q, want %q", what, e.FailedCode, failedCode)
	}
}

// diff fails the test when got and want differ.
func diff(t *testing.T, what string, want, got any, opts ...cmp.Option) {
	t.Helper()
	if d := cmp.Diff(want, got, opts...); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// byID sorts slices of objects by id, for comparisons where the order is not the point.
func byID[T any](id func(T) fieldwork.ID) cmp.Option {
	return cmpopts.SortSlices(func(a, b T) bool { return id(a) < id(b) })
}

// names maps objects to their fixture names, so a failing list comparison reads well.
type names map[fieldwork.ID]string

func (n names) of(ids []fieldwork.ID) []string {
	out := []string{}
	for _, id := range ids {
		if name, ok := n[id]; ok {
			out = append(out, name)
		} else {
			out = append(out, id)
		}
	}
	return out
}

func taskIDs(ts []*fieldwork.Task) []fieldwork.ID {
	out := []fieldwork.ID{}
	for _, t := range ts {
		out = append(out, t.ID)
	}
	return out
}

func userIDs(us []*fieldwork.User) []fieldwork.ID {
	out := []fieldwork.ID{}
	for _, u := range us {
		out = append(out, u.ID)
	}
	return out
}

func hubIDs(hs []*fieldwork.Hub) []fieldwork.ID {
	out := []fieldwork.ID{}
	for _, h := range hs {
		out = append(out, h.ID)
	}
	return out
}

func flowIDs(fs []*fieldwork.Flow) []fieldwork.ID {
	out := []fieldwork.ID{}
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// ---------------------------------------------------------------------------------------------
// Organizations.

func testOrganizations(t *testing.T, s fieldwork.Store) {
	ctx := t.Context()
	if n, err := s.CountOrganizations(ctx); err != nil || n != 0 {
		t.Fatalf("CountOrganizations of an empty store = %d, %v; want 0", n, err)
	}
	a := createOrg(t, s, "Acme", 0)
	b := createOrg(t, s, "Beta", 1)
	if n, err := s.CountOrganizations(ctx); err != nil || n != 2 {
		t.Fatalf("CountOrganizations = %d, %v; want 2", n, err)
	}

	t.Run("created with its roles, owner and token", func(t *testing.T) {
		view(t, s, a.ID, func(tx fieldwork.Tx) error {
			if tx.OrganizationID() != a.ID {
				t.Errorf("OrganizationID = %s, want %s", tx.OrganizationID(), a.ID)
			}
			got, err := tx.FindOrganization(ctx)
			if err != nil {
				return err
			}
			diff(t, "FindOrganization", a.Organization, got)
			roles, err := tx.FindRoles(ctx)
			if err != nil {
				return err
			}
			diff(t, "FindRoles", a.Roles, roles, byID(func(r *fieldwork.Role) fieldwork.ID { return r.ID }))
			for _, r := range a.Roles {
				got, err := tx.FindRoleByID(ctx, r.ID)
				if err != nil {
					return err
				}
				diff(t, "FindRoleByID "+r.Name, r, got)
			}
			owner, err := tx.FindUserByID(ctx, a.Owner.ID)
			if err != nil {
				return err
			}
			diff(t, "owner", a.Owner, owner)
			tok, err := tx.FindTokenByID(ctx, a.Token.ID)
			if err != nil {
				return err
			}
			diff(t, "owner token", a.Token, tok)
			n, err := tx.CountActiveOwners(ctx)
			if err != nil {
				return err
			}
			if n != 1 {
				t.Errorf("CountActiveOwners = %d, want 1", n)
			}
			return nil
		})
	})

	t.Run("FindCredential", func(t *testing.T) {
		for _, o := range []*org{a, b} {
			got, user, err := s.FindCredential(ctx, o.Token.Hash)
			if err != nil {
				t.Fatalf("FindCredential(%s): %v", o.Name, err)
			}
			diff(t, "FindCredential "+o.Name, o.Token, got)
			diff(t, "FindCredential "+o.Name+" user", o.Owner, user)
		}
		_, _, err := s.FindCredential(ctx, fieldwork.HashToken("unknown"))
		wantCode(t, "FindCredential(unknown)", err, fieldwork.ENOTFOUND)
	})

	t.Run("unknown organization", func(t *testing.T) {
		err := s.View(ctx, fieldwork.NewID(at(0)), func(tx fieldwork.Tx) error {
			_, err := tx.FindOrganization(ctx)
			return err
		})
		wantCode(t, "FindOrganization(unknown)", err, fieldwork.ENOTFOUND)
	})

	t.Run("creation is atomic", func(t *testing.T) {
		// The new owner's token reuses a stored hash, so the last write of the creation fails.
		c := newOrg("Gamma", 2)
		c.Token.Hash = a.Token.Hash
		if err := s.CreateOrganization(ctx, c.Organization, c.Roles, c.Owner, c.Token); err == nil {
			t.Fatal("CreateOrganization with a duplicate token hash succeeded")
		}
		if n, err := s.CountOrganizations(ctx); err != nil || n != 2 {
			t.Errorf("CountOrganizations after a failed creation = %d, %v; want 2", n, err)
		}
		err := s.View(ctx, c.ID, func(tx fieldwork.Tx) error {
			_, err := tx.FindOrganization(ctx)
			wantCode(t, "FindOrganization", err, fieldwork.ENOTFOUND)
			_, err = tx.FindUserByID(ctx, c.Owner.ID)
			wantCode(t, "FindUserByID(owner)", err, fieldwork.ENOTFOUND)
			_, err = tx.FindRoleByID(ctx, c.Roles[0].ID)
			wantCode(t, "FindRoleByID", err, fieldwork.ENOTFOUND)
			roles, err := tx.FindRoles(ctx)
			if len(roles) != 0 {
				t.Errorf("FindRoles = %d roles, want none", len(roles))
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := s.FindCredential(ctx, a.Token.Hash)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "token of the hash", a.Token, got)
	})
}

// ---------------------------------------------------------------------------------------------
// Users.

func testUsers(t *testing.T, s fieldwork.Store) {
	ctx := t.Context()
	o := createOrg(t, s, "Acme", 0)
	h1, h2 := fieldwork.NewID(at(0)), fieldwork.NewID(at(0))
	ana := newUser(o, fieldwork.RolePlanner, "Ana Lima", "ana@example.com", 1)
	ana.PhoneNumber = ptr("+62 811 000")
	ana.HubID = []fieldwork.ID{h1}
	budi := newUser(o, fieldwork.RoleFieldUser, "Budi Santoso", "budi@example.com", 2)
	budi.HubID = []fieldwork.ID{h1, h2}
	citra := newUser(o, fieldwork.RoleFieldUser, "Citra", "citra@example.org", 3)
	citra.Status = fieldwork.UserDisabled
	citra.HubID = []fieldwork.ID{h2}
	create(t, s, o.ID, ana, budi, citra)
	n := names{o.Owner.ID: "owner", ana.ID: "ana", budi.ID: "budi", citra.ID: "citra"}

	t.Run("round trip", func(t *testing.T) {
		for _, u := range []*fieldwork.User{ana, budi, citra} {
			got := get(t, s, o.ID, func(tx fieldwork.Tx) (*fieldwork.User, error) { return tx.FindUserByID(ctx, u.ID) })
			diff(t, "FindUserByID "+u.Name, u, got)
		}
	})

	t.Run("FindUserByEmail", func(t *testing.T) {
		got := get(t, s, o.ID, func(tx fieldwork.Tx) (*fieldwork.User, error) { return tx.FindUserByEmail(ctx, "Ana@Example.COM") })
		diff(t, "FindUserByEmail", ana, got)
		err := s.View(ctx, o.ID, func(tx fieldwork.Tx) error {
			_, err := tx.FindUserByEmail(ctx, "nobody@example.com")
			return err
		})
		wantCode(t, "FindUserByEmail(unknown)", err, fieldwork.ENOTFOUND)
	})

	t.Run("FindUsersByEmails", func(t *testing.T) {
		for _, tt := range []struct {
			emails []string
			want   []string
		}{
			{[]string{"ana@example.com", "citra@example.org", "nobody@example.com"}, []string{"ana", "citra"}},
			{[]string{"budi@example.com"}, []string{"budi"}},
			{[]string{"nobody@example.com"}, nil},
			{[]string{}, nil},
		} {
			got := get(t, s, o.ID, func(tx fieldwork.Tx) ([]*fieldwork.User, error) { return tx.FindUsersByEmails(ctx, tt.emails) })
			diff(t, fmt.Sprintf("FindUsersByEmails(%v)", tt.emails), sorted(tt.want), sorted(n.of(userIDs(got))), cmpopts.EquateEmpty())
		}
	})

	t.Run("FindUsers", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			f    fieldwork.UserFilter
			want []string
			// allHubs drops users with an empty hubId (every hub) from the result: whether
			// they match a hub filter is the service's business, not the store's.
			allHubs bool
		}{
			{"no filter", fieldwork.UserFilter{}, []string{"owner", "ana", "budi", "citra"}, false},
			{"hubId", fieldwork.UserFilter{HubID: &h1}, []string{"ana", "budi"}, true},
			{"hubId 2", fieldwork.UserFilter{HubID: &h2}, []string{"budi", "citra"}, true},
			{"roleId", fieldwork.UserFilter{RoleID: &o.role(fieldwork.RoleFieldUser).ID}, []string{"budi", "citra"}, false},
			{"roleId owner", fieldwork.UserFilter{RoleID: &o.role(fieldwork.RoleOwner).ID}, []string{"owner"}, false},
			{"teamId", fieldwork.UserFilter{TeamID: ptr("team1")}, nil, false},
			{"status disabled", fieldwork.UserFilter{Status: ptr(fieldwork.UserDisabled)}, []string{"citra"}, false},
			{"status active", fieldwork.UserFilter{Status: ptr(fieldwork.UserActive)}, []string{"owner", "ana", "budi"}, false},
			{"email", fieldwork.UserFilter{Email: ptr("budi@example.com")}, []string{"budi"}, false},
			{"email unknown", fieldwork.UserFilter{Email: ptr("nobody@example.com")}, nil, false},
			{"q in name", fieldwork.UserFilter{Q: ptr("LIMA")}, []string{"ana"}, false},
			{"q in email", fieldwork.UserFilter{Q: ptr("budi@")}, []string{"budi"}, false},
			{"q in both", fieldwork.UserFilter{Q: ptr("example.com")}, []string{"owner", "ana", "budi"}, false},
			{"q literal percent", fieldwork.UserFilter{Q: ptr("%")}, nil, false},
			{"q literal underscore", fieldwork.UserFilter{Q: ptr("_")}, nil, false},
			{"combined", fieldwork.UserFilter{Status: ptr(fieldwork.UserActive), RoleID: &o.role(fieldwork.RoleFieldUser).ID}, []string{"budi"}, false},
		} {
			t.Run(tt.name, func(t *testing.T) {
				var got []*fieldwork.User
				var total int
				view(t, s, o.ID, func(tx fieldwork.Tx) (err error) {
					got, total, err = tx.FindUsers(ctx, tt.f)
					return err
				})
				if tt.allHubs {
					got = slices.DeleteFunc(got, func(u *fieldwork.User) bool { return len(u.HubID) == 0 })
				} else if total != len(got) {
					t.Errorf("total = %d, want %d", total, len(got))
				}
				diff(t, "users", sorted(tt.want), sorted(n.of(userIDs(got))), cmpopts.EquateEmpty())
			})
		}
	})

	t.Run("FindUsers paging", func(t *testing.T) {
		find := func(f fieldwork.UserFilter) ([]*fieldwork.User, int) {
			var us []*fieldwork.User
			var total int
			view(t, s, o.ID, func(tx fieldwork.Tx) (err error) {
				us, total, err = tx.FindUsers(ctx, f)
				return err
			})
			return us, total
		}
		all, _ := find(fieldwork.UserFilter{})
		var pages []fieldwork.ID
		for off := 0; off < 6; off += 2 {
			page, total := find(fieldwork.UserFilter{Offset: off, Limit: 2})
			if total != 4 {
				t.Errorf("offset %d: total = %d, want 4", off, total)
			}
			if want := min(2, max(0, 4-off)); len(page) != want {
				t.Errorf("offset %d: %d users, want %d", off, len(page), want)
			}
			pages = append(pages, userIDs(page)...)
		}
		diff(t, "pages", n.of(userIDs(all)), n.of(pages))
		page, total := find(fieldwork.UserFilter{Status: ptr(fieldwork.UserActive), Limit: 1, Offset: 1})
		if total != 3 || len(page) != 1 {
			t.Errorf("active page 2 of size 1: %d users, total %d; want 1 of 3", len(page), total)
		}
	})

	t.Run("duplicate email", func(t *testing.T) {
		dup := newUser(o, fieldwork.RoleAdmin, "Other Ana", "ana@example.com", 4)
		err := s.Update(ctx, o.ID, func(tx fieldwork.Tx) error { return tx.CreateUser(ctx, dup) })
		wantFailedCode(t, "CreateUser with a taken email", err, "user-037")
		moved := *budi
		moved.Email = "ana@example.com"
		err = s.Update(ctx, o.ID, func(tx fieldwork.Tx) error { return tx.UpdateUser(ctx, &moved) })
		wantFailedCode(t, "UpdateUser to a taken email", err, "user-037")
		got := get(t, s, o.ID, func(tx fieldwork.Tx) (*fieldwork.User, error) { return tx.FindUserByID(ctx, budi.ID) })
		diff(t, "budi after the failed update", budi, got)
	})

	t.Run("UpdateUser", func(t *testing.T) {
		u := newUser(o, fieldwork.RoleFieldUser, "Dewi", "dewi@example.com", 5)
		create(t, s, o.ID, u)
		changed := *u
		changed.Name = "Dewi Sartika"
		changed.Email = "dewi.sartika@example.com"
		changed.PhoneNumber = ptr("0812")
		changed.RoleID = o.role(fieldwork.RoleAdmin).ID
		changed.Role = roleRef(o.role(fieldwork.RoleAdmin))
		changed.Status = fieldwork.UserDisabled
		changed.HubID = []fieldwork.ID{h2}
		changed.Version = 2
		changed.UpdatedTime = tm(6)
		update(t, s, o.ID, func(tx fieldwork.Tx) error { return tx.UpdateUser(ctx, &changed) })
		view(t, s, o.ID, func(tx fieldwork.Tx) error {
			got, err := tx.FindUserByID(ctx, u.ID)
			if err != nil {
				return err
			}
			diff(t, "FindUserByID", &changed, got)
			got, err = tx.FindUserByEmail(ctx, changed.Email)
			if err != nil {
				return err
			}
			diff(t, "FindUserByEmail(new)", &changed, got)
			_, err = tx.FindUserByEmail(ctx, u.Email)
			wantCode(t, "FindUserByEmail(old)", err, fieldwork.ENOTFOUND)
			// The filters see the new values.
			for _, f := range []fieldwork.UserFilter{
				{RoleID: &changed.RoleID}, {Status: ptr(fieldwork.UserDisabled)}, {HubID: &h2},
				{Email: &changed.Email}, {Q: ptr("sartika")},
			} {
				us, _, err := tx.FindUsers(ctx, f)
				if err != nil {
					return err
				}
				if !slices.Contains(userIDs(us), u.ID) {
					t.Errorf("FindUsers(%+v) misses the updated user", f)
				}
			}
			for _, f := range []fieldwork.UserFilter{
				{RoleID: &u.RoleID}, {Status: ptr(fieldwork.UserActive)}, {Email: &u.Email},
			} {
				us, _, err := tx.FindUsers(ctx, f)
				if err != nil {
					return err
				}
				if slices.Contains(userIDs(us), u.ID) {
					t.Errorf("FindUsers(%+v) still finds the user by its old value", f)
				}
			}
			return nil
		})
	})

	t.Run("DeleteUser", func(t *testing.T) {
		u := newUser(o, fieldwork.RoleFieldUser, "Eko", "eko@example.com", 7)
		tok1, tok2 := newToken(o.ID, u.ID, "one", 7), newToken(o.ID, u.ID, "two", 8)
		create(t, s, o.ID, u, tok1, tok2)
		update(t, s, o.ID, func(tx fieldwork.Tx) error { return tx.DeleteUser(ctx, u.ID) })
		view(t, s, o.ID, func(tx fieldwork.Tx) error {
			_, err := tx.FindUserByID(ctx, u.ID)
			wantCode(t, "FindUserByID(deleted)", err, fieldwork.ENOTFOUND)
			_, err = tx.FindUserByEmail(ctx, u.Email)
			wantCode(t, "FindUserByEmail(deleted)", err, fieldwork.ENOTFOUND)
			us, total, err := tx.FindUsers(ctx, fieldwork.UserFilter{})
			if err != nil {
				return err
			}
			if slices.Contains(userIDs(us), u.ID) || total != len(us) {
				t.Errorf("FindUsers lists the deleted user or miscounts: %d users, total %d", len(us), total)
			}
			us, err = tx.FindUsersByEmails(ctx, []string{u.Email})
			if err != nil {
				return err
			}
			if len(us) != 0 {
				t.Errorf("FindUsersByEmails finds the deleted user")
			}
			toks, err := tx.FindTokensByUser(ctx, u.ID)
			if err != nil {
				return err
			}
			for _, tok := range toks {
				if !tok.Revoked {
					t.Errorf("token %s of the deleted user is not revoked", tok.Name)
				}
			}
			return nil
		})
		for _, tok := range []*fieldwork.Token{tok1, tok2} {
			got, user, err := s.FindCredential(ctx, tok.Hash)
			if err == nil && !got.Revoked {
				t.Errorf("FindCredential: token %s of the deleted user is not revoked", tok.Name)
			} else if err == nil && user != nil {
				t.Errorf("FindCredential: token %s answers its deleted user %s", tok.Name, user.ID)
			} else if err != nil && fieldwork.ErrorCode(err) != fieldwork.ENOTFOUND {
				t.Errorf("FindCredential: %v", err)
			}
		}
		err := s.Update(ctx, o.ID, func(tx fieldwork.Tx) error { return tx.DeleteUser(ctx, u.ID) })
		wantCode(t, "DeleteUser twice", err, fieldwork.ENOTFOUND)
	})

	t.Run("CountActiveOwners", func(t *testing.T) {
		count := func() int {
			return get(t, s, o.ID, func(tx fieldwork.Tx) (int, error) { return tx.CountActiveOwners(ctx) })
		}
		if n := count(); n != 1 {
			t.Fatalf("CountActiveOwners = %d, want 1", n)
		}
		second := newUser(o, fieldwork.RoleOwner, "Second Owner", "owner2@example.com", 9)
		disabled := newUser(o, fieldwork.RoleOwner, "Disabled Owner", "owner3@example.com", 9)
		disabled.Status = fieldwork.UserDisabled
		create(t, s, o.ID, second, disabled)
		if n := count(); n != 2 {
			t.Errorf("CountActiveOwners with a disabled Owner = %d, want 2", n)
		}
		demoted := *second
		demoted.RoleID, demoted.Role = o.role(fieldwork.RoleAdmin).ID, roleRef(o.role(fieldwork.RoleAdmin))
		update(t, s, o.ID, func(tx fieldwork.Tx) error { return tx.UpdateUser(ctx, &demoted) })
		if n := count(); n != 1 {
			t.Errorf("CountActiveOwners after a demotion = %d, want 1", n)
		}
		update(t, s, o.ID, func(tx fieldwork.Tx) error { return tx.DeleteUser(ctx, o.Owner.ID) })
		if n := count(); n != 0 {
			t.Errorf("CountActiveOwners after deleting the Owner = %d, want 0", n)
		}
	})
}

// ---------------------------------------------------------------------------------------------
// Tokens.

func testTokens(t *testing.T, s fieldwork.Store) {
	ctx := t.Context()
	o := createOrg(t, s, "Acme", 0)
	ana := newUser(o, fieldwork.RolePlanner, "Ana", "ana@example.com", 1)
	expiring := newToken(o.ID, ana.ID, "ci", 2)
	expiring.ExpiresAt = fieldwork.NewMicroTime(time.Date(2025, 1, 2, 3, 4, 5, 678901000, time.UTC))
	forever := newToken(o.ID, ana.ID, "laptop", 3)
	create(t, s, o.ID, ana, expiring, forever)
	byTokenID := byID(func(t *fieldwork.Token) fieldwork.ID { return t.ID })

	t.Run("round trip", func(t *testing.T) {
		for _, tok := range []*fieldwork.Token{expiring, forever} {
			got := get(t, s, o.ID, func(tx fieldwork.Tx) (*fieldwork.Token, error) { return tx.FindTokenByID(ctx, tok.ID) })
			diff(t, "FindTokenByID "+tok.Name, tok, got)
			got, _, err := s.FindCredential(ctx, tok.Hash)
			if err != nil {
				t.Fatal(err)
			}
			diff(t, "FindCredential "+tok.Name, tok, got)
		}
		if !forever.ExpiresAt.IsZero() {
			t.Fatal("fixture: forever expires")
		}
	})

	t.Run("FindTokensByUser", func(t *testing.T) {
		got := get(t, s, o.ID, func(tx fieldwork.Tx) ([]*fieldwork.Token, error) { return tx.FindTokensByUser(ctx, ana.ID) })
		diff(t, "ana's tokens", []*fieldwork.Token{expiring, forever}, got, byTokenID)
		got = get(t, s, o.ID, func(tx fieldwork.Tx) ([]*fieldwork.Token, error) { return tx.FindTokensByUser(ctx, o.Owner.ID) })
		diff(t, "owner's tokens", []*fieldwork.Token{o.Token}, got, byTokenID)
		got = get(t, s, o.ID, func(tx fieldwork.Tx) ([]*fieldwork.Token, error) {
			return tx.FindTokensByUser(ctx, fieldwork.NewID(at(0)))
		})
		if len(got) != 0 {
			t.Errorf("tokens of an unknown user: %d", len(got))
		}
	})

	t.Run("UpdateToken", func(t *testing.T) {
		renamed := *forever
		renamed.Name = "desktop"
		update(t, s, o.ID, func(tx fieldwork.Tx) error { return tx.UpdateToken(ctx, &renamed) })
		got := get(t, s, o.ID, func(tx fieldwork.Tx) (*fieldwork.Token, error) { return tx.FindTokenByID(ctx, forever.ID) })
		diff(t, "renamed", &renamed, got)
		revoked := renamed
		revoked.Revoked = true
		update(t, s, o.ID, func(tx fieldwork.Tx) error { return tx.UpdateToken(ctx, &revoked) })
		got = get(t, s, o.ID, func(tx fieldwork.Tx) (*fieldwork.Token, error) { return tx.FindTokenByID(ctx, forever.ID) })
		diff(t, "revoked", &revoked, got)
		got, _, err := s.FindCredential(ctx, forever.Hash)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "revoked by hash", &revoked, got)
		got = get(t, s, o.ID, func(tx fieldwork.Tx) (*fieldwork.Token, error) { return tx.FindTokenByID(ctx, expiring.ID) })
		diff(t, "the other token", expiring, got)
	})

	t.Run("RevokeUserTokens", func(t *testing.T) {
		update(t, s, o.ID, func(tx fieldwork.Tx) error { return tx.RevokeUserTokens(ctx, ana.ID) })
		toks := get(t, s, o.ID, func(tx fieldwork.Tx) ([]*fieldwork.Token, error) { return tx.FindTokensByUser(ctx, ana.ID) })
		if len(toks) != 2 {
			t.Fatalf("ana has %d tokens, want 2", len(toks))
		}
		for _, tok := range toks {
			if !tok.Revoked {
				t.Errorf("token %s not revoked", tok.Name)
			}
		}
		got, _, err := s.FindCredential(ctx, expiring.Hash)
		if err != nil || !got.Revoked {
			t.Errorf("FindCredential after RevokeUserTokens = %+v, %v; want revoked", got, err)
		}
		got, _, err = s.FindCredential(ctx, o.Token.Hash)
		if err != nil || got.Revoked {
			t.Errorf("another user's token = %+v, %v; want not revoked", got, err)
		}
		// Revoking a user without tokens is not an error.
		update(t, s, o.ID, func(tx fieldwork.Tx) error { return tx.RevokeUserTokens(ctx, fieldwork.NewID(at(0))) })
	})
}

// ---------------------------------------------------------------------------------------------
// Hubs.

func testHubs(t *testing.T, s fieldwork.Store) {
	ctx := t.Context()
	o := createOrg(t, s, "Acme", 0)
	// Names whose order is the same compared case-sensitively or not; created and updated
	// times in different orders so each sort key has its own answer.
	bandung := newHub(o.ID, "Bandung", 2)
	bandung.UpdatedTime = mt(20)
	jakarta := newHub(o.ID, "Jakarta", 1)
	jakarta.UpdatedTime = mt(30)
	surabaya := newHub(o.ID, "Surabaya Timur", 3)
	surabaya.Country, surabaya.CountryCode = json.RawMessage(`null`), nil
	zona := newHub(o.ID, "Zona 100%", 4)
	zona.UpdatedTime = mt(10)
	create(t, s, o.ID, zona, surabaya, jakarta, bandung)
	n := names{bandung.ID: "Bandung", jakarta.ID: "Jakarta", surabaya.ID: "Surabaya Timur", zona.ID: "Zona 100%"}

	t.Run("round trip", func(t *testing.T) {
		for _, h := range []*fieldwork.Hub{bandung, jakarta, surabaya, zona} {
			got := get(t, s, o.ID, func(tx fieldwork.Tx) (*fieldwork.Hub, error) { return tx.FindHubByID(ctx, h.ID) })
			diff(t, "FindHubByID "+h.Name, h, got)
		}
	})

	t.Run("FindHubByName", func(t *testing.T) {
		for _, name := range []string{"Jakarta", "JAKARTA", "jakarta"} {
			got := get(t, s, o.ID, func(tx fieldwork.Tx) (*fieldwork.Hub, error) { return tx.FindHubByName(ctx, name) })
			diff(t, "FindHubByName "+name, jakarta, got)
		}
		for _, name := range []string{"Jak", "Jakarta ", "Medan"} {
			err := s.View(ctx, o.ID, func(tx fieldwork.Tx) error {
				_, err := tx.FindHubByName(ctx, name)
				return err
			})
			wantCode(t, fmt.Sprintf("FindHubByName(%q)", name), err, fieldwork.ENOTFOUND)
		}
	})

	t.Run("FindHubs", func(t *testing.T) {
		for _, tt := range []struct {
			name  string
			f     fieldwork.HubFilter
			want  []string
			total int
		}{
			{"default: name asc", fieldwork.HubFilter{}, []string{"Bandung", "Jakarta", "Surabaya Timur", "Zona 100%"}, 4},
			{"name desc", fieldwork.HubFilter{SortOrder: "desc"}, []string{"Zona 100%", "Surabaya Timur", "Jakarta", "Bandung"}, 4},
			{"name asc explicit", fieldwork.HubFilter{SortBy: "name", SortOrder: "asc"}, []string{"Bandung", "Jakarta", "Surabaya Timur", "Zona 100%"}, 4},
			{"createdTime asc", fieldwork.HubFilter{SortBy: "createdTime"}, []string{"Jakarta", "Bandung", "Surabaya Timur", "Zona 100%"}, 4},
			{"createdTime desc", fieldwork.HubFilter{SortBy: "createdTime", SortOrder: "desc"}, []string{"Zona 100%", "Surabaya Timur", "Bandung", "Jakarta"}, 4},
			{"updatedTime asc", fieldwork.HubFilter{SortBy: "updatedTime"}, []string{"Surabaya Timur", "Zona 100%", "Bandung", "Jakarta"}, 4},
			{"updatedTime desc", fieldwork.HubFilter{SortBy: "updatedTime", SortOrder: "desc"}, []string{"Jakarta", "Bandung", "Zona 100%", "Surabaya Timur"}, 4},
			{"name exact", fieldwork.HubFilter{Name: ptr("jakarta")}, []string{"Jakarta"}, 1},
			{"name is not a substring", fieldwork.HubFilter{Name: ptr("Jak")}, nil, 0},
			{"q", fieldwork.HubFilter{Q: ptr("BAYA")}, []string{"Surabaya Timur"}, 1},
			{"q many", fieldwork.HubFilter{Q: ptr("N")}, []string{"Bandung", "Zona 100%"}, 2},
			{"q literal percent", fieldwork.HubFilter{Q: ptr("%")}, []string{"Zona 100%"}, 1},
			{"q literal underscore", fieldwork.HubFilter{Q: ptr("_")}, nil, 0},
			{"ids", fieldwork.HubFilter{IDs: []fieldwork.ID{jakarta.ID, zona.ID}}, []string{"Jakarta", "Zona 100%"}, 2},
			{"ids empty", fieldwork.HubFilter{IDs: []fieldwork.ID{}}, nil, 0},
			{"ids and q", fieldwork.HubFilter{IDs: []fieldwork.ID{jakarta.ID, zona.ID, bandung.ID}, Q: ptr("n")}, []string{"Bandung", "Zona 100%"}, 2},
			{"limit", fieldwork.HubFilter{Limit: 2}, []string{"Bandung", "Jakarta"}, 4},
			{"offset and limit", fieldwork.HubFilter{Offset: 1, Limit: 2}, []string{"Jakarta", "Surabaya Timur"}, 4},
			{"offset", fieldwork.HubFilter{Offset: 3}, []string{"Zona 100%"}, 4},
			{"offset past the end", fieldwork.HubFilter{Offset: 4, Limit: 2}, nil, 4},
			{"paged sort", fieldwork.HubFilter{SortBy: "updatedTime", SortOrder: "desc", Offset: 1, Limit: 2}, []string{"Bandung", "Zona 100%"}, 4},
			{"paged q", fieldwork.HubFilter{Q: ptr("a"), Limit: 1, Offset: 1}, []string{"Jakarta"}, 4},
		} {
			t.Run(tt.name, func(t *testing.T) {
				var got []*fieldwork.Hub
				var total int
				view(t, s, o.ID, func(tx fieldwork.Tx) (err error) {
					got, total, err = tx.FindHubs(ctx, tt.f)
					return err
				})
				diff(t, "hubs", tt.want, n.of(hubIDs(got)), cmpopts.EquateEmpty())
				if total != tt.total {
					t.Errorf("total = %d, want %d", total, tt.total)
				}
			})
		}
	})

	t.Run("duplicate name", func(t *testing.T) {
		err := s.Update(ctx, o.ID, func(tx fieldwork.Tx) error { return tx.CreateHub(ctx, newHub(o.ID, "JAKARTA", 5)) })
		wantFailedCode(t, "CreateHub with a taken name", err, "hub-034")
		renamed := *bandung
		renamed.Name = "jakarta"
		err = s.Update(ctx, o.ID, func(tx fieldwork.Tx) error { return tx.UpdateHub(ctx, &renamed) })
		wantFailedCode(t, "UpdateHub to a taken name", err, "hub-034")
		got := get(t, s, o.ID, func(tx fieldwork.Tx) (*fieldwork.Hub, error) { return tx.FindHubByID(ctx, bandung.ID) })
		diff(t, "Bandung after the failed update", bandung, got)
		// A hub may keep its own name in another case.
		recased := *bandung
		recased.Name = "BANDUNG"
		update(t, s, o.ID, func(tx fieldwork.Tx) error { return tx.UpdateHub(ctx, &recased) })
		update(t, s, o.ID, func(tx fieldwork.Tx) error { return tx.UpdateHub(ctx, bandung) })
	})

	t.Run("UpdateHub", func(t *testing.T) {
		h := newHub(o.ID, "Medan", 6)
		create(t, s, o.ID, h)
		changed := *h
		changed.Name, changed.Address, changed.Lat, changed.Lng = "Medan Kota", "Jl. Baru 2", 3.5952, 98.6722
		changed.Timezone, changed.Version, changed.UpdatedTime = "Asia/Jakarta", 2, mt(40)
		changed.Country, changed.CountryCode = json.RawMessage(`null`), nil
		update(t, s, o.ID, func(tx fieldwork.Tx) error { return tx.UpdateHub(ctx, &changed) })
		view(t, s, o.ID, func(tx fieldwork.Tx) error {
			got, err := tx.FindHubByID(ctx, h.ID)
			if err != nil {
				return err
			}
			diff(t, "FindHubByID", &changed, got)
			got, err = tx.FindHubByName(ctx, "medan kota")
			if err != nil {
				return err
			}
			diff(t, "FindHubByName(new)", &changed, got)
			_, err = tx.FindHubByName(ctx, "Medan")
			wantCode(t, "FindHubByName(old)", err, fieldwork.ENOTFOUND)
			hs, _, err := tx.FindHubs(ctx, fieldwork.HubFilter{SortBy: "updatedTime", SortOrder: "desc", Limit: 1})
			if err != nil {
				return err
			}
			diff(t, "latest updated hub", []fieldwork.ID{h.ID}, hubIDs(hs))
			return nil
		})
		// The old name is free again.
		create(t, s, o.ID, newHub(o.ID, "Medan", 7))
	})

	t.Run("DeleteHub", func(t *testing.T) {
		h := newHub(o.ID, "Palu", 8)
		create(t, s, o.ID, h)
		update(t, s, o.ID, func(tx fieldwork.Tx) error { return tx.DeleteHub(ctx, h.ID) })
		view(t, s, o.ID, func(tx fieldwork.Tx) error {
			_, err := tx.FindHubByID(ctx, h.ID)
			wantCode(t, "FindHubByID(deleted)", err, fieldwork.ENOTFOUND)
			_, err = tx.FindHubByName(ctx, h.Name)
			wantCode(t, "FindHubByName(deleted)", err, fieldwork.ENOTFOUND)
			hs, _, err := tx.FindHubs(ctx, fieldwork.HubFilter{})
			if slices.Contains(hubIDs(hs), h.ID) {
				t.Error("FindHubs lists the deleted hub")
			}
			return err
		})
		err := s.Update(ctx, o.ID, func(tx fieldwork.Tx) error { return tx.DeleteHub(ctx, h.ID) })
		wantCode(t, "DeleteHub twice", err, fieldwork.ENOTFOUND)
	})

	t.Run("HubReferenced", func(t *testing.T) {
		h, other := newHub(o.ID, "Bogor", 9), newHub(o.ID, "Depok", 9)
		create(t, s, o.ID, h, other)
		referenced := func() bool {
			return get(t, s, o.ID, func(tx fieldwork.Tx) (bool, error) { return tx.HubReferenced(ctx, h.ID) })
		}
		if referenced() {
			t.Fatal("a new hub is referenced")
		}
		task := newTask(o.ID, h, 10)
		create(t, s, o.ID, task)
		if !referenced() {
			t.Error("a hub with a task is not referenced")
		}
		moved := *task
		moved.HubID, moved.Hub = other.ID, other.Ref()
		update(t, s, o.ID, func(tx fieldwork.Tx) error { return tx.UpdateTask(ctx, &moved) })
		if referenced() {
			t.Error("a hub whose task moved away is still referenced")
		}
		update(t, s, o.ID, func(tx fieldwork.Tx) error { return tx.UpdateTask(ctx, task) })
		update(t, s, o.ID, func(tx fieldwork.Tx) error { return tx.DeleteTask(ctx, task.ID, at(11)) })
		if referenced() {
			t.Error("a hub whose task was deleted is still referenced")
		}

		u := newUser(o, fieldwork.RoleFieldUser, "Fajar", "fajar@example.com", 12)
		u.HubID = []fieldwork.ID{other.ID, h.ID}
		create(t, s, o.ID, u)
		if !referenced() {
			t.Error("a hub in a user's hubId is not referenced")
		}
		changed := *u
		changed.HubID = []fieldwork.ID{other.ID}
		update(t, s, o.ID, func(tx fieldwork.Tx) error { return tx.UpdateUser(ctx, &changed) })
		if referenced() {
			t.Error("a hub removed from a user's hubId is still referenced")
		}
		update(t, s, o.ID, func(tx fieldwork.Tx) error { return tx.UpdateUser(ctx, u) })
		update(t, s, o.ID, func(tx fieldwork.Tx) error { return tx.DeleteUser(ctx, u.ID) })
		if referenced() {
			t.Error("a hub of a deleted user is still referenced")
		}
		if got := get(t, s, o.ID, func(tx fieldwork.Tx) (bool, error) { return tx.HubReferenced(ctx, fieldwork.NewID(at(0))) }); got {
			t.Error("an unknown hub is referenced")
		}
	})
}

// ---------------------------------------------------------------------------------------------
// Flows.

func testFlows(t *testing.T, s fieldwork.Store) {
	ctx := t.Context()
	o := createOrg(t, s, "Acme", 0)
	delivery := newFlow(o.ID, "Delivery", 1, 3)
	delivery.UpdatedTime = mt(30)
	delivery.IsDefault = true
	pickup := newFlow(o.ID, "Pickup", 2, 1)
	pickup.UpdatedTime = mt(10)
	survey := newFlow(o.ID, "Survey", 3, 2)
	survey.UpdatedTime = mt(20)
	survey.Configurations = []json.RawMessage{}
	create(t, s, o.ID, survey, delivery, pickup)
	n := names{delivery.ID: "Delivery", pickup.ID: "Pickup", survey.ID: "Survey"}

	t.Run("round trip", func(t *testing.T) {
		for _, f := range []*fieldwork.Flow{delivery, pickup, survey} {
			got := get(t, s, o.ID, func(tx fieldwork.Tx) (*fieldwork.Flow, error) { return tx.FindFlowByID(ctx, f.ID) })
			diff(t, "FindFlowByID "+f.Name, f, got)
		}
	})

	t.Run("FindFlowsByIDs", func(t *testing.T) {
		other := createOrg(t, s, "Other", 1)
		elsewhere := newFlow(other.ID, "Pickup", 1, 1)
		create(t, s, other.ID, elsewhere)
		for _, tt := range []struct {
			name string
			ids  []fieldwork.ID
			want []*fieldwork.Flow
		}{
			{"none", nil, nil},
			{"two, a missing one and a repeat", []fieldwork.ID{survey.ID, fieldwork.NewID(at(0)), pickup.ID, survey.ID}, []*fieldwork.Flow{pickup, survey}},
			{"another organization's", []fieldwork.ID{elsewhere.ID, delivery.ID}, []*fieldwork.Flow{delivery}},
		} {
			got := get(t, s, o.ID, func(tx fieldwork.Tx) ([]*fieldwork.Flow, error) { return tx.FindFlowsByIDs(ctx, tt.ids) })
			slices.SortFunc(got, func(a, b *fieldwork.Flow) int { return strings.Compare(a.Name, b.Name) })
			diff(t, tt.name, tt.want, got, cmpopts.EquateEmpty())
		}
	})

	t.Run("FindFlowByName", func(t *testing.T) {
		for _, name := range []string{"Pickup", "PICKUP", "pickup"} {
			got := get(t, s, o.ID, func(tx fieldwork.Tx) (*fieldwork.Flow, error) { return tx.FindFlowByName(ctx, name) })
			diff(t, "FindFlowByName "+name, pickup, got)
		}
		err := s.View(ctx, o.ID, func(tx fieldwork.Tx) error {
			_, err := tx.FindFlowByName(ctx, "Pick")
			return err
		})
		wantCode(t, "FindFlowByName(Pick)", err, fieldwork.ENOTFOUND)
	})

	t.Run("FindFlows", func(t *testing.T) {
		for _, tt := range []struct {
			name  string
			f     fieldwork.FlowFilter
			want  []string
			total int
		}{
			{"default: orderIndex desc", fieldwork.FlowFilter{}, []string{"Survey", "Pickup", "Delivery"}, 3},
			{"orderIndex asc", fieldwork.FlowFilter{SortOrder: "asc"}, []string{"Delivery", "Pickup", "Survey"}, 3},
			{"name asc", fieldwork.FlowFilter{SortBy: "name", SortOrder: "asc"}, []string{"Delivery", "Pickup", "Survey"}, 3},
			{"name desc", fieldwork.FlowFilter{SortBy: "name", SortOrder: "desc"}, []string{"Survey", "Pickup", "Delivery"}, 3},
			{"createdTime asc", fieldwork.FlowFilter{SortBy: "createdTime", SortOrder: "asc"}, []string{"Pickup", "Survey", "Delivery"}, 3},
			{"createdTime desc", fieldwork.FlowFilter{SortBy: "createdTime"}, []string{"Delivery", "Survey", "Pickup"}, 3},
			{"updatedTime asc", fieldwork.FlowFilter{SortBy: "updatedTime", SortOrder: "asc"}, []string{"Pickup", "Survey", "Delivery"}, 3},
			{"updatedTime desc", fieldwork.FlowFilter{SortBy: "updatedTime", SortOrder: "desc"}, []string{"Delivery", "Survey", "Pickup"}, 3},
			{"name exact", fieldwork.FlowFilter{Name: ptr("SURVEY")}, []string{"Survey"}, 1},
			{"name is not a substring", fieldwork.FlowFilter{Name: ptr("Surv")}, nil, 0},
			{"q", fieldwork.FlowFilter{Q: ptr("UR")}, []string{"Survey"}, 1},
			{"q many", fieldwork.FlowFilter{Q: ptr("e"), SortBy: "name", SortOrder: "asc"}, []string{"Delivery", "Survey"}, 2},
			{"q literal percent", fieldwork.FlowFilter{Q: ptr("%")}, nil, 0},
			{"limit", fieldwork.FlowFilter{Limit: 2}, []string{"Survey", "Pickup"}, 3},
			{"offset and limit", fieldwork.FlowFilter{Offset: 1, Limit: 1}, []string{"Pickup"}, 3},
			{"offset past the end", fieldwork.FlowFilter{Offset: 3, Limit: 1}, nil, 3},
			{"paged q", fieldwork.FlowFilter{Q: ptr("e"), SortBy: "name", SortOrder: "asc", Offset: 1}, []string{"Survey"}, 2},
		} {
			t.Run(tt.name, func(t *testing.T) {
				var got []*fieldwork.Flow
				var total int
				view(t, s, o.ID, func(tx fieldwork.Tx) (err error) {
					got, total, err = tx.FindFlows(ctx, tt.f)
					return err
				})
				diff(t, "flows", tt.want, n.of(flowIDs(got)), cmpopts.EquateEmpty())
				if total != tt.total {
					t.Errorf("total = %d, want %d", total, tt.total)
				}
			})
		}
	})

	t.Run("duplicate name", func(t *testing.T) {
		err := s.Update(ctx, o.ID, func(tx fieldwork.Tx) error { return tx.CreateFlow(ctx, newFlow(o.ID, "delivery", 4, 4)) })
		wantFailedCode(t, "CreateFlow with a taken name", err, "flow-031")
		renamed := *pickup
		renamed.Name = "SURVEY"
		err = s.Update(ctx, o.ID, func(tx fieldwork.Tx) error { return tx.UpdateFlow(ctx, &renamed) })
		wantFailedCode(t, "UpdateFlow to a taken name", err, "flow-031")
		got := get(t, s, o.ID, func(tx fieldwork.Tx) (*fieldwork.Flow, error) { return tx.FindFlowByID(ctx, pickup.ID) })
		diff(t, "Pickup after the failed update", pickup, got)
	})

	t.Run("UpdateFlow", func(t *testing.T) {
		f := newFlow(o.ID, "Inspection", 4, 5)
		create(t, s, o.ID, f)
		changed := *f
		changed.Name, changed.OrderIndex, changed.Version, changed.UpdatedBy, changed.UpdatedTime = "Site Inspection", 0, 2, "ana@example.com", mt(40)
		changed.Pages = append(slices.Clone(f.Pages), fieldwork.Page{ID: "page1", Components: []fieldwork.Component{{
			Component: "photo", ID: "proof", Title: "Proof", Visible: ptr(false), Min: ptr(1.0), Max: ptr(3.0),
		}}})
		update(t, s, o.ID, func(tx fieldwork.Tx) error { return tx.UpdateFlow(ctx, &changed) })
		view(t, s, o.ID, func(tx fieldwork.Tx) error {
			got, err := tx.FindFlowByID(ctx, f.ID)
			if err != nil {
				return err
			}
			diff(t, "FindFlowByID", &changed, got)
			got, err = tx.FindFlowByName(ctx, "site inspection")
			if err != nil {
				return err
			}
			diff(t, "FindFlowByName(new)", &changed, got)
			_, err = tx.FindFlowByName(ctx, "Inspection")
			wantCode(t, "FindFlowByName(old)", err, fieldwork.ENOTFOUND)
			fs, _, err := tx.FindFlows(ctx, fieldwork.FlowFilter{SortOrder: "asc", Limit: 1})
			if err != nil {
				return err
			}
			diff(t, "lowest orderIndex", []fieldwork.ID{f.ID}, flowIDs(fs))
			return nil
		})
	})

	t.Run("DeleteFlow", func(t *testing.T) {
		f := newFlow(o.ID, "Return", 5, 6)
		create(t, s, o.ID, f)
		update(t, s, o.ID, func(tx fieldwork.Tx) error { return tx.DeleteFlow(ctx, f.ID) })
		view(t, s, o.ID, func(tx fieldwork.Tx) error {
			_, err := tx.FindFlowByID(ctx, f.ID)
			wantCode(t, "FindFlowByID(deleted)", err, fieldwork.ENOTFOUND)
			_, err = tx.FindFlowByName(ctx, f.Name)
			wantCode(t, "FindFlowByName(deleted)", err, fieldwork.ENOTFOUND)
			fs, total, err := tx.FindFlows(ctx, fieldwork.FlowFilter{})
			if slices.Contains(flowIDs(fs), f.ID) || total != len(fs) {
				t.Errorf("FindFlows lists the deleted flow or miscounts: %d flows, total %d", len(fs), total)
			}
			return err
		})
		err := s.Update(ctx, o.ID, func(tx fieldwork.Tx) error { return tx.DeleteFlow(ctx, f.ID) })
		wantCode(t, "DeleteFlow twice", err, fieldwork.ENOTFOUND)
		// The name is free again.
		create(t, s, o.ID, newFlow(o.ID, "return", 5, 7))
	})
}

// ---------------------------------------------------------------------------------------------
// Workflows.

func testWorkflows(t *testing.T, s fieldwork.Store) {
	ctx := t.Context()
	o := createOrg(t, s, "Acme", 0)
	delivery, pickup, survey := newFlow(o.ID, "Delivery", 1, 0), newFlow(o.ID, "Pickup", 2, 0), newFlow(o.ID, "Survey", 3, 0)
	create(t, s, o.ID, delivery, pickup, survey)
	morning := newWorkflow(o.ID, "Morning Route", 1, pickup, delivery)
	morning.Steps[0].AssigneeID = ptr(o.Owner.ID)
	evening := newWorkflow(o.ID, "Evening route", 2, delivery)
	evening.CreatedBy = "ana@example.com"
	audit := newWorkflow(o.ID, "Audit 100%", 3, survey, pickup, delivery)
	create(t, s, o.ID, evening, audit, morning)
	n := names{morning.ID: "Morning", evening.ID: "Evening", audit.ID: "Audit"}
	wids := func(ws []*fieldwork.Workflow) []fieldwork.ID {
		out := []fieldwork.ID{}
		for _, w := range ws {
			out = append(out, w.ID)
		}
		return out
	}

	t.Run("round trip", func(t *testing.T) {
		for _, w := range []*fieldwork.Workflow{morning, evening, audit} {
			got := get(t, s, o.ID, func(tx fieldwork.Tx) (*fieldwork.Workflow, error) { return tx.FindWorkflowByID(ctx, w.ID) })
			diff(t, "FindWorkflowByID "+w.Name, w, got)
		}
	})

	t.Run("FindWorkflowByName", func(t *testing.T) {
		for _, name := range []string{"Morning Route", "morning route", "MORNING ROUTE"} {
			got := get(t, s, o.ID, func(tx fieldwork.Tx) (*fieldwork.Workflow, error) { return tx.FindWorkflowByName(ctx, name) })
			diff(t, "FindWorkflowByName "+name, morning, got)
		}
		err := s.View(ctx, o.ID, func(tx fieldwork.Tx) error {
			_, err := tx.FindWorkflowByName(ctx, "Morning")
			return err
		})
		wantCode(t, "FindWorkflowByName(Morning)", err, fieldwork.ENOTFOUND)
	})

	t.Run("FindWorkflows", func(t *testing.T) {
		for _, tt := range []struct {
			name  string
			f     fieldwork.WorkflowFilter
			want  []string
			total int
		}{
			{"newest first", fieldwork.WorkflowFilter{}, []string{"Audit", "Evening", "Morning"}, 3},
			{"name substring", fieldwork.WorkflowFilter{Name: ptr("ROUTE")}, []string{"Evening", "Morning"}, 2},
			{"name literal percent", fieldwork.WorkflowFilter{Name: ptr("%")}, []string{"Audit"}, 1},
			{"name literal underscore", fieldwork.WorkflowFilter{Name: ptr("_")}, nil, 0},
			{"q in name", fieldwork.WorkflowFilter{Q: ptr("evening")}, []string{"Evening"}, 1},
			{"q in a step's flow", fieldwork.WorkflowFilter{Q: ptr("PICKUP")}, []string{"Audit", "Morning"}, 2},
			{"q in a flow or a name", fieldwork.WorkflowFilter{Q: ptr("u")}, []string{"Audit", "Evening", "Morning"}, 3},
			{"createdBy", fieldwork.WorkflowFilter{CreatedBy: ptr("ana@example.com")}, []string{"Evening"}, 1},
			{"steps min", fieldwork.WorkflowFilter{StepsCountMin: ptr(2)}, []string{"Audit", "Morning"}, 2},
			{"steps max", fieldwork.WorkflowFilter{StepsCountMax: ptr(2)}, []string{"Evening", "Morning"}, 2},
			{"steps range", fieldwork.WorkflowFilter{StepsCountMin: ptr(2), StepsCountMax: ptr(2)}, []string{"Morning"}, 1},
			{"limit", fieldwork.WorkflowFilter{Limit: 2}, []string{"Audit", "Evening"}, 3},
			{"offset", fieldwork.WorkflowFilter{Offset: 1, Limit: 1}, []string{"Evening"}, 3},
			{"offset past the end", fieldwork.WorkflowFilter{Offset: 3}, nil, 3},
			{"filtered page", fieldwork.WorkflowFilter{Q: ptr("u"), Offset: 2, Limit: 2}, []string{"Morning"}, 3},
		} {
			t.Run(tt.name, func(t *testing.T) {
				var got []*fieldwork.Workflow
				var total int
				view(t, s, o.ID, func(tx fieldwork.Tx) (err error) {
					got, total, err = tx.FindWorkflows(ctx, tt.f)
					return err
				})
				diff(t, "workflows", tt.want, n.of(wids(got)), cmpopts.EquateEmpty())
				if total != tt.total {
					t.Errorf("total = %d, want %d", total, tt.total)
				}
			})
		}
	})

	using := func(f *fieldwork.Flow) int {
		return get(t, s, o.ID, func(tx fieldwork.Tx) (int, error) { return tx.CountWorkflowsUsingFlow(ctx, f.ID) })
	}

	t.Run("CountWorkflowsUsingFlow", func(t *testing.T) {
		for _, tt := range []struct {
			flow *fieldwork.Flow
			want int
		}{{delivery, 3}, {pickup, 2}, {survey, 1}} {
			if got := using(tt.flow); got != tt.want {
				t.Errorf("CountWorkflowsUsingFlow(%s) = %d, want %d", tt.flow.Name, got, tt.want)
			}
		}
		if got := get(t, s, o.ID, func(tx fieldwork.Tx) (int, error) {
			return tx.CountWorkflowsUsingFlow(ctx, fieldwork.NewID(at(0)))
		}); got != 0 {
			t.Errorf("CountWorkflowsUsingFlow(unknown) = %d, want 0", got)
		}
	})

	t.Run("duplicate name", func(t *testing.T) {
		err := s.Update(ctx, o.ID, func(tx fieldwork.Tx) error {
			return tx.CreateWorkflow(ctx, newWorkflow(o.ID, "EVENING ROUTE", 4, survey))
		})
		wantFailedCode(t, "CreateWorkflow with a taken name", err, "workf-031")
		renamed := *audit
		renamed.Name = "morning route"
		err = s.Update(ctx, o.ID, func(tx fieldwork.Tx) error { return tx.UpdateWorkflow(ctx, &renamed) })
		wantFailedCode(t, "UpdateWorkflow to a taken name", err, "workf-031")
		got := get(t, s, o.ID, func(tx fieldwork.Tx) (*fieldwork.Workflow, error) { return tx.FindWorkflowByID(ctx, audit.ID) })
		diff(t, "Audit after the failed update", audit, got)
		if got := using(survey); got != 1 {
			t.Errorf("CountWorkflowsUsingFlow(Survey) after the failed create = %d, want 1", got)
		}
	})

	t.Run("UpdateWorkflow", func(t *testing.T) {
		changed := *evening
		changed.Name, changed.Version, changed.UpdatedBy, changed.UpdatedTime = "Night Route", 2, "budi@example.com", tm(40)
		changed.Steps = newWorkflow(o.ID, "x", 0, survey, pickup).Steps
		changed.Sequential = false
		update(t, s, o.ID, func(tx fieldwork.Tx) error { return tx.UpdateWorkflow(ctx, &changed) })
		view(t, s, o.ID, func(tx fieldwork.Tx) error {
			got, err := tx.FindWorkflowByID(ctx, evening.ID)
			if err != nil {
				return err
			}
			diff(t, "FindWorkflowByID", &changed, got)
			got, err = tx.FindWorkflowByName(ctx, "night route")
			if err != nil {
				return err
			}
			diff(t, "FindWorkflowByName(new)", &changed, got)
			_, err = tx.FindWorkflowByName(ctx, "Evening route")
			wantCode(t, "FindWorkflowByName(old)", err, fieldwork.ENOTFOUND)
			for _, tt := range []struct {
				name string
				f    fieldwork.WorkflowFilter
				want bool
			}{
				{"new name", fieldwork.WorkflowFilter{Name: ptr("night")}, true},
				{"old name", fieldwork.WorkflowFilter{Name: ptr("evening")}, false},
				{"new step flow", fieldwork.WorkflowFilter{Q: ptr("survey")}, true},
				{"old step flow", fieldwork.WorkflowFilter{Q: ptr("delivery")}, false},
				{"new step count", fieldwork.WorkflowFilter{StepsCountMin: ptr(2)}, true},
				{"old step count", fieldwork.WorkflowFilter{StepsCountMax: ptr(1)}, false},
			} {
				ws, _, err := tx.FindWorkflows(ctx, tt.f)
				if err != nil {
					return err
				}
				if got := slices.Contains(wids(ws), evening.ID); got != tt.want {
					t.Errorf("%s: found = %v, want %v", tt.name, got, tt.want)
				}
			}
			return nil
		})
		for _, tt := range []struct {
			flow *fieldwork.Flow
			want int
		}{{delivery, 2}, {pickup, 3}, {survey, 2}} {
			if got := using(tt.flow); got != tt.want {
				t.Errorf("CountWorkflowsUsingFlow(%s) after the update = %d, want %d", tt.flow.Name, got, tt.want)
			}
		}
		// The old name is free again.
		create(t, s, o.ID, newWorkflow(o.ID, "Evening Route", 5, delivery))
	})

	t.Run("DeleteWorkflow", func(t *testing.T) {
		update(t, s, o.ID, func(tx fieldwork.Tx) error { return tx.DeleteWorkflow(ctx, audit.ID) })
		view(t, s, o.ID, func(tx fieldwork.Tx) error {
			_, err := tx.FindWorkflowByID(ctx, audit.ID)
			wantCode(t, "FindWorkflowByID(deleted)", err, fieldwork.ENOTFOUND)
			_, err = tx.FindWorkflowByName(ctx, audit.Name)
			wantCode(t, "FindWorkflowByName(deleted)", err, fieldwork.ENOTFOUND)
			ws, total, err := tx.FindWorkflows(ctx, fieldwork.WorkflowFilter{})
			if slices.Contains(wids(ws), audit.ID) || total != len(ws) {
				t.Errorf("FindWorkflows lists the deleted workflow or miscounts: %d workflows, total %d", len(ws), total)
			}
			return err
		})
		if got := using(survey); got != 1 {
			t.Errorf("CountWorkflowsUsingFlow(Survey) after the delete = %d, want 1", got)
		}
		err := s.Update(ctx, o.ID, func(tx fieldwork.Tx) error { return tx.DeleteWorkflow(ctx, audit.ID) })
		wantCode(t, "DeleteWorkflow twice", err, fieldwork.ENOTFOUND)
	})
}

// ---------------------------------------------------------------------------------------------
// Tasks.

// fullTask returns a task with every field set, an activity master with its sub-status.
func fullTask(orgID fieldwork.ID, hub *fieldwork.Hub, minute int) *fieldwork.Task {
	t := newTask(orgID, hub, minute)
	flowID, parentID, workflowID := fieldwork.NewID(at(0)), fieldwork.NewID(at(0)), fieldwork.NewID(at(0))
	t.Flow, t.FlowID = "Activity", &flowID
	t.Status, t.SubStatus = fieldwork.StatusOngoing, ptr("On the way")
	t.TaskType = fieldwork.TaskTypeActivityMaster
	t.ParentID = &parentID
	t.SubID = []fieldwork.ID{fieldwork.NewID(at(0)), fieldwork.NewID(at(0))}
	t.WorkflowID = &workflowID
	t.Workflow = &fieldwork.WorkflowSnapshot{
		ID: workflowID, Name: "Morning route", OrganizationID: orgID, Version: 3,
		CustomStatuses: []fieldwork.CustomStatus{{Name: "Loaded", IsDefault: true}}, Sequential: true,
		Steps: []fieldwork.Step{{
			Order: 0, FlowID: flowID, FlowName: "Delivery", AssigneeID: nil, StatusMapping: ptr("Loaded"),
			FieldMappings: []fieldwork.FieldMapping{{TargetField: "recipientName", SourceType: fieldwork.SourceManual, SourceField: "Ana"}},
		}},
	}
	t.StepOrder = ptr(2)
	t.Title, t.Content, t.Label = ptr("Morning route"), ptr("Two drops"), ptr("vip")
	t.ExpectedCoordinate = ptr("-6.2,106.8")
	t.Assignee = []string{"ana@example.com", "budi@example.com"}
	t.AssignedTo = &fieldwork.AssignedTo{
		ID: fieldwork.NewID(at(0)), Name: "Ana", Email: "ana@example.com", HubID: []fieldwork.ID{hub.ID},
		RoleID: fieldwork.NewID(at(0)), Organization: map[string]any{"_id": orgID, "name": "Acme"},
		Role: map[string]any{"name": "Field User", "isAdmin": false},
	}
	t.AssignedBy, t.AssignedTime = ptr("owner@example.com"), tm(minute+1)
	t.DoneBy, t.DoneTime = ptr("ana@example.com"), tm(minute+3)
	t.DoneCoordinate, t.DoneFrom = ptr("-6.21,106.81"), ptr("mobile")
	t.StartTime, t.EndTime = tm(minute+2), tm(minute+600)
	t.OrderIndex = 2.5
	t.RefID = ptr("REF-1")
	t.CreatedFrom = "web"
	t.UpdatedBy = "ana@example.com"
	t.UpdatedTime = tm(minute + 4)
	t.Version = 7
	t.Values = map[string]json.RawMessage{
		"recipientName": json.RawMessage(`"Ana"`),
		"amount":        json.RawMessage(`12.5`),
		"photos":        json.RawMessage(`["https://example.com/a.jpg"]`),
		"bill":          json.RawMessage(`{"items":[{"qty":2}],"total":3}`),
		"note":          json.RawMessage(`null`),
		"paid":          json.RawMessage(`true`),
	}
	t.Mapped = map[string]json.RawMessage{"recipientName": json.RawMessage(`"Ana"`)}
	return t
}

func testTaskRoundTrip(t *testing.T, s fieldwork.Store) {
	ctx := t.Context()
	o := createOrg(t, s, "Acme", 0)
	hub := newHub(o.ID, "Jakarta", 0)
	create(t, s, o.ID, hub)
	minimal := newTask(o.ID, hub, 1)
	minimal.Values = nil
	plain := newTask(o.ID, hub, 2)
	plain.Title, plain.Status = ptr("Deliver"), fieldwork.StatusDone
	full := fullTask(o.ID, hub, 3)
	child := fullTask(o.ID, hub, 4)
	child.TaskType, child.SubStatus, child.SubID = fieldwork.TaskTypeActivityChild, nil, nil
	create(t, s, o.ID, minimal, plain, full, child)
	for _, tt := range []struct {
		name string
		task *fieldwork.Task
	}{{"minimal", minimal}, {"plain", plain}, {"full master", full}, {"full child", child}} {
		t.Run(tt.name, func(t *testing.T) {
			got := get(t, s, o.ID, func(tx fieldwork.Tx) (*fieldwork.Task, error) { return tx.FindTaskByID(ctx, tt.task.ID) })
			diff(t, "FindTaskByID", tt.task, got)
			// An Update transaction reads the same task.
			update(t, s, o.ID, func(tx fieldwork.Tx) error {
				got, err := tx.FindTaskByID(ctx, tt.task.ID)
				diff(t, "FindTaskByID in Update", tt.task, got)
				return err
			})
			list := get(t, s, o.ID, func(tx fieldwork.Tx) ([]*fieldwork.Task, error) {
				return tx.FindTasks(ctx, fieldwork.TaskFilter{IDs: []fieldwork.ID{tt.task.ID}})
			})
			diff(t, "FindTasks", []*fieldwork.Task{tt.task}, list)
		})
	}
}

func testTaskUpdateDelete(t *testing.T, s fieldwork.Store) {
	ctx := t.Context()
	o := createOrg(t, s, "Acme", 0)
	h1, h2 := newHub(o.ID, "Jakarta", 0), newHub(o.ID, "Bandung", 0)
	create(t, s, o.ID, h1, h2)
	task := fullTask(o.ID, h1, 1)
	other := newTask(o.ID, h1, 2)
	create(t, s, o.ID, task, other)

	t.Run("UpdateTask", func(t *testing.T) {
		changed := *task
		changed.Flow, changed.FlowID = "Pickup", ptr(fieldwork.NewID(at(0)))
		changed.HubID, changed.Hub = h2.ID, h2.Ref()
		changed.Status, changed.SubStatus = fieldwork.StatusDone, ptr("Finished")
		changed.ParentID, changed.WorkflowID, changed.StepOrder = nil, nil, nil
		changed.Title, changed.Content, changed.Label = ptr("Evening route"), nil, ptr("late")
		changed.Assignee = []string{"citra@example.com"}
		changed.DoneBy, changed.DoneTime = ptr("citra@example.com"), tm(90)
		changed.StartTime, changed.EndTime = tm(60), tm(120)
		changed.OrderIndex = -1
		changed.UpdatedTime, changed.Version = tm(90), task.Version+1
		changed.Values = map[string]json.RawMessage{"recipientName": json.RawMessage(`"Citra"`), "extra": json.RawMessage(`[1,2]`)}
		update(t, s, o.ID, func(tx fieldwork.Tx) error { return tx.UpdateTask(ctx, &changed) })

		got := get(t, s, o.ID, func(tx fieldwork.Tx) (*fieldwork.Task, error) { return tx.FindTaskByID(ctx, task.ID) })
		diff(t, "updated task", &changed, got)
		got = get(t, s, o.ID, func(tx fieldwork.Tx) (*fieldwork.Task, error) { return tx.FindTaskByID(ctx, other.ID) })
		diff(t, "the other task", other, got)

		// Every filter sees the new values and none the old ones.
		for _, tt := range []struct {
			name string
			f    fieldwork.TaskFilter
			want bool
		}{
			{"new status", fieldwork.TaskFilter{Status: []string{fieldwork.StatusDone}}, true},
			{"old status", fieldwork.TaskFilter{Status: []string{fieldwork.StatusOngoing}}, false},
			{"new flow", fieldwork.TaskFilter{Flow: []string{"Pickup"}}, true},
			{"old flow", fieldwork.TaskFilter{Flow: []string{"Activity"}}, false},
			{"new flowId", fieldwork.TaskFilter{FlowID: []fieldwork.ID{*changed.FlowID}}, true},
			{"old flowId", fieldwork.TaskFilter{FlowID: []fieldwork.ID{*task.FlowID}}, false},
			{"new hub", fieldwork.TaskFilter{HubID: &h2.ID}, true},
			{"old hub", fieldwork.TaskFilter{HubID: &h1.ID}, false},
			{"new assignee", fieldwork.TaskFilter{Assignee: ptr("citra@example.com")}, true},
			{"old assignee", fieldwork.TaskFilter{Assignee: ptr("ana@example.com")}, false},
			{"other old assignee", fieldwork.TaskFilter{Assignee: ptr("budi@example.com")}, false},
			{"new doneBy", fieldwork.TaskFilter{DoneBy: ptr("citra@example.com")}, true},
			{"old doneBy", fieldwork.TaskFilter{DoneBy: ptr("ana@example.com")}, false},
			{"new q", fieldwork.TaskFilter{Q: ptr("evening")}, true},
			{"old q", fieldwork.TaskFilter{Q: ptr("morning")}, false},
			{"removed content", fieldwork.TaskFilter{Q: ptr("drops")}, false},
			{"old parent", fieldwork.TaskFilter{ParentID: task.ParentID}, false},
			{"old workflow", fieldwork.TaskFilter{WorkflowID: task.WorkflowID}, false},
			{"new active window", fieldwork.TaskFilter{ActiveAt: ptr(at(90))}, true},
			{"old active window", fieldwork.TaskFilter{ActiveAt: ptr(at(300))}, false},
			{"new done time", fieldwork.TaskFilter{TimeBy: "doneTime", TimeFrom: ptr(at(90)), TimeTo: ptr(at(90))}, true},
		} {
			ts := get(t, s, o.ID, func(tx fieldwork.Tx) ([]*fieldwork.Task, error) { return tx.FindTasks(ctx, tt.f) })
			if got := slices.Contains(taskIDs(ts), task.ID); got != tt.want {
				t.Errorf("%s: found = %v, want %v", tt.name, got, tt.want)
			}
		}
		ts := get(t, s, o.ID, func(tx fieldwork.Tx) ([]*fieldwork.Task, error) {
			return tx.FindTasks(ctx, fieldwork.TaskFilter{SortBy: "orderIndex", Limit: 1})
		})
		diff(t, "lowest orderIndex", []fieldwork.ID{task.ID}, taskIDs(ts))
	})

	// The stores remember the rows a transaction read (one read per row per transaction, and
	// the assignee rows rewritten only when they change): reads after a write in the same
	// transaction see the write, and the assignee lists follow every write.
	t.Run("read, write, read in one transaction", func(t *testing.T) {
		assigneeHas := func(tx fieldwork.Tx, email string) bool {
			ts, err := tx.FindTasks(ctx, fieldwork.TaskFilter{Assignee: ptr(email)})
			if err != nil {
				t.Fatal(err)
			}
			return slices.Contains(taskIDs(ts), other.ID)
		}
		update(t, s, o.ID, func(tx fieldwork.Tx) error {
			for i, step := range []struct {
				assignee []string
				note     string
			}{
				{[]string{"dewi@example.com"}, "assigned"},
				{[]string{"dewi@example.com"}, "same assignee"},
				{[]string{"Eko@example.com"}, "reassigned"},
				{[]string{"eko@example.com"}, "case only"},
				{nil, "unassigned"},
			} {
				cur, err := tx.FindTaskByID(ctx, other.ID)
				if err != nil {
					return err
				}
				if i > 0 && string(cur.Values["note"]) == "" {
					t.Errorf("step %d: the task read after the write has lost its note", i)
				}
				cur.Assignee, cur.Version = step.assignee, cur.Version+1
				cur.Values = map[string]json.RawMessage{"note": json.RawMessage(`"` + step.note + `"`)}
				if err := tx.UpdateTask(ctx, cur); err != nil {
					return err
				}
				again, err := tx.FindTaskByID(ctx, other.ID)
				if err != nil {
					return err
				}
				diff(t, "read after "+step.note, cur, again)
				for _, email := range []string{"dewi@example.com", "eko@example.com"} {
					want := slices.ContainsFunc(step.assignee, func(a string) bool { return strings.EqualFold(a, email) })
					if got := assigneeHas(tx, email); got != want {
						t.Errorf("after %q: assignee %s lists the task = %v, want %v", step.note, email, got, want)
					}
				}
			}
			return nil
		})
		got := get(t, s, o.ID, func(tx fieldwork.Tx) (*fieldwork.Task, error) { return tx.FindTaskByID(ctx, other.ID) })
		if string(got.Values["note"]) != `"unassigned"` || len(got.Assignee) != 0 {
			t.Errorf("committed task: note %s, assignee %v", got.Values["note"], got.Assignee)
		}
	})

	t.Run("DeleteTask", func(t *testing.T) {
		update(t, s, o.ID, func(tx fieldwork.Tx) error { return tx.DeleteTask(ctx, task.ID, at(100)) })
		view(t, s, o.ID, func(tx fieldwork.Tx) error {
			_, err := tx.FindTaskByID(ctx, task.ID)
			wantCode(t, "FindTaskByID(deleted)", err, fieldwork.ENOTFOUND)
			for _, f := range []fieldwork.TaskFilter{
				{}, {IDs: []fieldwork.ID{task.ID}}, {Assignee: ptr("citra@example.com")}, {HubID: &h2.ID},
				{DoneBy: ptr("citra@example.com")},
			} {
				ts, err := tx.FindTasks(ctx, f)
				if err != nil {
					return err
				}
				if slices.Contains(taskIDs(ts), task.ID) {
					t.Errorf("FindTasks(%+v) lists the deleted task", f)
				}
			}
			c, err := tx.CountTasks(ctx, fieldwork.TaskFilter{})
			if c != (fieldwork.TaskCounts{Total: 1}) {
				t.Errorf("CountTasks after the delete = %+v, want 1 task", c)
			}
			return err
		})
		err := s.Update(ctx, o.ID, func(tx fieldwork.Tx) error { return tx.DeleteTask(ctx, task.ID, at(101)) })
		wantCode(t, "DeleteTask twice", err, fieldwork.ENOTFOUND)
		err = s.Update(ctx, o.ID, func(tx fieldwork.Tx) error { return tx.UpdateTask(ctx, task) })
		wantCode(t, "UpdateTask of a deleted task", err, fieldwork.ENOTFOUND)
	})
}

// taskSet is the fixture of the filter, sort and paging tests: eight tasks of one organization
// with ties in every sort key, stored in an order unrelated to their ids.
type taskSet struct {
	org                *org
	h1, h2, h3         *fieldwork.Hub
	f1, f2, f3         *fieldwork.Flow
	workflowID         fieldwork.ID
	all                []*fieldwork.Task // in name order T1…T8
	t1, t2, t3, t4, t5 *fieldwork.Task
	t6, t7, t8         *fieldwork.Task
	names              names
}

func newTaskSet(t *testing.T, s fieldwork.Store) *taskSet {
	o := createOrg(t, s, "Acme", 0)
	x := &taskSet{org: o, workflowID: fieldwork.NewID(at(0))}
	x.h1, x.h2, x.h3 = newHub(o.ID, "Jakarta", 0), newHub(o.ID, "Bandung", 0), newHub(o.ID, "Surabaya", 0)
	x.f1, x.f2, x.f3 = newFlow(o.ID, "Delivery", 1, 0), newFlow(o.ID, "Pickup", 2, 0), newFlow(o.ID, "Survey", 3, 0)
	ana := newUser(o, fieldwork.RoleFieldUser, "Ana Lima", "ana@example.com", 0)
	budi := newUser(o, fieldwork.RoleFieldUser, "Budi Santoso", "budi@example.com", 0)
	create(t, s, o.ID, x.h1, x.h2, x.h3, x.f1, x.f2, x.f3, ana, budi)

	task := func(hub *fieldwork.Hub, flow *fieldwork.Flow, status string, created, updated int) *fieldwork.Task {
		k := newTask(o.ID, hub, created)
		k.Status, k.UpdatedTime = status, tm(updated)
		if flow != nil {
			k.Flow, k.FlowID = flow.Name, &flow.ID
		}
		return k
	}
	done := func(k *fieldwork.Task, by string, minute int) { k.DoneBy, k.DoneTime = &by, tm(minute) }
	window := func(k *fieldwork.Task, start, end int) { k.StartTime, k.EndTime = tm(start), tm(end) }

	x.t1 = task(x.h1, x.f1, fieldwork.StatusUnassigned, 1, 30)
	x.t1.Title, x.t1.Content, x.t1.Label = ptr("Deliver parcel"), ptr("Fragile GLASS"), ptr("urgent")
	window(x.t1, 60, 120)
	x.t1.OrderIndex = 3

	x.t2 = task(x.h1, x.f1, fieldwork.StatusOngoing, 2, 30)
	x.t2.Title, x.t2.Assignee = ptr("Pickup box"), []string{"ana@example.com"}
	window(x.t2, 60, 180)
	x.t2.OrderIndex = 1

	x.t3 = task(x.h2, x.f2, fieldwork.StatusDone, 3, 200)
	x.t3.Assignee = []string{"ana@example.com"}
	done(x.t3, "ana@example.com", 200)
	x.t3.OrderIndex = 2

	x.t4 = task(x.h2, x.f2, fieldwork.StatusDone, 3, 300)
	x.t4.Assignee = []string{"budi@example.com"}
	done(x.t4, "budi@example.com", 300)
	window(x.t4, 100, 400)
	x.t4.OrderIndex = 2

	x.t5 = task(x.h1, nil, fieldwork.StatusOngoing, 5, 250)
	x.t5.Flow, x.t5.TaskType, x.t5.SubStatus = "Activity", fieldwork.TaskTypeActivityMaster, ptr("Step 1")
	x.t5.WorkflowID, x.t5.Title = &x.workflowID, ptr("Morning route")
	window(x.t5, 60, 400)

	x.t6 = task(x.h1, x.f1, fieldwork.StatusDone, 5, 250)
	x.t6.TaskType, x.t6.ParentID, x.t6.WorkflowID, x.t6.StepOrder = fieldwork.TaskTypeActivityChild, &x.t5.ID, &x.workflowID, ptr(1)
	x.t6.Assignee = []string{"budi@example.com"}
	done(x.t6, "budi@example.com", 250)

	x.t7 = task(x.h1, x.f2, fieldwork.StatusUnassigned, 5, 5)
	x.t7.TaskType, x.t7.ParentID, x.t7.WorkflowID, x.t7.StepOrder = fieldwork.TaskTypeActivityChild, &x.t5.ID, &x.workflowID, ptr(2)
	x.t5.SubID = []fieldwork.ID{x.t6.ID, x.t7.ID}

	x.t8 = task(x.h3, x.f3, fieldwork.StatusUnassigned, 8, 8)
	x.t8.Title, x.t8.Label = ptr("apple crate"), ptr("Gate 100%") // sorts first by title: case does not count
	window(x.t8, 500, 600)
	x.t8.OrderIndex = 3

	x.all = []*fieldwork.Task{x.t1, x.t2, x.t3, x.t4, x.t5, x.t6, x.t7, x.t8}
	x.names = names{}
	for i, k := range x.all {
		x.names[k.ID] = fmt.Sprintf("T%d", i+1)
	}
	// Stored newest first, so neither insertion order nor id order is the answer by accident.
	var objs []any
	for _, k := range slices.Backward(x.all) {
		objs = append(objs, k)
	}
	create(t, s, o.ID, objs...)
	return x
}

// find runs FindTasks in a View transaction of the set's organization.
func (x *taskSet) find(t *testing.T, s fieldwork.Store, f fieldwork.TaskFilter) []*fieldwork.Task {
	t.Helper()
	return get(t, s, x.org.ID, func(tx fieldwork.Tx) ([]*fieldwork.Task, error) { return tx.FindTasks(t.Context(), f) })
}

// taskSortKey is the value of the task's sort key: a number, or for status and title a
// string. An unset time sorts as the earliest instant, an unset title as "".
func taskSortKey(t *fieldwork.Task, sortBy string) (float64, string) {
	tv := func(v fieldwork.Time) float64 {
		if v.IsZero() {
			return 0
		}
		return float64(v.Unix())
	}
	switch sortBy {
	case "updatedTime":
		return tv(t.UpdatedTime), ""
	case "startTime":
		return tv(t.StartTime), ""
	case "endTime":
		return tv(t.EndTime), ""
	case "doneTime":
		return tv(t.DoneTime), ""
	case "orderIndex":
		return t.OrderIndex, ""
	case "status":
		return 0, t.Status
	case "title":
		if t.Title == nil {
			return 0, ""
		}
		return 0, strings.ToLower(*t.Title)
	case "_id":
		return 0, ""
	}
	return tv(t.CreatedTime), ""
}

// sortTasks returns the tasks in the order FindTasks must give: by the sort key, ties by id,
// both in the direction asked.
func sortTasks(ts []*fieldwork.Task, sortBy string, desc bool) []*fieldwork.Task {
	ts = slices.Clone(ts)
	slices.SortFunc(ts, func(a, b *fieldwork.Task) int {
		na, sa := taskSortKey(a, sortBy)
		nb, sb := taskSortKey(b, sortBy)
		c := 0
		switch {
		case na < nb:
			c = -1
		case na > nb:
			c = 1
		default:
			c = strings.Compare(sa, sb)
		}
		if c == 0 {
			c = strings.Compare(a.ID, b.ID)
		}
		if desc {
			return -c
		}
		return c
	})
	return ts
}

func testTaskFilters(t *testing.T, s fieldwork.Store) {
	ctx := t.Context()
	x := newTaskSet(t, s)
	ids := func(ts ...*fieldwork.Task) []fieldwork.ID { return taskIDs(ts) }
	tasks := func(names ...string) []string { return names }
	for _, tt := range []struct {
		name string
		f    fieldwork.TaskFilter
		want []string
	}{
		{"no filter", fieldwork.TaskFilter{}, tasks("T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8")},
		{"ids", fieldwork.TaskFilter{IDs: ids(x.t1, x.t8)}, tasks("T1", "T8")},
		{"ids unknown", fieldwork.TaskFilter{IDs: []fieldwork.ID{fieldwork.NewID(at(0))}}, nil},
		{"ids empty", fieldwork.TaskFilter{IDs: []fieldwork.ID{}}, nil},
		{"status", fieldwork.TaskFilter{Status: []string{fieldwork.StatusDone}}, tasks("T3", "T4", "T6")},
		{"statuses", fieldwork.TaskFilter{Status: []string{fieldwork.StatusOngoing, fieldwork.StatusUnassigned}}, tasks("T1", "T2", "T5", "T7", "T8")},
		{"flow", fieldwork.TaskFilter{Flow: []string{"Pickup"}}, tasks("T3", "T4", "T7")},
		{"flows", fieldwork.TaskFilter{Flow: []string{"Pickup", "Survey"}}, tasks("T3", "T4", "T7", "T8")},
		{"flow unknown", fieldwork.TaskFilter{Flow: []string{"Pick"}}, nil},
		{"flowId", fieldwork.TaskFilter{FlowID: []fieldwork.ID{x.f1.ID}}, tasks("T1", "T2", "T6")},
		{"flowIds", fieldwork.TaskFilter{FlowID: []fieldwork.ID{x.f1.ID, x.f3.ID}}, tasks("T1", "T2", "T6", "T8")},
		{"hubId", fieldwork.TaskFilter{HubID: &x.h2.ID}, tasks("T3", "T4")},
		{"hubIds", fieldwork.TaskFilter{HubIDs: []fieldwork.ID{x.h2.ID, x.h3.ID}}, tasks("T3", "T4", "T8")},
		{"hubIds empty", fieldwork.TaskFilter{HubIDs: []fieldwork.ID{}}, nil},
		{"hubId within hubIds", fieldwork.TaskFilter{HubID: &x.h2.ID, HubIDs: []fieldwork.ID{x.h2.ID, x.h3.ID}}, tasks("T3", "T4")},
		{"hubId outside hubIds", fieldwork.TaskFilter{HubID: &x.h1.ID, HubIDs: []fieldwork.ID{x.h2.ID}}, nil},
		{"assignee", fieldwork.TaskFilter{Assignee: ptr("ana@example.com")}, tasks("T2", "T3")},
		{"assignee other case", fieldwork.TaskFilter{Assignee: ptr("BUDI@Example.com")}, tasks("T4", "T6")},
		{"assignee unknown", fieldwork.TaskFilter{Assignee: ptr("ana@example")}, nil},
		{"doneBy email", fieldwork.TaskFilter{DoneBy: ptr("budi@example.com")}, tasks("T4", "T6")},
		{"doneBy name", fieldwork.TaskFilter{DoneBy: ptr("Budi Santoso")}, tasks("T4", "T6")},
		{"doneBy other name", fieldwork.TaskFilter{DoneBy: ptr("Ana Lima")}, tasks("T3")},
		{"doneBy unknown", fieldwork.TaskFilter{DoneBy: ptr("Budi")}, nil},
		{"activeAt start bound", fieldwork.TaskFilter{ActiveAt: ptr(at(60))}, tasks("T1", "T2", "T5")},
		{"activeAt end bound", fieldwork.TaskFilter{ActiveAt: ptr(at(120))}, tasks("T1", "T2", "T4", "T5")},
		{"activeAt", fieldwork.TaskFilter{ActiveAt: ptr(at(130))}, tasks("T2", "T4", "T5")},
		{"activeAt between windows", fieldwork.TaskFilter{ActiveAt: ptr(at(450))}, nil},
		{"activeAt before all", fieldwork.TaskFilter{ActiveAt: ptr(at(0))}, nil},
		{"visitAt", fieldwork.TaskFilter{VisitAt: ptr(at(180))}, tasks("T2", "T4", "T5", "T8")},
		{"visitAt late", fieldwork.TaskFilter{VisitAt: ptr(at(401))}, tasks("T8")},
		{"visitAt past all", fieldwork.TaskFilter{VisitAt: ptr(at(601))}, nil},
		{"routingResultId", fieldwork.TaskFilter{RoutingResultID: ptr(fieldwork.NewID(at(0)))}, nil},
		{"createdTime range", fieldwork.TaskFilter{TimeFrom: ptr(at(2)), TimeTo: ptr(at(3))}, tasks("T2", "T3", "T4")},
		{"createdTime from", fieldwork.TaskFilter{TimeBy: "createdTime", TimeFrom: ptr(at(5))}, tasks("T5", "T6", "T7", "T8")},
		{"createdTime to", fieldwork.TaskFilter{TimeBy: "createdTime", TimeTo: ptr(at(1))}, tasks("T1")},
		{"createdTime to within a second", fieldwork.TaskFilter{TimeTo: ptr(at(1).Add(-time.Second))}, nil},
		{"startTime range", fieldwork.TaskFilter{TimeBy: "startTime", TimeFrom: ptr(at(60)), TimeTo: ptr(at(60))}, tasks("T1", "T2", "T5")},
		{"startTime from", fieldwork.TaskFilter{TimeBy: "startTime", TimeFrom: ptr(at(100))}, tasks("T4", "T8")},
		{"startTime to", fieldwork.TaskFilter{TimeBy: "startTime", TimeTo: ptr(at(100))}, tasks("T1", "T2", "T4", "T5")},
		{"doneTime range", fieldwork.TaskFilter{TimeBy: "doneTime", TimeFrom: ptr(at(250)), TimeTo: ptr(at(300))}, tasks("T4", "T6")},
		{"doneTime to", fieldwork.TaskFilter{TimeBy: "doneTime", TimeTo: ptr(at(250))}, tasks("T3", "T6")},
		{"doneTime from", fieldwork.TaskFilter{TimeBy: "doneTime", TimeFrom: ptr(at(0))}, tasks("T3", "T4", "T6")},
		{"taskType", fieldwork.TaskFilter{TaskType: []string{fieldwork.TaskTypeActivityChild}}, tasks("T6", "T7")},
		{"taskTypes", fieldwork.TaskFilter{TaskType: []string{fieldwork.TaskTypeActivityMaster, fieldwork.TaskTypeActivityChild}}, tasks("T5", "T6", "T7")},
		{"taskType task", fieldwork.TaskFilter{TaskType: []string{fieldwork.TaskTypeTask}}, tasks("T1", "T2", "T3", "T4", "T8")},
		{"parentId", fieldwork.TaskFilter{ParentID: &x.t5.ID}, tasks("T6", "T7")},
		{"parentId without children", fieldwork.TaskFilter{ParentID: &x.t1.ID}, nil},
		{"workflowId", fieldwork.TaskFilter{WorkflowID: &x.workflowID}, tasks("T5", "T6", "T7")},
		{"workflowId unknown", fieldwork.TaskFilter{WorkflowID: ptr(fieldwork.NewID(at(0)))}, nil},
		{"q in content", fieldwork.TaskFilter{Q: ptr("glass")}, tasks("T1")},
		{"q in label", fieldwork.TaskFilter{Q: ptr("URGENT")}, tasks("T1")},
		{"q in title", fieldwork.TaskFilter{Q: ptr("pickup")}, tasks("T2")},
		{"q in several", fieldwork.TaskFilter{Q: ptr("e")}, tasks("T1", "T5", "T8")},
		{"q literal percent", fieldwork.TaskFilter{Q: ptr("%")}, tasks("T8")},
		{"q literal underscore", fieldwork.TaskFilter{Q: ptr("_")}, nil},
		{"q not in values", fieldwork.TaskFilter{Q: ptr("Ana")}, nil},
		{"status and hub", fieldwork.TaskFilter{Status: []string{fieldwork.StatusDone}, HubID: &x.h2.ID}, tasks("T3", "T4")},
		{"status and type", fieldwork.TaskFilter{Status: []string{fieldwork.StatusUnassigned}, TaskType: []string{fieldwork.TaskTypeTask}}, tasks("T1", "T8")},
		{"assignee and status", fieldwork.TaskFilter{Assignee: ptr("budi@example.com"), Status: []string{fieldwork.StatusDone}}, tasks("T4", "T6")},
		{"ids and status", fieldwork.TaskFilter{IDs: ids(x.t1), Status: []string{fieldwork.StatusDone}}, nil},
		{"flow and q", fieldwork.TaskFilter{FlowID: []fieldwork.ID{x.f1.ID}, Q: ptr("e")}, tasks("T1")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := x.find(t, s, tt.f)
			diff(t, "tasks", tt.want, sorted(x.names.of(taskIDs(got))), cmpopts.EquateEmpty())
			// CountTasks agrees with FindTasks.
			c := get(t, s, x.org.ID, func(tx fieldwork.Tx) (fieldwork.TaskCounts, error) { return tx.CountTasks(ctx, tt.f) })
			want := fieldwork.TaskCounts{Total: len(got)}
			for _, task := range got {
				switch task.Status {
				case fieldwork.StatusDone:
					want.Done++
				case fieldwork.StatusOngoing:
					want.Ongoing++
				}
			}
			diff(t, "CountTasks", want, c)
		})
	}

	t.Run("counts", func(t *testing.T) {
		c := get(t, s, x.org.ID, func(tx fieldwork.Tx) (fieldwork.TaskCounts, error) { return tx.CountTasks(ctx, fieldwork.TaskFilter{}) })
		diff(t, "CountTasks", fieldwork.TaskCounts{Total: 8, Done: 3, Ongoing: 2}, c)
		// Paging does not change the counts.
		c = get(t, s, x.org.ID, func(tx fieldwork.Tx) (fieldwork.TaskCounts, error) {
			return tx.CountTasks(ctx, fieldwork.TaskFilter{Offset: 2, Limit: 1})
		})
		diff(t, "CountTasks of a page", fieldwork.TaskCounts{Total: 8, Done: 3, Ongoing: 2}, c)
	})
}

// taskSorts lists every sort key, the default included.
var taskSorts = []string{"", "createdTime", "updatedTime", "startTime", "endTime", "doneTime", "orderIndex", "status", "title", "_id"}

func testTaskSorting(t *testing.T, s fieldwork.Store) {
	x := newTaskSet(t, s)
	for _, sortBy := range taskSorts {
		for _, desc := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s desc=%v", sortBy, desc), func(t *testing.T) {
				got := x.find(t, s, fieldwork.TaskFilter{SortBy: sortBy, SortDesc: desc})
				want := sortTasks(x.all, sortBy, desc)
				diff(t, "order", x.names.of(taskIDs(want)), x.names.of(taskIDs(got)))
				// With a filter, the same order among the matching tasks.
				f := fieldwork.TaskFilter{SortBy: sortBy, SortDesc: desc, HubID: &x.h1.ID}
				got = x.find(t, s, f)
				want = sortTasks([]*fieldwork.Task{x.t1, x.t2, x.t5, x.t6, x.t7}, sortBy, desc)
				diff(t, "order in hub 1", x.names.of(taskIDs(want)), x.names.of(taskIDs(got)))
			})
		}
	}
}

func testTaskPaging(t *testing.T, s fieldwork.Store) {
	x := newTaskSet(t, s)

	t.Run("offset and limit", func(t *testing.T) {
		for _, ranged := range []bool{false, true} {
			for _, sortBy := range []string{"", "startTime", "orderIndex"} {
				for _, desc := range []bool{false, true} {
					f, match := fieldwork.TaskFilter{SortBy: sortBy, SortDesc: desc}, x.all
					if ranged { // page ids from the range's index first, unless sorted by startTime
						f.TimeBy, f.TimeFrom, f.TimeTo, match = "startTime", ptr(at(-60)), ptr(at(100)), []*fieldwork.Task{x.t1, x.t2, x.t4, x.t5}
					}
					want := sortTasks(match, sortBy, desc)
					for _, tt := range []struct{ offset, limit int }{{0, 3}, {3, 3}, {6, 3}, {7, 5}, {8, 2}, {20, 1}, {2, 0}} {
						f.Offset, f.Limit = tt.offset, tt.limit
						got := x.find(t, s, f)
						end := len(want)
						if tt.limit > 0 {
							end = min(end, tt.offset+tt.limit)
						}
						w := want[min(tt.offset, len(want)):max(end, min(tt.offset, len(want)))]
						diff(t, fmt.Sprintf("ranged=%v sort %q desc=%v offset %d limit %d", ranged, sortBy, desc, tt.offset, tt.limit),
							x.names.of(taskIDs(w)), x.names.of(taskIDs(got)))
					}
				}
			}
		}
	})

	t.Run("cursor", func(t *testing.T) {
		filters := []struct {
			name  string
			f     fieldwork.TaskFilter
			match []*fieldwork.Task
		}{
			{"all", fieldwork.TaskFilter{}, x.all},
			{"not ongoing", fieldwork.TaskFilter{Status: []string{fieldwork.StatusUnassigned, fieldwork.StatusDone}},
				[]*fieldwork.Task{x.t1, x.t3, x.t4, x.t6, x.t7, x.t8}},
			// Listed from the assignee index when sorted by creation time.
			{"assignee", fieldwork.TaskFilter{Assignee: ptr("Budi@example.com")}, []*fieldwork.Task{x.t4, x.t6}},
			{"assignee and status", fieldwork.TaskFilter{Assignee: ptr("ana@example.com"), Status: []string{fieldwork.StatusDone}},
				[]*fieldwork.Task{x.t3}},
			// Sorted by another key, a time range's page ids come from its index first
			// (TaskFilter.RangeSortedElsewhere).
			{"startTime range", fieldwork.TaskFilter{TimeBy: "startTime", TimeTo: ptr(at(100))}, []*fieldwork.Task{x.t1, x.t2, x.t4, x.t5}},
			{"startTime range, both bounds", fieldwork.TaskFilter{TimeBy: "startTime", TimeFrom: ptr(at(-60)), TimeTo: ptr(at(100))},
				[]*fieldwork.Task{x.t1, x.t2, x.t4, x.t5}},
			{"doneTime range", fieldwork.TaskFilter{TimeBy: "doneTime", TimeFrom: ptr(at(0))}, []*fieldwork.Task{x.t3, x.t4, x.t6}},
		}
		for _, ft := range filters {
			for _, sortBy := range taskSorts {
				for _, desc := range []bool{false, true} {
					want := sortTasks(ft.match, sortBy, desc)
					for _, limit := range []int{1, 2, 3, len(want)} {
						name := fmt.Sprintf("%s sort %q desc=%v limit %d", ft.name, sortBy, desc, limit)
						var got []*fieldwork.Task
						f := ft.f
						f.SortBy, f.SortDesc, f.Limit, f.NoCount = sortBy, desc, limit, true
						for range len(want) + 2 {
							page := x.find(t, s, f)
							if len(page) > limit {
								t.Errorf("%s: a page of %d tasks", name, len(page))
							}
							got = append(got, page...)
							if len(page) < limit {
								break
							}
							f.Cursor = page[len(page)-1]
						}
						diff(t, name, x.names.of(taskIDs(want)), x.names.of(taskIDs(got)))
					}
				}
			}
		}
	})

	t.Run("cursor of a task with unset times", func(t *testing.T) {
		// T7 has no start, end or done time: the pages after it hold exactly the tasks that
		// follow it in each order.
		for _, sortBy := range taskSorts {
			for _, desc := range []bool{false, true} {
				want := sortTasks(x.all, sortBy, desc)
				i := slices.Index(want, x.t7)
				got := x.find(t, s, fieldwork.TaskFilter{SortBy: sortBy, SortDesc: desc, Cursor: x.t7})
				diff(t, fmt.Sprintf("after T7 by %q desc=%v", sortBy, desc), x.names.of(taskIDs(want[i+1:])), x.names.of(taskIDs(got)))
			}
		}
	})
}

func testTaskChanges(t *testing.T, s fieldwork.Store) {
	ctx := t.Context()
	a := createOrg(t, s, "Acme", 0)
	b := createOrg(t, s, "Beta", 0)
	hub := newHub(a.ID, "Jakarta", 0)
	create(t, s, a.ID, hub)
	// TaskVersion gives LatestTaskChange and a count of task writes that every write raises.
	var changes int64
	latest := func(o *org) int64 {
		v := get(t, s, o.ID, func(tx fieldwork.Tx) (int64, error) { return tx.LatestTaskChange(ctx) })
		var tv, n int64
		get(t, s, o.ID, func(tx fieldwork.Tx) (int64, error) { var err error; tv, n, err = tx.TaskVersion(ctx); return tv, err })
		if tv != v {
			t.Errorf("TaskVersion's data version = %d, LatestTaskChange = %d", tv, v)
		}
		if o == a && n != changes {
			t.Errorf("TaskVersion's changes = %d after %d task writes", n, changes)
		} else if o == b && n != 0 {
			t.Errorf("another organization's TaskVersion changes = %d, want 0", n)
		}
		changes++ // each check below follows one more write
		return v
	}
	if v := latest(a); v != 0 {
		t.Fatalf("LatestTaskChange without tasks = %d, want 0", v)
	}
	task := newTask(a.ID, hub, 1)
	task.UpdatedTime = tm(10)
	create(t, s, a.ID, task)
	if v, want := latest(a), at(10).Unix(); v != want {
		t.Errorf("after CreateTask: LatestTaskChange = %d, want %d", v, want)
	}
	older := newTask(a.ID, hub, 2)
	older.UpdatedTime = tm(5)
	create(t, s, a.ID, older)
	if v, want := latest(a), at(10).Unix(); v != want {
		t.Errorf("after creating an older task: LatestTaskChange = %d, want %d", v, want)
	}
	changed := *task
	changed.UpdatedTime = tm(20)
	update(t, s, a.ID, func(tx fieldwork.Tx) error { return tx.UpdateTask(ctx, &changed) })
	if v, want := latest(a), at(20).Unix(); v != want {
		t.Errorf("after UpdateTask: LatestTaskChange = %d, want %d", v, want)
	}
	update(t, s, a.ID, func(tx fieldwork.Tx) error { return tx.DeleteTask(ctx, task.ID, at(30)) })
	if v, want := latest(a), at(30).Unix(); v != want {
		t.Errorf("after DeleteTask: LatestTaskChange = %d, want %d", v, want)
	}
	update(t, s, a.ID, func(tx fieldwork.Tx) error { return tx.DeleteTask(ctx, older.ID, at(40)) })
	if v, want := latest(a), at(40).Unix(); v != want {
		t.Errorf("after deleting the last task: LatestTaskChange = %d, want %d", v, want)
	}
	if v := latest(b); v != 0 {
		t.Errorf("another organization's LatestTaskChange = %d, want 0", v)
	}
}

func testHistories(t *testing.T, s fieldwork.Store) {
	ctx := t.Context()
	o := createOrg(t, s, "Acme", 0)
	hub := newHub(o.ID, "Jakarta", 0)
	task, other := newTask(o.ID, hub, 1), newTask(o.ID, hub, 1)
	h1 := newHistory(task.ID, fieldwork.ActionCreate, 1)
	h1.ChangeData, h1.Changes = map[string]any{}, map[string]fieldwork.Change{}
	h2 := newHistory(task.ID, fieldwork.ActionAssign, 2)
	h3 := newHistory(task.ID, fieldwork.ActionRollup, 3)
	h3.Actor, h3.Cause = "System", &fieldwork.Cause{TaskID: other.ID, Action: fieldwork.ActionDone}
	h3.ChangeData = map[string]any{"assignee": []any{"ana@example.com"}, "hub": map[string]any{"_id": hub.ID}}
	h3.Changes = map[string]fieldwork.Change{"status": {From: nil, To: "DONE"}, "orderIndex": {From: 1.0, To: 2.0}}
	hOther := newHistory(other.ID, fieldwork.ActionCreate, 2)
	// Added out of order: the order comes from createdAt.
	create(t, s, o.ID, hub, task, other, h2, hOther, h3, h1)
	n := names{h1.ID: "h1", h2.ID: "h2", h3.ID: "h3", hOther.ID: "other"}
	hids := func(hs []*fieldwork.History) []fieldwork.ID {
		out := []fieldwork.ID{}
		for _, h := range hs {
			out = append(out, h.ID)
		}
		return out
	}

	for _, tt := range []struct {
		name          string
		taskID        fieldwork.ID
		newest        bool
		offset, limit int
		want          []string
		total         int
	}{
		{"oldest first", task.ID, false, 0, 0, []string{"h1", "h2", "h3"}, 3},
		{"newest first", task.ID, true, 0, 0, []string{"h3", "h2", "h1"}, 3},
		{"page oldest first", task.ID, false, 1, 1, []string{"h2"}, 3},
		{"page newest first", task.ID, true, 0, 2, []string{"h3", "h2"}, 3},
		{"last page", task.ID, true, 2, 2, []string{"h1"}, 3},
		{"past the end", task.ID, false, 3, 2, nil, 3},
		{"another task", other.ID, false, 0, 10, []string{"other"}, 1},
		{"unknown task", fieldwork.NewID(at(0)), false, 0, 10, nil, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []*fieldwork.History
			var total int
			view(t, s, o.ID, func(tx fieldwork.Tx) (err error) {
				got, total, err = tx.FindHistories(ctx, tt.taskID, tt.newest, tt.offset, tt.limit)
				return err
			})
			diff(t, "histories", tt.want, n.of(hids(got)), cmpopts.EquateEmpty())
			if total != tt.total {
				t.Errorf("total = %d, want %d", total, tt.total)
			}
		})
	}

	t.Run("round trip", func(t *testing.T) {
		var got []*fieldwork.History
		view(t, s, o.ID, func(tx fieldwork.Tx) (err error) {
			got, _, err = tx.FindHistories(ctx, task.ID, false, 0, 0)
			return err
		})
		diff(t, "histories", []*fieldwork.History{h1, h2, h3}, got)
	})

	// A store may defer AddHistory to the commit (Store contract): the transaction still reads
	// its entries, and a rolled-back one leaves none.
	t.Run("read in the adding transaction, gone with its rollback", func(t *testing.T) {
		h4 := newHistory(other.ID, fieldwork.ActionDone, 4)
		boom := errors.New("boom")
		err := s.Update(ctx, o.ID, func(tx fieldwork.Tx) error {
			if err := tx.AddHistory(ctx, h4); err != nil {
				return err
			}
			got, total, err := tx.FindHistories(ctx, other.ID, true, 0, 1)
			if err != nil {
				return err
			}
			diff(t, "inside the transaction", []string{"h4"}, names{h4.ID: "h4", hOther.ID: "other"}.of(hids(got)))
			if total != 2 {
				t.Errorf("inside the transaction: total %d, want 2", total)
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Update = %v, want fn's error", err)
		}
		var got []*fieldwork.History
		view(t, s, o.ID, func(tx fieldwork.Tx) (err error) {
			got, _, err = tx.FindHistories(ctx, other.ID, false, 0, 0)
			return err
		})
		diff(t, "after the rollback", []string{"other"}, n.of(hids(got)))
	})
}

// ---------------------------------------------------------------------------------------------
// Not found, isolation and atomicity.

// invisible holds objects a transaction must not see: never stored, or stored in another
// organization.
type invisible struct {
	user     *fieldwork.User
	token    *fieldwork.Token
	role     *fieldwork.Role
	hub      *fieldwork.Hub
	flow     *fieldwork.Flow
	workflow *fieldwork.Workflow
	task     *fieldwork.Task
}

// notFoundCase is one call of a Tx method on an invisible object.
type notFoundCase struct {
	name string
	fn   func(ctx context.Context, tx fieldwork.Tx) error
}

// notFoundCases lists every finder, update and delete of Tx applied to invisible objects:
// ENOTFOUND is the only acceptable answer for each.
func notFoundCases(o invisible) []notFoundCase {
	return []notFoundCase{
		{"FindRoleByID", func(ctx context.Context, tx fieldwork.Tx) error {
			_, err := tx.FindRoleByID(ctx, o.role.ID)
			return err
		}},
		{"FindUserByID", func(ctx context.Context, tx fieldwork.Tx) error {
			_, err := tx.FindUserByID(ctx, o.user.ID)
			return err
		}},
		{"FindUserByEmail", func(ctx context.Context, tx fieldwork.Tx) error {
			_, err := tx.FindUserByEmail(ctx, o.user.Email)
			return err
		}},
		{"UpdateUser", func(ctx context.Context, tx fieldwork.Tx) error { return tx.UpdateUser(ctx, o.user) }},
		{"DeleteUser", func(ctx context.Context, tx fieldwork.Tx) error { return tx.DeleteUser(ctx, o.user.ID) }},
		{"FindTokenByID", func(ctx context.Context, tx fieldwork.Tx) error {
			_, err := tx.FindTokenByID(ctx, o.token.ID)
			return err
		}},
		{"UpdateToken", func(ctx context.Context, tx fieldwork.Tx) error { return tx.UpdateToken(ctx, o.token) }},
		{"FindHubByID", func(ctx context.Context, tx fieldwork.Tx) error { _, err := tx.FindHubByID(ctx, o.hub.ID); return err }},
		{"FindHubByName", func(ctx context.Context, tx fieldwork.Tx) error {
			_, err := tx.FindHubByName(ctx, o.hub.Name)
			return err
		}},
		{"UpdateHub", func(ctx context.Context, tx fieldwork.Tx) error { return tx.UpdateHub(ctx, o.hub) }},
		{"DeleteHub", func(ctx context.Context, tx fieldwork.Tx) error { return tx.DeleteHub(ctx, o.hub.ID) }},
		{"FindFlowByID", func(ctx context.Context, tx fieldwork.Tx) error {
			_, err := tx.FindFlowByID(ctx, o.flow.ID)
			return err
		}},
		{"FindFlowByName", func(ctx context.Context, tx fieldwork.Tx) error {
			_, err := tx.FindFlowByName(ctx, o.flow.Name)
			return err
		}},
		{"UpdateFlow", func(ctx context.Context, tx fieldwork.Tx) error { return tx.UpdateFlow(ctx, o.flow) }},
		{"DeleteFlow", func(ctx context.Context, tx fieldwork.Tx) error { return tx.DeleteFlow(ctx, o.flow.ID) }},
		{"FindWorkflowByID", func(ctx context.Context, tx fieldwork.Tx) error {
			_, err := tx.FindWorkflowByID(ctx, o.workflow.ID)
			return err
		}},
		{"FindWorkflowByName", func(ctx context.Context, tx fieldwork.Tx) error {
			_, err := tx.FindWorkflowByName(ctx, o.workflow.Name)
			return err
		}},
		{"UpdateWorkflow", func(ctx context.Context, tx fieldwork.Tx) error { return tx.UpdateWorkflow(ctx, o.workflow) }},
		{"DeleteWorkflow", func(ctx context.Context, tx fieldwork.Tx) error { return tx.DeleteWorkflow(ctx, o.workflow.ID) }},
		{"FindTaskByID", func(ctx context.Context, tx fieldwork.Tx) error {
			_, err := tx.FindTaskByID(ctx, o.task.ID)
			return err
		}},
		{"UpdateTask", func(ctx context.Context, tx fieldwork.Tx) error { return tx.UpdateTask(ctx, o.task) }},
		{"DeleteTask", func(ctx context.Context, tx fieldwork.Tx) error { return tx.DeleteTask(ctx, o.task.ID, at(50)) }},
	}
}

func testNotFound(t *testing.T, s fieldwork.Store) {
	o := createOrg(t, s, "Acme", 0)
	// Objects built for the organization but never stored.
	user := newUser(o, fieldwork.RoleFieldUser, "Ghost", "ghost@example.com", 1)
	tok := newToken(o.ID, user.ID, "ghost", 1)
	role := &fieldwork.Role{ID: fieldwork.NewID(at(1)), Name: "Ghost", OrganizationID: o.ID}
	hub := newHub(o.ID, "Ghost Town", 1)
	flow := newFlow(o.ID, "Ghost Flow", 1, 1)
	workflow := newWorkflow(o.ID, "Ghost Workflow", 1, flow)
	task := newTask(o.ID, hub, 1)
	for _, tt := range notFoundCases(invisible{user, tok, role, hub, flow, workflow, task}) {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Update(t.Context(), o.ID, func(tx fieldwork.Tx) error { return tt.fn(t.Context(), tx) })
			wantCode(t, tt.name, err, fieldwork.ENOTFOUND)
		})
	}
	t.Run("FindCredential", func(t *testing.T) {
		_, _, err := s.FindCredential(t.Context(), tok.Hash)
		wantCode(t, "FindCredential", err, fieldwork.ENOTFOUND)
	})
}

func testIsolation(t *testing.T, s fieldwork.Store) {
	ctx := t.Context()
	a := createOrg(t, s, "Acme", 0)
	b := createOrg(t, s, "Beta", 0)

	// Organization A's objects, each of a kind and with names B reuses below.
	user := newUser(a, fieldwork.RoleFieldUser, "Ana Lima", "ana@example.com", 1)
	tok := newToken(a.ID, user.ID, "ci", 1)
	hub := newHub(a.ID, "Jakarta", 1)
	user.HubID = []fieldwork.ID{hub.ID}
	flow := newFlow(a.ID, "Delivery", 1, 1)
	workflow := newWorkflow(a.ID, "Morning Route", 1, flow)
	task := fullTask(a.ID, hub, 1)
	task.FlowID, task.Flow, task.Status = &flow.ID, flow.Name, fieldwork.StatusDone
	task.DoneBy, task.Assignee = &user.Email, []string{user.Email}
	child := newTask(a.ID, hub, 2)
	child.ParentID, child.WorkflowID = &task.ID, task.WorkflowID
	hist := newHistory(task.ID, fieldwork.ActionCreate, 1)
	create(t, s, a.ID, user, tok, hub, flow, workflow, task, child, hist)

	// What A sees of its own objects, to compare after B's attempts.
	snapshot := func() []any {
		var out []any
		view(t, s, a.ID, func(tx fieldwork.Tx) error {
			for _, f := range []func() (any, error){
				func() (any, error) { return tx.FindUserByID(ctx, user.ID) },
				func() (any, error) { return tx.FindUserByID(ctx, a.Owner.ID) },
				func() (any, error) { return tx.FindTokenByID(ctx, tok.ID) },
				func() (any, error) { return tx.FindTokenByID(ctx, a.Token.ID) },
				func() (any, error) { return tx.FindHubByID(ctx, hub.ID) },
				func() (any, error) { return tx.FindFlowByID(ctx, flow.ID) },
				func() (any, error) { return tx.FindWorkflowByID(ctx, workflow.ID) },
				func() (any, error) { return tx.CountWorkflowsUsingFlow(ctx, flow.ID) },
				func() (any, error) { return tx.FindTaskByID(ctx, task.ID) },
				func() (any, error) { return tx.FindTaskByID(ctx, child.ID) },
				func() (any, error) { return tx.FindRoles(ctx) },
				func() (any, error) { h, _, err := tx.FindHistories(ctx, task.ID, false, 0, 0); return h, err },
				func() (any, error) { return tx.LatestTaskChange(ctx) },
			} {
				v, err := f()
				if err != nil {
					return err
				}
				out = append(out, v)
			}
			return nil
		})
		return out
	}
	before := snapshot()

	t.Run("not found from B", func(t *testing.T) {
		for _, tt := range notFoundCases(invisible{user, tok, a.role(fieldwork.RoleOwner), hub, flow, workflow, task}) {
			err := s.Update(ctx, b.ID, func(tx fieldwork.Tx) error { return tt.fn(ctx, tx) })
			wantCode(t, tt.name+" from B", err, fieldwork.ENOTFOUND)
		}
		// The owners' ids and tokens of A are as invisible as the rest.
		err := s.View(ctx, b.ID, func(tx fieldwork.Tx) error {
			_, err := tx.FindUserByID(ctx, a.Owner.ID)
			return err
		})
		wantCode(t, "FindUserByID(A's owner) from B", err, fieldwork.ENOTFOUND)
		err = s.Update(ctx, b.ID, func(tx fieldwork.Tx) error { return tx.UpdateToken(ctx, a.Token) })
		wantCode(t, "UpdateToken(A's owner token) from B", err, fieldwork.ENOTFOUND)
	})

	t.Run("not listed in B", func(t *testing.T) {
		view(t, s, b.ID, func(tx fieldwork.Tx) error {
			if org, err := tx.FindOrganization(ctx); err != nil || org.ID != b.ID {
				t.Errorf("FindOrganization from B = %+v, %v", org, err)
			}
			roles, err := tx.FindRoles(ctx)
			if err != nil {
				return err
			}
			diff(t, "B's roles", b.Roles, roles, byID(func(r *fieldwork.Role) fieldwork.ID { return r.ID }))
			us, total, err := tx.FindUsers(ctx, fieldwork.UserFilter{})
			if err != nil {
				return err
			}
			diff(t, "B's users", []fieldwork.ID{b.Owner.ID}, userIDs(us))
			if total != 1 {
				t.Errorf("FindUsers total = %d, want 1", total)
			}
			for _, f := range []fieldwork.UserFilter{{HubID: &hub.ID}, {Email: &user.Email}, {Q: ptr("lima")}, {RoleID: &user.RoleID}} {
				us, total, err := tx.FindUsers(ctx, f)
				if err != nil {
					return err
				}
				if len(us) != 0 || total != 0 {
					t.Errorf("FindUsers(%+v) from B: %d users, total %d", f, len(us), total)
				}
			}
			us, err = tx.FindUsersByEmails(ctx, []string{user.Email})
			if err != nil {
				return err
			}
			if len(us) != 0 {
				t.Errorf("FindUsersByEmails from B finds A's user")
			}
			n, err := tx.CountActiveOwners(ctx)
			if err != nil {
				return err
			}
			if n != 1 {
				t.Errorf("CountActiveOwners from B = %d, want 1", n)
			}
			toks, err := tx.FindTokensByUser(ctx, user.ID)
			if err != nil {
				return err
			}
			if len(toks) != 0 {
				t.Errorf("FindTokensByUser(A's user) from B: %d tokens", len(toks))
			}
			hs, total, err := tx.FindHubs(ctx, fieldwork.HubFilter{})
			if err != nil {
				return err
			}
			if len(hs) != 0 || total != 0 {
				t.Errorf("FindHubs from B: %d hubs, total %d", len(hs), total)
			}
			hs, _, err = tx.FindHubs(ctx, fieldwork.HubFilter{IDs: []fieldwork.ID{hub.ID}})
			if err != nil {
				return err
			}
			if len(hs) != 0 {
				t.Errorf("FindHubs(IDs) from B finds A's hub")
			}
			ref, err := tx.HubReferenced(ctx, hub.ID)
			if err != nil {
				return err
			}
			if ref {
				t.Errorf("HubReferenced(A's hub) from B = true")
			}
			fs, total, err := tx.FindFlows(ctx, fieldwork.FlowFilter{})
			if err != nil {
				return err
			}
			if len(fs) != 0 || total != 0 {
				t.Errorf("FindFlows from B: %d flows, total %d", len(fs), total)
			}
			ws, total, err := tx.FindWorkflows(ctx, fieldwork.WorkflowFilter{})
			if err != nil {
				return err
			}
			if len(ws) != 0 || total != 0 {
				t.Errorf("FindWorkflows from B: %d workflows, total %d", len(ws), total)
			}
			n, err = tx.CountWorkflowsUsingFlow(ctx, flow.ID)
			if err != nil {
				return err
			}
			if n != 0 {
				t.Errorf("CountWorkflowsUsingFlow(A's flow) from B = %d, want 0", n)
			}
			for _, f := range []fieldwork.TaskFilter{
				{}, {IDs: []fieldwork.ID{task.ID, child.ID}}, {HubID: &hub.ID}, {FlowID: []fieldwork.ID{flow.ID}},
				{Flow: []string{flow.Name}}, {Assignee: &user.Email}, {DoneBy: &user.Email}, {DoneBy: &user.Name},
				{ParentID: &task.ID}, {WorkflowID: task.WorkflowID}, {Q: task.Title}, {Status: []string{fieldwork.StatusDone}},
			} {
				ts, err := tx.FindTasks(ctx, f)
				if err != nil {
					return err
				}
				if len(ts) != 0 {
					t.Errorf("FindTasks(%+v) from B: %d tasks", f, len(ts))
				}
				c, err := tx.CountTasks(ctx, f)
				if err != nil {
					return err
				}
				if c != (fieldwork.TaskCounts{}) {
					t.Errorf("CountTasks(%+v) from B = %+v", f, c)
				}
			}
			ts, err := tx.FindTasks(ctx, fieldwork.TaskFilter{Cursor: child, Limit: 10})
			if err != nil {
				return err
			}
			if len(ts) != 0 {
				t.Errorf("FindTasks with A's task as cursor from B: %d tasks", len(ts))
			}
			h, total, err := tx.FindHistories(ctx, task.ID, false, 0, 0)
			if err != nil {
				return err
			}
			if len(h) != 0 || total != 0 {
				t.Errorf("FindHistories(A's task) from B: %d entries, total %d", len(h), total)
			}
			v, err := tx.LatestTaskChange(ctx)
			if err != nil {
				return err
			}
			if v != 0 {
				t.Errorf("LatestTaskChange from B = %d, want 0", v)
			}
			return nil
		})
	})

	t.Run("B's writes leave A alone", func(t *testing.T) {
		// RevokeUserTokens of A's user from B changes nothing.
		update(t, s, b.ID, func(tx fieldwork.Tx) error { return tx.RevokeUserTokens(ctx, user.ID) })
		update(t, s, b.ID, func(tx fieldwork.Tx) error { return tx.RevokeUserTokens(ctx, a.Owner.ID) })
		// Names and emails are unique per organization only: B may reuse A's.
		bUser := newUser(b, fieldwork.RoleFieldUser, "Ana of Beta", user.Email, 2)
		bHub := newHub(b.ID, "JAKARTA", 2)
		bFlow := newFlow(b.ID, "delivery", 1, 2)
		bWorkflow := newWorkflow(b.ID, "MORNING ROUTE", 2, flow) // a step naming A's flow id
		bTask := newTask(b.ID, bHub, 2)
		bTask.Assignee, bTask.DoneBy = []string{user.Email}, &user.Email
		bHist := newHistory(task.ID, fieldwork.ActionPatch, 3) // B's entry naming A's task id
		create(t, s, b.ID, bUser, bHub, bFlow, bWorkflow, bTask, bHist)
		// doneBy by name resolves names among B's users only.
		for _, tt := range []struct {
			doneBy string
			want   []fieldwork.ID
		}{{user.Email, []fieldwork.ID{bTask.ID}}, {bUser.Name, []fieldwork.ID{bTask.ID}}, {user.Name, nil}} {
			ts := get(t, s, b.ID, func(tx fieldwork.Tx) ([]*fieldwork.Task, error) {
				return tx.FindTasks(ctx, fieldwork.TaskFilter{DoneBy: &tt.doneBy})
			})
			diff(t, "B's tasks done by "+tt.doneBy, tt.want, taskIDs(ts), cmpopts.EquateEmpty())
		}
		update(t, s, b.ID, func(tx fieldwork.Tx) error { return tx.DeleteTask(ctx, bTask.ID, at(500)) })
		diff(t, "A's objects", before, snapshot())
		view(t, s, b.ID, func(tx fieldwork.Tx) error {
			got, err := tx.FindUserByEmail(ctx, user.Email)
			if err != nil {
				return err
			}
			diff(t, "B's user with A's email", bUser, got)
			gotHub, err := tx.FindHubByName(ctx, "jakarta")
			if err != nil {
				return err
			}
			diff(t, "B's hub with A's name", bHub, gotHub)
			gotFlow, err := tx.FindFlowByName(ctx, "DELIVERY")
			if err != nil {
				return err
			}
			diff(t, "B's flow with A's name", bFlow, gotFlow)
			gotWorkflow, err := tx.FindWorkflowByName(ctx, "morning route")
			if err != nil {
				return err
			}
			diff(t, "B's workflow with A's name", bWorkflow, gotWorkflow)
			return nil
		})
		got, _, err := s.FindCredential(ctx, tok.Hash)
		if err != nil || got.Revoked {
			t.Errorf("A's token after B's revocations = %+v, %v", got, err)
		}
		view(t, s, a.ID, func(tx fieldwork.Tx) error {
			hs, total, err := tx.FindHistories(ctx, task.ID, false, 0, 0)
			if err != nil {
				return err
			}
			diff(t, "A's histories", []*fieldwork.History{hist}, hs)
			if total != 1 {
				t.Errorf("A's history total = %d, want 1", total)
			}
			us, _, err := tx.FindUsers(ctx, fieldwork.UserFilter{Email: &user.Email})
			if err != nil {
				return err
			}
			diff(t, "A's users of the email", []fieldwork.ID{user.ID}, userIDs(us))
			return nil
		})
	})
}

func testAtomicity(t *testing.T, s fieldwork.Store) {
	ctx := t.Context()
	o := createOrg(t, s, "Acme", 0)
	hub := newHub(o.ID, "Jakarta", 0)
	create(t, s, o.ID, hub)

	// nothingLeft checks that none of the tasks, histories and hubs exist.
	nothingLeft := func(t *testing.T, tasks []*fieldwork.Task, hubs []*fieldwork.Hub) {
		t.Helper()
		view(t, s, o.ID, func(tx fieldwork.Tx) error {
			for _, task := range tasks {
				_, err := tx.FindTaskByID(ctx, task.ID)
				wantCode(t, "FindTaskByID", err, fieldwork.ENOTFOUND)
				hs, total, err := tx.FindHistories(ctx, task.ID, false, 0, 0)
				if err != nil {
					return err
				}
				if len(hs) != 0 || total != 0 {
					t.Errorf("task %s has %d histories", task.ID, total)
				}
			}
			for _, h := range hubs {
				_, err := tx.FindHubByID(ctx, h.ID)
				wantCode(t, "FindHubByID", err, fieldwork.ENOTFOUND)
				_, err = tx.FindHubByName(ctx, h.Name)
				wantCode(t, "FindHubByName", err, fieldwork.ENOTFOUND)
			}
			ts, err := tx.FindTasks(ctx, fieldwork.TaskFilter{})
			if err != nil {
				return err
			}
			if len(ts) != 0 {
				t.Errorf("FindTasks: %d tasks", len(ts))
			}
			ref, err := tx.HubReferenced(ctx, hub.ID)
			if err != nil {
				return err
			}
			if ref {
				t.Error("the hub is referenced")
			}
			v, err := tx.LatestTaskChange(ctx)
			if err != nil {
				return err
			}
			if v != 0 {
				t.Errorf("LatestTaskChange = %d, want 0", v)
			}
			return nil
		})
	}

	t.Run("fn error rolls back every write", func(t *testing.T) {
		t1, t2 := newTask(o.ID, hub, 1), newTask(o.ID, hub, 1)
		other := newHub(o.ID, "Bandung", 1)
		boom := errors.New("boom")
		err := s.Update(ctx, o.ID, func(tx fieldwork.Tx) error {
			for _, task := range []*fieldwork.Task{t1, t2} {
				if err := tx.CreateTask(ctx, task); err != nil {
					return err
				}
			}
			if err := tx.AddHistory(ctx, newHistory(t1.ID, fieldwork.ActionCreate, 1)); err != nil {
				return err
			}
			if err := tx.CreateHub(ctx, other); err != nil {
				return err
			}
			// The transaction sees its own writes.
			ts, err := tx.FindTasks(ctx, fieldwork.TaskFilter{})
			if err != nil {
				return err
			}
			if len(ts) != 2 {
				t.Errorf("inside the transaction: %d tasks, want 2", len(ts))
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Update = %v, want fn's error", err)
		}
		nothingLeft(t, []*fieldwork.Task{t1, t2}, []*fieldwork.Hub{other})
	})

	t.Run("a failed write fails the transaction", func(t *testing.T) {
		t1 := newTask(o.ID, hub, 2)
		err := s.Update(ctx, o.ID, func(tx fieldwork.Tx) error {
			if err := tx.CreateTask(ctx, t1); err != nil {
				return err
			}
			if err := tx.AddHistory(ctx, newHistory(t1.ID, fieldwork.ActionCreate, 2)); err != nil {
				return err
			}
			dup := newTask(o.ID, hub, 3)
			dup.ID = t1.ID
			return tx.CreateTask(ctx, dup)
		})
		if err == nil {
			t.Fatal("a second CreateTask with the same id succeeded")
		}
		nothingLeft(t, []*fieldwork.Task{t1}, nil)
	})

	t.Run("a unique violation fails the transaction", func(t *testing.T) {
		t1 := newTask(o.ID, hub, 4)
		err := s.Update(ctx, o.ID, func(tx fieldwork.Tx) error {
			if err := tx.CreateTask(ctx, t1); err != nil {
				return err
			}
			return tx.CreateHub(ctx, newHub(o.ID, "jakarta", 4))
		})
		wantFailedCode(t, "CreateHub with a taken name", err, "hub-034")
		nothingLeft(t, []*fieldwork.Task{t1}, nil)
	})

	t.Run("a committed Update keeps every write", func(t *testing.T) {
		t1, t2 := newTask(o.ID, hub, 5), newTask(o.ID, hub, 5)
		h := newHistory(t1.ID, fieldwork.ActionCreate, 5)
		create(t, s, o.ID, t1, t2, h)
		view(t, s, o.ID, func(tx fieldwork.Tx) error {
			ts, err := tx.FindTasks(ctx, fieldwork.TaskFilter{})
			if err != nil {
				return err
			}
			diff(t, "tasks", sorted([]fieldwork.ID{t1.ID, t2.ID}), sorted(taskIDs(ts)))
			_, total, err := tx.FindHistories(ctx, t1.ID, false, 0, 0)
			if total != 1 {
				t.Errorf("history total = %d, want 1", total)
			}
			return err
		})
		update(t, s, o.ID, func(tx fieldwork.Tx) error {
			if err := tx.DeleteTask(ctx, t1.ID, at(6)); err != nil {
				return err
			}
			return tx.DeleteTask(ctx, t2.ID, at(6))
		})
	})

}

// testReadOnlyView checks that a View transaction refuses every kind of write, and that
// nothing of the attempts is kept.
func testReadOnlyView(t *testing.T, s fieldwork.Store) {
	ctx := t.Context()
	o := createOrg(t, s, "Acme", 0)
	hub := newHub(o.ID, "Jakarta", 0)
	task := newTask(o.ID, hub, 1)
	create(t, s, o.ID, hub, task)
	before := get(t, s, o.ID, func(tx fieldwork.Tx) (int64, error) { return tx.LatestTaskChange(ctx) })
	owner := *o.Owner
	owner.Name = "Changed"
	revoked := *o.Token
	revoked.Revoked = true
	renamed := *hub
	renamed.Name = "Changed"
	changed := *task
	changed.Title, changed.UpdatedTime = ptr("Changed"), tm(9)
	for _, tt := range []struct {
		name string
		fn   func(tx fieldwork.Tx) error
	}{
		{"CreateUser", func(tx fieldwork.Tx) error {
			return tx.CreateUser(ctx, newUser(o, fieldwork.RoleAdmin, "New", "new@example.com", 7))
		}},
		{"UpdateUser", func(tx fieldwork.Tx) error { return tx.UpdateUser(ctx, &owner) }},
		{"DeleteUser", func(tx fieldwork.Tx) error { return tx.DeleteUser(ctx, o.Owner.ID) }},
		{"CreateToken", func(tx fieldwork.Tx) error { return tx.CreateToken(ctx, newToken(o.ID, o.Owner.ID, "new", 7)) }},
		{"RevokeUserTokens", func(tx fieldwork.Tx) error { return tx.RevokeUserTokens(ctx, o.Owner.ID) }},
		{"UpdateToken", func(tx fieldwork.Tx) error { return tx.UpdateToken(ctx, &revoked) }},
		{"CreateHub", func(tx fieldwork.Tx) error { return tx.CreateHub(ctx, newHub(o.ID, "New", 7)) }},
		{"UpdateHub", func(tx fieldwork.Tx) error { return tx.UpdateHub(ctx, &renamed) }},
		{"DeleteHub", func(tx fieldwork.Tx) error { return tx.DeleteHub(ctx, hub.ID) }},
		{"CreateFlow", func(tx fieldwork.Tx) error { return tx.CreateFlow(ctx, newFlow(o.ID, "New", 1, 7)) }},
		{"CreateWorkflow", func(tx fieldwork.Tx) error { return tx.CreateWorkflow(ctx, newWorkflow(o.ID, "New", 7)) }},
		{"CreateTask", func(tx fieldwork.Tx) error { return tx.CreateTask(ctx, newTask(o.ID, hub, 7)) }},
		{"UpdateTask", func(tx fieldwork.Tx) error { return tx.UpdateTask(ctx, &changed) }},
		{"DeleteTask", func(tx fieldwork.Tx) error { return tx.DeleteTask(ctx, task.ID, at(8)) }},
		{"AddHistory", func(tx fieldwork.Tx) error { return tx.AddHistory(ctx, newHistory(task.ID, fieldwork.ActionPatch, 7)) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.View(ctx, o.ID, tt.fn); err == nil {
				t.Errorf("%s in a View transaction succeeded", tt.name)
			}
		})
	}
	view(t, s, o.ID, func(tx fieldwork.Tx) error {
		got, err := tx.FindUserByID(ctx, o.Owner.ID)
		if err != nil {
			return err
		}
		diff(t, "owner", o.Owner, got)
		gotHub, err := tx.FindHubByID(ctx, hub.ID)
		if err != nil {
			return err
		}
		diff(t, "hub", hub, gotHub)
		gotTask, err := tx.FindTaskByID(ctx, task.ID)
		if err != nil {
			return err
		}
		diff(t, "task", task, gotTask)
		for _, check := range []struct {
			what string
			n    func() (int, error)
			want int
		}{
			{"users", func() (int, error) { _, n, err := tx.FindUsers(ctx, fieldwork.UserFilter{}); return n, err }, 1},
			{"hubs", func() (int, error) { _, n, err := tx.FindHubs(ctx, fieldwork.HubFilter{}); return n, err }, 1},
			{"flows", func() (int, error) { _, n, err := tx.FindFlows(ctx, fieldwork.FlowFilter{}); return n, err }, 0},
			{"workflows", func() (int, error) { _, n, err := tx.FindWorkflows(ctx, fieldwork.WorkflowFilter{}); return n, err }, 0},
			{"tasks", func() (int, error) { c, err := tx.CountTasks(ctx, fieldwork.TaskFilter{}); return c.Total, err }, 1},
			{"histories", func() (int, error) { _, n, err := tx.FindHistories(ctx, task.ID, false, 0, 0); return n, err }, 0},
			{"owner tokens", func() (int, error) { ts, err := tx.FindTokensByUser(ctx, o.Owner.ID); return len(ts), err }, 1},
		} {
			n, err := check.n()
			if err != nil {
				return err
			}
			if n != check.want {
				t.Errorf("%d %s after the refused writes, want %d", n, check.what, check.want)
			}
		}
		v, err := tx.LatestTaskChange(ctx)
		if v != before {
			t.Errorf("LatestTaskChange = %d after the refused writes, want %d", v, before)
		}
		return err
	})
	got, _, err := s.FindCredential(ctx, o.Token.Hash)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "owner token", o.Token, got)
}
