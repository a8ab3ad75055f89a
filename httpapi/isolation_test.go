package httpapi_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fieldwork-dev/fieldwork"
	"github.com/fieldwork-dev/fieldwork/httpapi"
	"github.com/fieldwork-dev/fieldwork/internal/testdb"
)

// The isolation tests are generated from the server's route table (Server.Routes(), which the
// OpenAPI test holds equal to the document): every route and method is tried without a valid
// token, with a token of another organization aimed at real objects of the first, and as every
// role of SPEC §1.7, and must answer 401 auth-001, 404 or 403 auth-003 exactly as SPEC §1.6 and
// §1.7 say, without ever showing what the caller may not see. A route added without a case
// in isolationCases fails TestIsolationRoles.
//
// Organization A's names, emails and values all contain a random marker, and every id A's
// answers ever held is collected, so "no answer shows anything of A" is a search of each answer
// body for the marker and those ids. Tasks that a role may not see (another hub, another
// worker's) carry a second marker.

// scope says which task a request aims at: one every role may see (hub 1, assigned to the
// Field User), or one the Field User and the hub-restricted users may not (hub 2, assigned to
// another worker).
type scope int

const (
	visible scope = iota
	hidden
)

func (s scope) String() string { return [...]string{"visible", "hidden"}[s] }

// perm is who may call a route (SPEC §1.7).
type perm int

const (
	permAny            perm = iota // every role
	permViewUsers                  // Owner, Admin, Planner (a Field User sees only themself)
	permPlanner                    // create, edit, delete, assign, move tasks; create, delete activities
	permAdmin                      // manage users, hubs, flows, workflows
	permUnrestricted               // Owner/Admin who see every hub: events and webhooks (decided, SPEC §8, §9)
	permDoneOrAssigned             // complete a task: Owner, Admin, Planner, or its assignee
)

// isoUser is a user of organization A (or B's Owner) with a token.
type isoUser struct {
	role       string // "Owner", "Admin", "Planner", "Field User"
	restricted bool   // hubId = [hub 1]
	id, email  string
	token      string
}

// seesAll reports whether the user sees every task of the organization.
func (u *isoUser) seesAll() bool { return !u.restricted && u.role != fieldwork.RoleFieldUser }

// may reports whether the user's role holds the permission (visibility aside).
func (u *isoUser) may(p perm) bool {
	admin := u.role == fieldwork.RoleOwner || u.role == fieldwork.RoleAdmin
	planner := admin || u.role == fieldwork.RolePlanner
	switch p {
	case permViewUsers, permPlanner:
		return planner
	case permAdmin:
		return admin
	case permUnrestricted:
		return admin && !u.restricted
	}
	return true
}

// isoReq is one request of a case.
type isoReq struct {
	method, path string
	body         any
	wantIn       string // an id a successful answer must contain
}

// routeCase says who may call a route and builds a valid request for it.
type routeCase struct {
	perm perm
	// tasky: the request aims at a task or activity, which is hidden from some roles in the
	// hidden scope; there it answers hiddenStatus with hiddenCode (404 and the resource's
	// not-found code unless set).
	tasky        bool
	hiddenStatus int
	hiddenCode   string
	// bulk: the answer lists items; a hidden target fails its item with hiddenCode.
	bulk bool
	// notFound is the failedCode of the 404 that an id in the path of another organization
	// gets (path-parameter routes).
	notFound string
	ok       int // success status (200 unless set)
	// build makes a valid request aimed at a task of the scope; self is the user whose own
	// objects (tokens) the request names.
	build func(f *isoFixture, self *isoUser, s scope) isoReq
}

// isolationCases lists every /api/v3 route but the OpenAPI document's.
var isolationCases = map[string]routeCase{
	// §2 users, roles, tokens
	"GET /user": {perm: permAny, build: func(f *isoFixture, _ *isoUser, _ scope) isoReq { return isoReq{"GET", "/user", nil, ""} }},
	"PATCH /user": {perm: permAny, build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"PATCH", "/user", map[string]any{"phoneNumber": "+62 21 555"}, ""}
	}},
	"GET /users": {perm: permViewUsers, build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"GET", "/users?limit=1000", nil, f.worker.id}
	}},
	"POST /user": {perm: permAdmin, ok: 201, build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		n := f.fresh("user")
		return isoReq{"POST", "/user", map[string]any{"name": n, "email": n + "@new.test", "role": "Field User"}, ""}
	}},
	"GET /user/email/{email}": {perm: permViewUsers, notFound: "user-033", build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"GET", "/user/email/" + f.worker.email, nil, f.worker.id}
	}},
	"GET /user/{userId}": {perm: permViewUsers, notFound: "user-033", build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"GET", "/user/" + f.worker.id, nil, f.worker.id}
	}},
	"PUT /user/{userId}": {perm: permAdmin, notFound: "user-033", build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"PUT", "/user/" + f.newUser(), map[string]any{"name": f.fresh("renamed")}, ""}
	}},
	"PATCH /user/{userId}": {perm: permAdmin, notFound: "user-033", build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"PATCH", "/user/" + f.newUser(), map[string]any{"name": f.fresh("renamed")}, ""}
	}},
	"DELETE /user/{userId}": {perm: permAdmin, notFound: "user-033", build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"DELETE", "/user/" + f.newUser(), nil, ""}
	}},
	"DELETE /member/{userId}": {perm: permAdmin, notFound: "user-033", build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"DELETE", "/member/" + f.newUser(), nil, ""}
	}},
	"GET /roles": {perm: permAny, build: func(f *isoFixture, _ *isoUser, _ scope) isoReq { return isoReq{"GET", "/roles", nil, ""} }},
	"GET /role/{roleId}": {perm: permAny, notFound: "role-033", build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"GET", "/role/" + f.roleID, nil, f.roleID}
	}},
	"POST /token": {perm: permAny, build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"POST", "/token", map[string]any{"name": f.fresh("token")}, ""}
	}},
	"POST /user/{userId}/token": {perm: permAdmin, notFound: "user-033", build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"POST", "/user/" + f.worker.id + "/token", map[string]any{"name": f.fresh("token")}, ""}
	}},
	"GET /tokens": {perm: permAny, build: func(f *isoFixture, _ *isoUser, _ scope) isoReq { return isoReq{"GET", "/tokens", nil, ""} }},
	"PUT /token/{tokenId}": {perm: permAny, notFound: "auth-033", build: func(f *isoFixture, self *isoUser, _ scope) isoReq {
		return isoReq{"PUT", "/token/" + f.newToken(self), map[string]any{"name": f.fresh("renamed")}, ""}
	}},
	"DELETE /token/{tokenId}": {perm: permAny, notFound: "auth-033", build: func(f *isoFixture, self *isoUser, _ scope) isoReq {
		return isoReq{"DELETE", "/token/" + f.newToken(self), nil, ""}
	}},
	// §3 hubs
	"GET /hubs": {perm: permAny, build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"GET", "/hubs?limit=1000", nil, f.hub2}
	}},
	"POST /hub": {perm: permAdmin, build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"POST", "/hub", f.hubBody(), ""}
	}},
	"GET /hub/{hubId}": {perm: permAny, notFound: "hub-033", build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"GET", "/hub/" + f.hub2, nil, f.hub2}
	}},
	"PUT /hub/{hubId}": {perm: permAdmin, notFound: "hub-033", build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"PUT", "/hub/" + f.newHub(), f.hubBody(), ""}
	}},
	"PATCH /hub/{hubId}": {perm: permAdmin, notFound: "hub-033", build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"PATCH", "/hub/" + f.newHub(), map[string]any{"address": "Elsewhere 2"}, ""}
	}},
	"DELETE /hub/{hubId}": {perm: permAdmin, notFound: "hub-033", build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"DELETE", "/hub/" + f.newHub(), nil, ""}
	}},
	// §4 flows
	"GET /flows": {perm: permAny, build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"GET", "/flows?limit=1000", nil, f.flowID}
	}},
	"POST /flow": {perm: permAdmin, ok: 201, build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"POST", "/flow", f.flowBody(f.fresh("Flow"), "Note"), ""}
	}},
	"GET /flow/{flowId}": {perm: permAny, notFound: "flow-033", build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"GET", "/flow/" + f.flowID, nil, f.flowID}
	}},
	"PUT /flow/{flowId}": {perm: permAdmin, notFound: "flow-033", build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"PUT", "/flow/" + f.newFlow(), f.flowBody(f.fresh("Flow"), "Note"), ""}
	}},
	"PATCH /flow/{flowId}": {perm: permAdmin, notFound: "flow-033", build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"PATCH", "/flow/" + f.newFlow(), map[string]any{"orderIndex": 3}, ""}
	}},
	"DELETE /flow/{flowId}": {perm: permAdmin, notFound: "flow-033", build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"DELETE", "/flow/" + f.newFlow(), nil, ""}
	}},
	"GET /flow/{flowName}/fields": {perm: permAny, notFound: "flow-033", build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"GET", "/flow/" + f.flowName + "/fields", nil, ""}
	}},
	"GET /flow/{flowName}/task": {perm: permAny, notFound: "flow-033", build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"GET", "/flow/" + f.flowName + "/task", nil, ""}
	}},
	// §5 tasks
	"POST /task": {perm: permPlanner, tasky: true, hiddenStatus: 400, hiddenCode: "task-032", ok: 201,
		build: func(f *isoFixture, _ *isoUser, s scope) isoReq { return isoReq{"POST", "/task", f.taskBody(s), ""} }},
	"POST /tasks/bulk": {perm: permPlanner, tasky: true, bulk: true, hiddenCode: "task-032", ok: 201,
		build: func(f *isoFixture, _ *isoUser, s scope) isoReq {
			return isoReq{"POST", "/tasks/bulk", map[string]any{"tasks": []any{f.taskBody(s)}}, ""}
		}},
	"GET /tasks": {perm: permAny, build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"GET", "/tasks?limit=1000", nil, f.task[visible]}
	}},
	"GET /task/{taskId}": {perm: permAny, tasky: true, notFound: "task-033", build: func(f *isoFixture, _ *isoUser, s scope) isoReq {
		return isoReq{"GET", "/task/" + f.task[s], nil, f.task[s]}
	}},
	"PUT /task/{taskId}": {perm: permPlanner, tasky: true, notFound: "task-033", build: func(f *isoFixture, _ *isoUser, s scope) isoReq {
		return isoReq{"PUT", "/task/" + f.newTask(s), f.taskBody(s), ""}
	}},
	"PATCH /task/{taskId}": {perm: permPlanner, tasky: true, notFound: "task-033", build: func(f *isoFixture, _ *isoUser, s scope) isoReq {
		return isoReq{"PATCH", "/task/" + f.newTask(s), map[string]any{"note": "patched"}, ""}
	}},
	"DELETE /task/{taskId}": {perm: permPlanner, tasky: true, notFound: "task-033", build: func(f *isoFixture, _ *isoUser, s scope) isoReq {
		return isoReq{"DELETE", "/task/" + f.newTask(s), nil, ""}
	}},
	"PUT /task/{taskId}/assign": {perm: permPlanner, tasky: true, notFound: "task-033", build: func(f *isoFixture, _ *isoUser, s scope) isoReq {
		return isoReq{"PUT", "/task/" + f.newTask(s) + "/assign", map[string]any{"assignee": []string{f.field.email}}, ""}
	}},
	"POST /task/{taskId}/assign": {perm: permPlanner, tasky: true, notFound: "task-033", build: func(f *isoFixture, _ *isoUser, s scope) isoReq {
		return isoReq{"POST", "/task/" + f.newTask(s) + "/assign", map[string]any{"assignee": f.field.email}, ""}
	}},
	"PUT /task/{taskId}/move": {perm: permPlanner, tasky: true, notFound: "task-033", build: func(f *isoFixture, _ *isoUser, s scope) isoReq {
		return isoReq{"PUT", "/task/" + f.newTask(s) + "/move", map[string]any{"hubId": f.hub1}, ""}
	}},
	"POST /task/{taskId}/done": {perm: permDoneOrAssigned, tasky: true, notFound: "task-033", build: func(f *isoFixture, _ *isoUser, s scope) isoReq {
		return isoReq{"POST", "/task/" + f.newTask(s) + "/done", map[string]any{}, ""}
	}},
	"GET /task/{taskId}/histories": {perm: permAny, tasky: true, notFound: "task-033", build: func(f *isoFixture, _ *isoUser, s scope) isoReq {
		return isoReq{"GET", "/task/" + f.task[s] + "/histories", nil, ""}
	}},
	"PUT /tasks/bulk": {perm: permPlanner, tasky: true, bulk: true, hiddenCode: "task-033", build: func(f *isoFixture, _ *isoUser, s scope) isoReq {
		item := f.taskBody(s)
		item["_id"] = f.newTask(s)
		return isoReq{"PUT", "/tasks/bulk", map[string]any{"tasks": []any{item}}, ""}
	}},
	"PATCH /tasks/bulk": {perm: permPlanner, tasky: true, bulk: true, hiddenCode: "task-033", build: func(f *isoFixture, _ *isoUser, s scope) isoReq {
		return isoReq{"PATCH", "/tasks/bulk", map[string]any{"tasks": []any{map[string]any{"_id": f.newTask(s), "note": "patched"}}}, ""}
	}},
	"DELETE /tasks/bulk": {perm: permPlanner, tasky: true, bulk: true, hiddenCode: "task-033", build: func(f *isoFixture, _ *isoUser, s scope) isoReq {
		return isoReq{"DELETE", "/tasks/bulk", map[string]any{"tasks": []any{map[string]any{"_id": f.newTask(s)}}}, ""}
	}},
	"PUT /tasks/bulk/assign": {perm: permPlanner, tasky: true, bulk: true, hiddenCode: "task-033", build: func(f *isoFixture, _ *isoUser, s scope) isoReq {
		return isoReq{"PUT", "/tasks/bulk/assign", map[string]any{"tasks": []any{map[string]any{"_id": f.newTask(s), "assignee": []string{f.field.email}}}}, ""}
	}},
	"PUT /tasks/bulk/move": {perm: permPlanner, tasky: true, bulk: true, hiddenCode: "task-033", build: func(f *isoFixture, _ *isoUser, s scope) isoReq {
		return isoReq{"PUT", "/tasks/bulk/move", map[string]any{"tasks": []any{map[string]any{"_id": f.newTask(s), "hubId": f.hub1}}}, ""}
	}},
	// §6 workflows
	"GET /internal/workflows": {perm: permAny, build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"GET", "/internal/workflows?limit=-1", nil, f.workflowID}
	}},
	"POST /internal/workflows": {perm: permAdmin, ok: 201, build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"POST", "/internal/workflows", f.workflowBody(), ""}
	}},
	"GET /internal/workflows/search": {perm: permAny, build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"GET", "/internal/workflows/search?limit=100&q=" + f.marker, nil, f.workflowID}
	}},
	"GET /workflow/{id}": {perm: permAny, notFound: "workf-033", build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"GET", "/workflow/" + f.workflowID, nil, f.workflowID}
	}},
	"PUT /workflow/{id}": {perm: permAdmin, notFound: "workf-033", build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"PUT", "/workflow/" + f.newWorkflow(), map[string]any{"name": f.fresh("Job")}, ""}
	}},
	"DELETE /workflow/{id}": {perm: permAdmin, notFound: "workf-033", build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"DELETE", "/workflow/" + f.newWorkflow(), nil, ""}
	}},
	"GET /workflow/{id}/steps/{stepOrder}/field-mapping-data": {perm: permAny, notFound: "workf-033", build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"GET", "/workflow/" + f.workflowID + "/steps/1/field-mapping-data", nil, f.flowID}
	}},
	"POST /workflow/{id}/steps/{stepOrder}/validate-field-mappings": {perm: permAny, notFound: "workf-033", build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"POST", "/workflow/" + f.workflowID + "/steps/1/validate-field-mappings", map[string]any{"fieldMappings": []any{}}, ""}
	}},
	// §7 activities
	"POST /activity": {perm: permPlanner, tasky: true, hiddenStatus: 400, hiddenCode: "activ-032", ok: 201,
		build: func(f *isoFixture, _ *isoUser, s scope) isoReq {
			return isoReq{"POST", "/activity", f.activityBody(s), ""}
		}},
	"POST /internal/activity": {perm: permPlanner, tasky: true, hiddenStatus: 400, hiddenCode: "activ-032", ok: 201,
		build: func(f *isoFixture, _ *isoUser, s scope) isoReq {
			return isoReq{"POST", "/internal/activity", f.activityBody(s), ""}
		}},
	"POST /activities/bulk": {perm: permPlanner, tasky: true, bulk: true, hiddenCode: "activ-032", ok: 201,
		build: func(f *isoFixture, _ *isoUser, s scope) isoReq {
			return isoReq{"POST", "/activities/bulk", map[string]any{"activities": []any{f.activityBody(s)}}, ""}
		}},
	"GET /activities": {perm: permAny, build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"GET", "/activities?pageSize=1000", nil, f.activity[visible]}
	}},
	"GET /activities/workflow/{workflowId}": {perm: permAny, build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"GET", "/activities/workflow/" + f.workflowID + "?pageSize=1000", nil, f.activity[visible]}
	}},
	"GET /activity/{id}": {perm: permAny, tasky: true, notFound: "activ-033", build: func(f *isoFixture, _ *isoUser, s scope) isoReq {
		return isoReq{"GET", "/activity/" + f.activity[s] + "?expand=children", nil, f.activity[s]}
	}},
	"DELETE /activity/{id}": {perm: permPlanner, tasky: true, notFound: "activ-033", build: func(f *isoFixture, _ *isoUser, s scope) isoReq {
		return isoReq{"DELETE", "/activity/" + f.newActivity(s), nil, ""}
	}},
	// §8 events, §9 webhooks
	"GET /events": {perm: permUnrestricted, build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"GET", "/events?limit=1000", nil, f.task[hidden]}
	}},
	"POST /webhook": {perm: permUnrestricted, ok: 201, build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"POST", "/webhook", f.webhookBody(), ""}
	}},
	"GET /webhooks": {perm: permUnrestricted, build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"GET", "/webhooks", nil, f.webhookID}
	}},
	"GET /webhook/{id}": {perm: permUnrestricted, notFound: "webhk-033", build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"GET", "/webhook/" + f.webhookID, nil, f.webhookID}
	}},
	"PUT /webhook/{id}": {perm: permUnrestricted, notFound: "webhk-033", build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"PUT", "/webhook/" + f.newWebhook(), f.webhookBody(), ""}
	}},
	"DELETE /webhook/{id}": {perm: permUnrestricted, notFound: "webhk-033", build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"DELETE", "/webhook/" + f.newWebhook(), nil, ""}
	}},
	"GET /webhook/{id}/deliveries": {perm: permUnrestricted, notFound: "webhk-033", build: func(f *isoFixture, _ *isoUser, _ scope) isoReq {
		return isoReq{"GET", "/webhook/" + f.webhookID + "/deliveries", nil, ""}
	}},
}

// isoFixture is organization A, fully populated, and organization B, on one server.
type isoFixture struct {
	t      *testing.T
	e      *env
	marker string // in every name, email and value of A
	secret string // in every value of A's hidden tasks

	orgID, otherOrgID       string
	owner, other            *isoUser // A's Owner; B's Owner
	admin, planner, field   *isoUser
	restrictedPlanner       *isoUser
	restrictedAdmin         *isoUser
	worker                  *isoUser // a Field User who holds the hidden tasks
	hub1, hub2              string
	flowID, flowName, flow2 string
	workflowID, roleID      string
	webhookID               string
	task, activity          [2]string // by scope
	revoked, expired        string    // token secrets that no longer work
	disabled, deleted       string    // tokens of a disabled and of a deleted user

	ids       map[string]bool   // every id A's answers held
	hiddenIDs map[string]bool   // ids of the hidden tasks and activities
	ghosts    map[string]string // fresh id → the id of A it stands for
	n         int
}

var hexID = regexp.MustCompile(`[0-9a-f]{24}`)

// newIsolationEnv starts the real HTTP server, rate limit off (the tests send thousands of
// requests at once), on a fresh store of the test's engine.
func newIsolationEnv(t *testing.T) *env {
	t.Helper()
	st := testdb.Open(t, engineOf(t))
	svc := fieldwork.NewService(st)
	h := httpapi.NewServer(svc, slog.New(slog.NewTextHandler(io.Discard, nil)), "")
	h.SetRateLimit(0, 1)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{t: t, URL: srv.URL, Service: svc}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newIsoFixture builds organizations A and B through the API (and the store, for what the API
// cannot make: an expired token).
func newIsoFixture(t *testing.T) *isoFixture {
	t.Helper()
	e := newIsolationEnv(t)
	f := &isoFixture{t: t, e: e, marker: "zq" + randomHex(4), secret: "hq" + randomHex(4),
		ids: map[string]bool{}, hiddenIDs: map[string]bool{}, ghosts: map[string]string{}}
	ctx := context.Background()
	m := f.marker
	org, ownerA, tokA, err := e.Service.CreateOrganization(ctx, "Alpha "+m, "owner@"+m+".test", "")
	if err != nil {
		t.Fatal(err)
	}
	f.orgID, f.ids[org.ID] = org.ID, true
	f.owner = &isoUser{role: fieldwork.RoleOwner, id: ownerA.ID, email: ownerA.Email, token: tokA}
	orgB, ownerB, tokB, err := e.Service.CreateOrganization(ctx, "Bravo", "owner@bravo.test", "")
	if err != nil {
		t.Fatal(err)
	}
	f.otherOrgID = orgB.ID
	f.other = &isoUser{role: fieldwork.RoleOwner, id: ownerB.ID, email: ownerB.Email, token: tokB}
	f.a("PATCH", "/user", map[string]any{"name": "Owner " + m}, 200)

	f.hub1 = f.a("POST", "/hub", map[string]any{"name": "North " + m, "address": "Street " + m, "lat": 1, "lng": 2}, 200).obj("data")["_id"].(string)
	f.hub2 = f.a("POST", "/hub", map[string]any{"name": "South " + m, "address": "Road " + m, "lat": 3, "lng": 4}, 200).obj("data")["_id"].(string)
	f.flowName = "Visit" + m
	f.flowID = f.a("POST", "/flow", f.flowBody(f.flowName, "Note "+m), 201).obj("flow")["_id"].(string)
	f.flow2 = f.a("POST", "/flow", f.flowBody("Check"+m, "Note "+m), 201).obj("flow")["_id"].(string)
	f.workflowID = f.a("POST", "/internal/workflows", map[string]any{"name": "Job " + m,
		"steps": []any{map[string]any{"flowId": f.flowID}, map[string]any{"flowId": f.flow2}}}, 201).obj("data")["_id"].(string)
	for _, r := range f.a("GET", "/roles", nil, 200).Body["data"].([]any) {
		if r.(map[string]any)["name"] == fieldwork.RoleFieldUser {
			f.roleID = r.(map[string]any)["_id"].(string)
		}
	}

	f.admin = f.user("admin", fieldwork.RoleAdmin, false)
	f.planner = f.user("planner", fieldwork.RolePlanner, false)
	f.field = f.user("field", fieldwork.RoleFieldUser, false)
	f.worker = f.user("worker", fieldwork.RoleFieldUser, false)
	f.restrictedPlanner = f.user("hubplanner", fieldwork.RolePlanner, true)
	f.restrictedAdmin = f.user("hubadmin", fieldwork.RoleAdmin, true)

	for _, s := range []scope{visible, hidden} {
		f.task[s] = f.newTask(s)
		f.activity[s] = f.newActivity(s)
	}
	if slices.Contains(f.routes(), "POST "+httpapi.Prefix+"/webhook") {
		f.webhookID = f.newWebhook()
	}

	// Tokens that must not work: revoked by their owner, expired, of a disabled user, of a
	// deleted user.
	tok := f.do(f.planner, "POST", "/token", map[string]any{"name": "old " + m}, 200).obj("data")
	f.revoked = tok["token"].(string)
	f.do(f.planner, "DELETE", "/token/"+tok["_id"].(string), nil, 200)
	now := time.Now()
	f.expired = fieldwork.NewTokenSecret()
	expired := &fieldwork.Token{ID: fieldwork.NewID(now), OrganizationID: f.orgID, UserID: f.planner.id, Name: "expired " + m,
		Hash: fieldwork.HashToken(f.expired), ExpiresAt: fieldwork.NewMicroTime(now.Add(-time.Minute)), CreatedTime: fieldwork.NewMicroTime(now.Add(-time.Hour))}
	if err := e.Service.Store.Update(ctx, f.orgID, func(tx fieldwork.Tx) error { return tx.CreateToken(ctx, expired) }); err != nil {
		t.Fatal(err)
	}
	f.ids[expired.ID] = true
	gone := f.user("disabled", fieldwork.RoleAdmin, false)
	f.a("PATCH", "/user/"+gone.id, map[string]any{"status": "disabled"}, 200)
	f.disabled = gone.token
	gone = f.user("deleted", fieldwork.RoleAdmin, false)
	f.a("DELETE", "/user/"+gone.id, nil, 200)
	f.deleted = gone.token

	// Organization B has objects of its own.
	hubB := f.do(f.other, "POST", "/hub", map[string]any{"name": "B hub", "address": "b", "lat": 1, "lng": 1}, 200).obj("data")["_id"]
	f.do(f.other, "POST", "/flow", f.flowBody("B flow", "Note"), 201)
	f.do(f.other, "POST", "/task", map[string]any{"flow": "B flow", "hubId": hubB, "note": "b"}, 201)
	return f
}

// routes returns the server's /api/v3 routes, the OpenAPI document's own excepted, as
// "METHOD /path" without the prefix.
func (f *isoFixture) routes() []string {
	var out []string
	for _, r := range httpapi.NewServer(fieldwork.NewService(nil), slog.New(slog.DiscardHandler), "").Routes() {
		method, path, _ := strings.Cut(r, " ")
		if strings.HasPrefix(path, httpapi.Prefix+"/") && !strings.HasPrefix(path, httpapi.Prefix+"/openapi") {
			out = append(out, method+" "+path)
		}
	}
	return out
}

// do sends a request as u and checks its status (0: any); every id of an answer to one of A's
// users is A's.
func (f *isoFixture) do(u *isoUser, method, path string, body any, status int) resp {
	f.t.Helper()
	r := f.e.do(method, path, u.token, body)
	if status != 0 && r.Status != status {
		f.t.Fatalf("%s %s as %s: status %d, want %d: %s", method, path, u.email, r.Status, status, r.Raw)
	}
	if u != f.other {
		for _, id := range hexID.FindAllString(string(r.Raw), -1) {
			f.ids[id] = true
		}
	}
	return r
}

// a sends a request as A's Owner.
func (f *isoFixture) a(method, path string, body any, status int) resp {
	f.t.Helper()
	return f.do(f.owner, method, path, body, status)
}

func (f *isoFixture) fresh(prefix string) string {
	f.n++
	return fmt.Sprintf("%s%d", prefix, f.n)
}

// user creates a user of A with a role (restricted: to hub 1) and a token.
func (f *isoFixture) user(name, role string, restricted bool) *isoUser {
	f.t.Helper()
	email := name + "@" + f.marker + ".test"
	body := map[string]any{"name": name + " " + f.marker, "email": email, "role": role}
	if restricted {
		body["hubId"] = []string{f.hub1}
	}
	id := f.a("POST", "/user", body, 201).obj("data")["_id"].(string)
	tok := f.a("POST", "/user/"+id+"/token", map[string]any{"name": "t " + f.marker}, 200).obj("data")["token"].(string)
	return &isoUser{role: role, restricted: restricted, id: id, email: email, token: tok}
}

func (f *isoFixture) newUser() string {
	f.t.Helper()
	n := f.fresh("user")
	return f.a("POST", "/user", map[string]any{"name": n + " " + f.marker, "email": n + "@" + f.marker + ".test", "role": "Field User"}, 201).obj("data")["_id"].(string)
}

// newToken makes a token of u, by u, and returns its id.
func (f *isoFixture) newToken(u *isoUser) string {
	f.t.Helper()
	return f.do(u, "POST", "/token", map[string]any{"name": f.fresh("token")}, 200).obj("data")["_id"].(string)
}

func (f *isoFixture) hubBody() map[string]any {
	n := f.fresh("hub")
	return map[string]any{"name": n, "address": "Somewhere 1", "lat": 1.5, "lng": 2.5}
}

func (f *isoFixture) newHub() string {
	f.t.Helper()
	return f.a("POST", "/hub", map[string]any{"name": f.fresh("Hub " + f.marker), "address": "a", "lat": 1, "lng": 1}, 200).obj("data")["_id"].(string)
}

func (f *isoFixture) flowBody(name, title string) map[string]any {
	return map[string]any{"name": name, "pages": []any{map[string]any{"id": "page0", "components": []any{
		map[string]any{"component": "input", "id": "note", "title": title, "showAs": "title"}}}}}
}

func (f *isoFixture) newFlow() string {
	f.t.Helper()
	return f.a("POST", "/flow", f.flowBody(f.fresh("Flow"+f.marker), "Note "+f.marker), 201).obj("flow")["_id"].(string)
}

func (f *isoFixture) workflowBody() map[string]any {
	return map[string]any{"name": f.fresh("Job"), "steps": []any{map[string]any{"flowId": f.flowID}}}
}

func (f *isoFixture) newWorkflow() string {
	f.t.Helper()
	body := f.workflowBody()
	body["name"] = f.fresh("Job " + f.marker)
	return f.a("POST", "/internal/workflows", body, 201).obj("data")["_id"].(string)
}

// hub and assignee of a scope's tasks.
func (f *isoFixture) hubOf(s scope) string {
	return [...]string{f.hub1, f.hub2}[s]
}

func (f *isoFixture) assigneeOf(s scope) string {
	return [...]string{f.field.email, f.worker.email}[s]
}

func (f *isoFixture) valueOf(s scope) string {
	return [...]string{"Note " + f.marker, "Note " + f.secret}[s]
}

func (f *isoFixture) taskBody(s scope) map[string]any {
	return map[string]any{"flow": f.flowName, "hubId": f.hubOf(s), "note": f.valueOf(s), "assignee": []string{f.assigneeOf(s)}}
}

// newTask creates a task of the scope as A's Owner.
func (f *isoFixture) newTask(s scope) string {
	f.t.Helper()
	id := f.a("POST", "/task", f.taskBody(s), 201).obj("task")["_id"].(string)
	if s == hidden {
		f.hiddenIDs[id] = true
	}
	return id
}

func (f *isoFixture) activityBody(s scope) map[string]any {
	step := func() map[string]any {
		return map[string]any{"note": f.valueOf(s), "assignee": []string{f.assigneeOf(s)}}
	}
	return map[string]any{"workflowId": f.workflowID, "hubId": f.hubOf(s), "tasks": []any{step(), step()}}
}

// newActivity creates an activity of the scope as A's Owner.
func (f *isoFixture) newActivity(s scope) string {
	f.t.Helper()
	m := f.a("POST", "/activity", f.activityBody(s), 201).obj("data")
	if s == hidden {
		f.hiddenIDs[m["_id"].(string)] = true
		for _, id := range m["subId"].([]any) {
			f.hiddenIDs[id.(string)] = true
		}
	}
	return m["_id"].(string)
}

func (f *isoFixture) webhookBody() map[string]any {
	return map[string]any{"url": "http://127.0.0.1:9/hooks/" + f.fresh("h"), "events": []string{"task.created"}}
}

func (f *isoFixture) newWebhook() string {
	f.t.Helper()
	body := f.webhookBody()
	body["url"] = "http://127.0.0.1:9/" + f.marker + "/" + f.fresh("h")
	body["secret"] = "s" + f.marker
	return f.a("POST", "/webhook", body, 201).obj("data")["_id"].(string)
}

// leaks returns what of A an answer shows that its request did not carry: the markers and
// the ids (from ids) found in the body.
func leaks(req isoReq, raw []byte, markers []string, ids map[string]bool) []string {
	sent, _ := json.Marshal(req.body)
	asked := strings.ToLower(req.path + " " + string(sent))
	body := strings.ToLower(string(raw))
	var out []string
	for _, m := range markers {
		if strings.Contains(body, m) && !strings.Contains(asked, m) {
			out = append(out, m)
		}
	}
	for _, id := range hexID.FindAllString(body, -1) {
		if ids[id] && !strings.Contains(asked, id) && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// concretePath fills a route's path parameters with well-formed values that name nothing.
func concretePath(path string) string {
	return regexp.MustCompile(`\{[^}]+\}`).ReplaceAllStringFunc(path, func(p string) string {
		switch p {
		case "{stepOrder}":
			return "0"
		case "{email}":
			return "nobody@nowhere.test"
		case "{flowName}":
			return "Nothing"
		}
		return fieldwork.NewID(time.Now())
	})
}

// TestIsolationUnauthenticated: every route of the API answers 401 auth-001 to a request
// without a token, with an unknown, revoked or expired token, and with the token of a disabled
// or deleted user (SPEC §1.6), in either header; the document and the operational routes need
// none and show nothing of any organization.
func TestIsolationUnauthenticated(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		f := newIsoFixture(t)
		creds := []struct{ name, header, token string }{
			{"no token", "", ""},
			{"empty bearer", "Authorization", "Bearer "},
			{"unknown token", "Authorization", "Bearer " + fieldwork.NewTokenSecret()},
			{"other scheme", "Authorization", "Basic " + f.owner.token},
			{"revoked token", "Authorization", "Bearer " + f.revoked},
			{"revoked x-api-key", "x-api-key", f.revoked},
			{"expired token", "Authorization", "Bearer " + f.expired},
			{"expired x-api-key", "x-api-key", f.expired},
			{"disabled user", "Authorization", "Bearer " + f.disabled},
			{"deleted user", "x-api-key", f.deleted},
		}
		for _, route := range f.routes() {
			method, path, _ := strings.Cut(route, " ")
			path = concretePath(strings.TrimPrefix(path, httpapi.Prefix))
			for _, c := range creds {
				var headers []string
				if c.header != "" {
					headers = []string{c.header, c.token}
				}
				r := f.e.do(method, path, "", "{}", headers...)
				if r.Status != http.StatusUnauthorized || r.str("failedCode") != "auth-001" || r.str("message") != fieldwork.MsgUnauthorized {
					t.Errorf("%s %s, %s: %d %s, want 401 auth-001 %q", method, path, c.name, r.Status, r.Raw, fieldwork.MsgUnauthorized)
					continue
				}
				checkErrorEnvelope(t, r)
			}
		}
		// Open routes: no token needed, nothing of an organization shown.
		for _, path := range []string{"/healthz", "/readyz", "/metrics", httpapi.Prefix + "/openapi.json", httpapi.Prefix + "/openapi-3.0.yaml"} {
			res, err := http.Get(f.e.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Errorf("GET %s without a token: %d", path, res.StatusCode)
			}
			if l := leaks(isoReq{path: path}, raw, []string{f.marker, f.secret}, f.ids); len(l) > 0 {
				t.Errorf("GET %s shows %v", path, l)
			}
		}
	})
}

// TestIsolationOtherOrganization: organization B's Owner aims every route at A's real objects
// (their ids in the path and the body, A's names where the path takes a name). Each answer
// must be exactly the answer to the same request naming objects that do not exist (SPEC
// §1.6: other organizations' objects look missing), a 404 of the resource wherever the path
// names an object; no answer may show an id, name, email or value of A; and A must be
// unchanged afterwards.
func TestIsolationOtherOrganization(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		f := newIsoFixture(t)
		type attempt struct {
			route string
			rc    routeCase
			req   isoReq
		}
		var attempts []attempt
		for _, route := range f.routes() {
			method, path, _ := strings.Cut(route, " ")
			key := method + " " + strings.TrimPrefix(path, httpapi.Prefix)
			rc, ok := isolationCases[key]
			if !ok {
				t.Errorf("no isolation case for %s", key)
				continue
			}
			attempts = append(attempts, attempt{key, rc, rc.build(f, f.owner, visible)})
		}
		// A's ids as filters and cursors of the lists.
		for _, path := range []string{
			"/tasks?lazyLoad=1&cursor=" + f.task[visible], "/tasks?parentId=" + f.activity[visible], "/tasks?hubId=" + f.hub1,
			"/tasks?flowId=" + f.flowID, "/tasks?workflowId=" + f.workflowID, "/tasks?assignee=" + f.field.email,
			"/activities?workflowId=" + f.workflowID + "&hubId=" + f.hub1, "/users?hubId=" + f.hub1, "/users?roleId=" + f.roleID,
			"/users?email=" + f.field.email, "/internal/workflows/search?q=" + f.marker + "&createdBy=" + f.owner.email,
			"/flows?name=" + f.flowName, "/hubs?q=" + f.marker,
		} {
			attempts = append(attempts, attempt{"GET " + path, routeCase{}, isoReq{"GET", path, nil, ""}})
		}
		before := f.snapshot()
		markers := []string{f.marker, f.secret}
		stored := map[string]bool{} // A's ids that B stored in its own objects (none should be)
		for _, at := range attempts {
			real := f.e.do(at.req.method, at.req.path, f.other.token, at.req.body)
			if l := leaks(at.req, real.Raw, markers, f.ids); len(l) > 0 {
				t.Errorf("%s %s as B shows A's %v: %.500s", at.req.method, at.req.path, l, real.Raw)
			}
			if pathNamesObject(at.route) && (real.Status != http.StatusNotFound || real.str("failedCode") != at.rc.notFound) {
				t.Errorf("%s %s as B: %d %s, want 404 %s", at.req.method, at.req.path, real.Status, real.Raw, at.rc.notFound)
			}
			// A request naming nothing of A is its own ghost (and sending it twice could differ).
			if g := f.ghost(at.req); g.path != at.req.path || !jsonEqual(g.body, at.req.body) {
				ghost := f.e.do(g.method, g.path, f.other.token, g.body)
				if got, want := f.answerShape(real), f.answerShape(ghost); got != want {
					t.Errorf("%s %s as B: A's objects and missing ones answer differently:\n A's: %s\nnone: %s", at.req.method, at.req.path, got, want)
				}
			}
			if real.Status < 300 && at.req.method != "GET" {
				for _, id := range hexID.FindAllString(at.req.path+fmt.Sprint(at.req.body), -1) {
					if f.ids[id] && !at.rc.bulk {
						stored[id] = true
					}
				}
			}
		}
		if len(stored) > 0 {
			t.Errorf("B's writes naming A's ids %v succeeded", stored)
		}
		// B's view of everything it may list: none of A.
		for _, path := range []string{"/tasks?limit=1000", "/activities?pageSize=1000", "/hubs?limit=1000", "/flows?limit=1000",
			"/internal/workflows?limit=-1", "/users?limit=1000", "/events?limit=1000", "/roles", "/tokens", "/user"} {
			r := f.e.do("GET", path, f.other.token, nil)
			if l := leaks(isoReq{path: path}, r.Raw, markers, f.ids); len(l) > 0 {
				t.Errorf("GET %s as B shows A's %v", path, l)
			}
		}
		if after := f.snapshot(); after != before {
			t.Errorf("B's requests changed A's data")
		}
	})
}

// pathNamesObject reports whether a route's path names an object by id or name (the step
// order aside); GET /activities/workflow/{workflowId} is a filter (an unknown id is an empty
// list, SPEC §7.5).
func pathNamesObject(route string) bool {
	return strings.Contains(route, "{") && !strings.HasPrefix(route, "GET /activities/workflow/")
}

// ghost returns req with every id of A replaced by a fresh id and A's marker by another, so it
// names objects that exist nowhere.
func (f *isoFixture) ghost(req isoReq) isoReq {
	b, _ := json.Marshal(req.body)
	replace := func(s string) string {
		s = hexID.ReplaceAllStringFunc(s, func(id string) string {
			if f.ids[id] {
				return f.ghostID(id)
			}
			return id
		})
		return strings.ReplaceAll(s, f.marker, f.ghostMarker())
	}
	out := isoReq{method: req.method, path: replace(req.path)}
	if req.body != nil {
		var body any
		_ = json.Unmarshal([]byte(replace(string(b))), &body)
		out.body = body
	}
	return out
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// ghostID maps an id of A to a fresh id, the same every time.
func (f *isoFixture) ghostID(id string) string {
	for g, real := range f.ghosts {
		if real == id {
			return g
		}
	}
	g := fieldwork.NewID(time.Now())
	f.ghosts[g] = id
	return g
}

func (f *isoFixture) ghostMarker() string { return "zz" + f.marker[2:] }

// answerShape renders what must not depend on whether the objects a request names exist in
// another organization: the status, failedCode, message and errors, and each bulk item's,
// with ghost ids and names mapped back to A's (texts may quote what the request named).
func (f *isoFixture) answerShape(r resp) string {
	s := fmt.Sprintf("%d %s %q %v", r.Status, r.str("failedCode"), r.str("message"), r.Body["errors"])
	for _, key := range []string{"tasks", "activities"} {
		if items, ok := r.Body[key].([]any); ok && r.Body["success"] != nil {
			for _, it := range items {
				m := it.(map[string]any)
				s += fmt.Sprintf(" [%v %v %q %v]", m["status"], m["failedCode"], m["message"], m["errors"])
			}
		}
	}
	s = hexID.ReplaceAllStringFunc(s, func(id string) string {
		if real, ok := f.ghosts[id]; ok {
			return real
		}
		return id
	})
	return strings.ReplaceAll(s, f.ghostMarker(), f.marker)
}

// snapshot renders A as its Owner sees it.
func (f *isoFixture) snapshot() string {
	var b strings.Builder
	for _, path := range []string{"/tasks?limit=1000&sortBy=createdTime", "/activities?pageSize=1000", "/hubs?limit=1000",
		"/flows?limit=1000", "/internal/workflows?limit=-1", "/users?limit=1000", "/events?limit=1000", "/roles", "/tokens", "/user"} {
		b.Write(f.a("GET", path, nil, 200).Raw)
	}
	if f.webhookID != "" {
		b.Write(f.a("GET", "/webhooks", nil, 200).Raw)
	}
	return b.String()
}

// TestIsolationRoles calls every route as each role of SPEC §1.7 — Owner, Admin, Planner,
// Field User, and a Planner and an Admin restricted to one hub — with a valid request, aimed at
// a task every role may see and at one hidden from the Field User (another worker's) and from
// the restricted users (another hub). A role without the permission gets 403 auth-003
// whatever it aims at; a task the caller may not see is a 404 (or, named in a body, an
// unknown reference); everything else succeeds; and no answer to the Field User or a
// restricted user shows a hidden task.
func TestIsolationRoles(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		f := newIsoFixture(t)
		users := []*isoUser{f.owner, f.admin, f.planner, f.field, f.restrictedPlanner, f.restrictedAdmin}
		for _, route := range f.routes() {
			method, path, _ := strings.Cut(route, " ")
			key := method + " " + strings.TrimPrefix(path, httpapi.Prefix)
			rc, ok := isolationCases[key]
			if !ok {
				t.Errorf("no isolation case for %s: add one to isolationCases", key)
				continue
			}
			scopes := []scope{visible}
			if rc.tasky {
				scopes = append(scopes, hidden)
			}
			for _, u := range users {
				for _, s := range scopes {
					req := rc.build(f, u, s)
					r := f.e.do(req.method, req.path, u.token, req.body)
					name := fmt.Sprintf("%s %s as %s (restricted %v), %s task", req.method, req.path, u.role, u.restricted, s)
					f.checkRole(t, name, rc, u, s, req, r)
					if !u.seesAll() {
						if l := leaks(req, r.Raw, []string{f.secret}, f.hiddenIDs); len(l) > 0 {
							t.Errorf("%s: shows hidden %v: %.500s", name, l, r.Raw)
						}
					}
				}
			}
		}
	})
}

// checkRole checks one answer against SPEC §1.7.
func (f *isoFixture) checkRole(t *testing.T, name string, rc routeCase, u *isoUser, s scope, req isoReq, r resp) {
	t.Helper()
	ok := rc.ok
	if ok == 0 {
		ok = http.StatusOK
	}
	canSee := s == visible || u.seesAll()
	if rc.perm == permDoneOrAssigned && u.role == fieldwork.RoleFieldUser {
		canSee = s == visible // their own task
	}
	want, wantCode := ok, ""
	switch {
	case !u.may(rc.perm):
		want, wantCode = http.StatusForbidden, "auth-003"
	case rc.tasky && !canSee && !rc.bulk:
		want, wantCode = http.StatusNotFound, rc.notFound
		if rc.hiddenStatus != 0 {
			want, wantCode = rc.hiddenStatus, rc.hiddenCode
		}
	}
	if r.Status != want || r.str("failedCode") != wantCode {
		t.Errorf("%s: %d %q, want %d %q: %.500s", name, r.Status, r.str("failedCode"), want, wantCode, r.Raw)
		return
	}
	if want >= 400 {
		checkErrorEnvelope(t, r)
		if want == http.StatusForbidden && r.str("message") != fieldwork.MsgForbidden {
			t.Errorf("%s: message %q", name, r.str("message"))
		}
		return
	}
	if rc.bulk {
		items, _ := r.Body["tasks"].([]any)
		if req.path == "/activities/bulk" {
			items, _ = r.Body["activities"].([]any)
		}
		if len(items) != 1 {
			t.Errorf("%s: %d items: %s", name, len(items), r.Raw)
			return
		}
		item := items[0].(map[string]any)
		wantItem, wantCode := true, ""
		if !canSee {
			wantItem, wantCode = false, rc.hiddenCode
		}
		if gotCode, _ := item["failedCode"].(string); item["status"] != wantItem || gotCode != wantCode {
			t.Errorf("%s: item %v, want status %v failedCode %q", name, item, wantItem, wantCode)
		}
	}
	if req.wantIn != "" && canSee && !strings.Contains(string(r.Raw), req.wantIn) {
		t.Errorf("%s: answer lacks %s: %.500s", name, req.wantIn, r.Raw)
	}
}
