package httpapi_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fieldwork-dev/fieldwork"
)

// wfFixture is an API with the Pickup, Delivery and Survey flows.
type wfFixture struct {
	*env
	pickup, delivery, survey string // flow ids
}

func newWfFixture(t *testing.T) *wfFixture {
	e := newEnv(t)
	return &wfFixture{
		env: e,
		pickup: e.seedFlow(`{"name":"Pickup","pages":[
			{"id":"page0","components":[
				{"component":"input","id":"customerName","title":"Customer","required":true},
				{"component":"input","id":"weight","title":"Weight","type":"Numeric"},
				{"component":"select","id":"size","title":"Size","options":["S","M","L"]},
				{"component":"view","id":"note","title":"Note"}]},
			{"id":"page1","components":[{"component":"signature","id":"proof","title":"Proof","required":true}]}]}`).ID,
		delivery: e.seedFlow(`{"name":"Delivery","pages":[
			{"id":"page0","components":[
				{"component":"input","id":"recipientName","title":"Recipient","required":true},
				{"component":"input","id":"amount","title":"Amount","type":"Numeric"},
				{"component":"select","id":"size","title":"Size","options":["S","M","L"]},
				{"component":"view","id":"info","title":"Info"}]},
			{"id":"page1","components":[{"component":"photo","id":"pod","title":"Proof of delivery","required":true}]}]}`).ID,
		survey: e.seedFlow(`{"name":"Survey","pages":[{"id":"page0","components":[
			{"component":"input","id":"rating","title":"Rating","type":"Numeric"}]}]}`).ID,
	}
}

// body is a valid two-step workflow body: Pickup, then Delivery, whose recipientName copies
// the customer's name and whose completion maps to the custom status Delivered.
func (fx *wfFixture) body(name string) map[string]any {
	return map[string]any{
		"name":           name,
		"customStatuses": []any{map[string]any{"name": "Delivered"}},
		"steps": []any{
			map[string]any{"flowId": fx.pickup},
			map[string]any{"flowId": fx.delivery, "statusMapping": "Delivered", "fieldMappings": []any{
				map[string]any{"targetField": "recipientName", "sourceType": "step", "sourceStep": 0, "sourceField": "$Pickup.customerName"}}},
		},
	}
}

// with returns a copy of the body with key set to v.
func wfWith(b map[string]any, key string, v any) map[string]any {
	out := map[string]any{}
	for k, x := range b {
		out[k] = x
	}
	out[key] = v
	return out
}

// steps returns a steps value with one step per flow id.
func wfSteps(flowIDs ...string) []any {
	var out []any
	for _, id := range flowIDs {
		out = append(out, map[string]any{"flowId": id})
	}
	return out
}

// create creates a workflow through the API and returns its data.
func (fx *wfFixture) create(t *testing.T, body any) map[string]any {
	t.Helper()
	return fx.must(fx.owner("POST", "/internal/workflows", body), 201).obj("data")
}

// addMasters stores n activity masters of the workflow straight in the store (the activity
// endpoints are not needed to count usage).
func (fx *wfFixture) addMasters(t *testing.T, workflowID string, n int) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	err := fx.Service.Store.Update(ctx, fx.OrgID, func(tx fieldwork.Tx) error {
		for range n {
			task := &fieldwork.Task{ID: fieldwork.NewID(now), OrganizationID: fx.OrgID, Flow: "ActivityWorkflow",
				Status: fieldwork.StatusUnassigned, TaskType: fieldwork.TaskTypeActivityMaster, WorkflowID: &workflowID,
				Assignee: []string{}, CreatedFrom: "API", CreatedBy: "owner@acme.test", UpdatedBy: "owner@acme.test",
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
}

// wfKeys returns the sorted keys of an answer.
func wfKeys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func wfList(v any) []any { l, _ := v.([]any); return l }

func TestWorkflowCreate(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		fx := newWfFixture(t)
		_, plannerTok := fx.seedUser("planner@acme.test", fieldwork.RolePlanner)
		_, fieldTok := fx.seedUser("field@acme.test", fieldwork.RoleFieldUser)
		_, adminTok := fx.seedUser("admin@acme.test", fieldwork.RoleAdmin)
		active, _ := fx.seedUser("driver@acme.test", fieldwork.RoleFieldUser)
		gone, _ := fx.seedUser("gone@acme.test", fieldwork.RoleFieldUser)
		ctx := context.Background()
		if err := fx.Service.Store.Update(ctx, fx.OrgID, func(tx fieldwork.Tx) error {
			gone.Status = fieldwork.UserDisabled
			return tx.UpdateUser(ctx, gone)
		}); err != nil {
			t.Fatal(err)
		}
		// Ten flows for the step-count cases, and one of another organization.
		var ten []string
		for i := range 11 {
			ten = append(ten, fx.seedFlow(fmt.Sprintf(`{"name":"Step %d","pages":[{"id":"page0","components":[]}]}`, i)).ID)
		}
		_, _, otherTok, err := fx.Service.CreateOrganization(ctx, "Other", "owner@other.test", "")
		if err != nil {
			t.Fatal(err)
		}
		foreign := fx.must(fx.do("POST", "/flow", otherTok, map[string]any{"name": "Theirs", "pages": []any{map[string]any{"id": "page0", "components": []any{}}}}), 201).obj("flow")["_id"].(string)

		// The happy path and its answer.
		r := fx.must(fx.owner("POST", "/internal/workflows", fx.body("  Pickup to Delivery ")), 201)
		if got := wfKeys(r.Body); !slices.Equal(got, []string{"code", "data", "message", "status"}) || r.str("message") != "Workflow created successfully" ||
			r.Body["code"] != 201.0 || r.Header.Get("ETag") != `"1"` {
			t.Fatalf("answer: %s", r.Raw)
		}
		w := r.obj("data")
		steps := wfList(w["steps"])
		s1 := steps[1].(map[string]any)
		m := wfList(s1["fieldMappings"])[0].(map[string]any)
		if w["name"] != "Pickup to Delivery" || w["version"] != 1.0 || w["sequential"] != true || w["createdBy"] != "owner@acme.test" ||
			w["updatedBy"] != "owner@acme.test" || w["organizationId"] != fx.OrgID || !strings.HasSuffix(w["createdTime"].(string), "+00:00") ||
			len(steps) != 2 || s1["order"] != 1.0 || s1["flowName"] != "Delivery" || s1["assigneeId"] != nil || s1["statusMapping"] != "Delivered" ||
			len(wfList(s1["fieldSchema"])) != 5 || wfList(s1["fieldSchema"])[4].(map[string]any)["page"] != "page1" ||
			m["sourceStep"] != 0.0 || m["sourceStepId"] != fx.pickup || m["sourceField"] != "customerName" || m["sourceType"] != "step" {
			t.Fatalf("workflow: %s", r.Raw)
		}
		wantStatuses := `[{"isDefault":true,"name":"Unassigned"},{"isDefault":true,"name":"Ongoing"},{"isDefault":true,"name":"Done"},{"isDefault":false,"name":"Delivered"}]`
		if got := fmt.Sprint(w["customStatuses"]); got != "[map[isDefault:true name:Unassigned] map[isDefault:true name:Ongoing] map[isDefault:true name:Done] map[isDefault:false name:Delivered]]" {
			t.Fatalf("customStatuses = %v, want %s", got, wantStatuses)
		}

		// Defaults and ignored keys.
		d := fx.create(t, map[string]any{"name": "Minimal", "steps": []any{map[string]any{"flowId": fx.survey, "order": 7, "flowName": "x",
			"fieldSchema": []any{}, "assigneeId": ""}}, "_id": "x", "version": 9, "createdBy": "x@y.z", "sequential": false})
		ds := wfList(d["steps"])[0].(map[string]any)
		if len(wfList(d["customStatuses"])) != 3 || d["sequential"] != false || d["version"] != 1.0 || d["_id"] == "x" ||
			ds["order"] != 0.0 || ds["flowName"] != "Survey" || ds["assigneeId"] != nil || len(wfList(ds["fieldMappings"])) != 0 ||
			len(wfList(ds["fieldSchema"])) != 1 {
			t.Fatalf("minimal workflow: %v", d)
		}
		if a := fx.create(t, wfWith(fx.body("Assigned"), "steps", []any{map[string]any{"flowId": fx.pickup, "assigneeId": active.ID}})); wfList(a["steps"])[0].(map[string]any)["assigneeId"] != active.ID {
			t.Fatalf("assigneeId not kept: %v", a)
		}

		b := fx.body
		step := func(extra map[string]any) []any {
			s := map[string]any{"flowId": fx.delivery}
			for k, v := range extra {
				s[k] = v
			}
			return []any{map[string]any{"flowId": fx.pickup}, s}
		}
		mapping := func(mm map[string]any) []any { return step(map[string]any{"fieldMappings": []any{mm}}) }
		var manyStatuses []any
		for i := range 21 {
			manyStatuses = append(manyStatuses, map[string]any{"name": fmt.Sprintf("S%d", i)})
		}
		fx.run(t, []apiCase{
			{"ten steps", "POST", "/internal/workflows", "", wfWith(b("Ten"), "steps", wfSteps(ten[:10]...)), nil, 201, ""},
			{"eleven steps", "POST", "/internal/workflows", "", wfWith(b("Eleven"), "steps", wfSteps(ten...)), nil, 400, "workf-040"},
			{"no step", "POST", "/internal/workflows", "", wfWith(b("None"), "steps", []any{}), nil, 400, "workf-040"},
			{"steps missing", "POST", "/internal/workflows", "", map[string]any{"name": "None"}, nil, 400, "workf-040"},
			{"steps null", "POST", "/internal/workflows", "", map[string]any{"name": "None", "steps": nil}, nil, 400, "workf-040"},
			{"steps not an array", "POST", "/internal/workflows", "", wfWith(b("Bad one"), "steps", "a"), nil, 400, "workf-030"},
			{"step not an object", "POST", "/internal/workflows", "", wfWith(b("Bad one"), "steps", []any{1}), nil, 400, "workf-030"},
			{"step unknown key", "POST", "/internal/workflows", "", wfWith(b("Bad one"), "steps", step(map[string]any{"color": "red"})), nil, 400, "workf-030"},
			{"name missing", "POST", "/internal/workflows", "", map[string]any{"steps": wfSteps(fx.pickup)}, nil, 400, "workf-003"},
			{"name too short", "POST", "/internal/workflows", "", b(" x "), nil, 400, "workf-003"},
			{"name too long", "POST", "/internal/workflows", "", b(strings.Repeat("n", 101)), nil, 400, "workf-003"},
			{"name control character", "POST", "/internal/workflows", "", b("a\u0007b"), nil, 400, "workf-003"},
			{"name not a string", "POST", "/internal/workflows", "", wfWith(b(""), "name", 12), nil, 400, "workf-003"},
			{"duplicate name, other case", "POST", "/internal/workflows", "", b("PICKUP TO DELIVERY"), nil, 400, "workf-031"},
			{"flowId missing", "POST", "/internal/workflows", "", wfWith(b("Bad one"), "steps", []any{map[string]any{}}), nil, 400, "workf-046"},
			{"flowId unknown", "POST", "/internal/workflows", "", wfWith(b("Bad one"), "steps", wfSteps("000000000000000000000000")), nil, 400, "workf-046"},
			{"flowId malformed", "POST", "/internal/workflows", "", wfWith(b("Bad one"), "steps", wfSteps("nope")), nil, 400, "workf-046"},
			{"flowId of another organization", "POST", "/internal/workflows", "", wfWith(b("Bad one"), "steps", wfSteps(foreign)), nil, 400, "workf-046"},
			{"flowId not a string", "POST", "/internal/workflows", "", wfWith(b("Bad one"), "steps", []any{map[string]any{"flowId": 5}}), nil, 400, "workf-046"},
			{"flow shared by two steps", "POST", "/internal/workflows", "", wfWith(b("Bad one"), "steps", wfSteps(fx.pickup, fx.delivery, fx.pickup)), nil, 400, "workf-002"},
			{"assignee unknown", "POST", "/internal/workflows", "", wfWith(b("Bad one"), "steps", step(map[string]any{"assigneeId": "000000000000000000000000"})), nil, 400, "workf-030"},
			{"assignee disabled", "POST", "/internal/workflows", "", wfWith(b("Bad one"), "steps", step(map[string]any{"assigneeId": gone.ID})), nil, 400, "workf-030"},
			{"assignee not a string", "POST", "/internal/workflows", "", wfWith(b("Bad one"), "steps", step(map[string]any{"assigneeId": 1})), nil, 400, "workf-030"},
			{"assignee null", "POST", "/internal/workflows", "", wfWith(b("Null assignee"), "steps", step(map[string]any{"assigneeId": nil})), nil, 201, ""},
			{"status mapping unknown", "POST", "/internal/workflows", "", wfWith(b("Bad one"), "steps", step(map[string]any{"statusMapping": "Lost"})), nil, 400, "workf-049"},
			{"status mapping not a string", "POST", "/internal/workflows", "", wfWith(b("Bad one"), "steps", step(map[string]any{"statusMapping": true})), nil, 400, "workf-049"},
			{"status mapping a default", "POST", "/internal/workflows", "", wfWith(b("Maps Done"), "steps", step(map[string]any{"statusMapping": "done"})), nil, 201, ""},
			{"mapping bad source field", "POST", "/internal/workflows", "", wfWith(b("Bad one"), "steps", mapping(map[string]any{"targetField": "amount", "sourceType": "step", "sourceStep": 0, "sourceField": "size"})), nil, 400, "workf-047"},
			{"mapping bad literal", "POST", "/internal/workflows", "", wfWith(b("Bad one"), "steps", mapping(map[string]any{"targetField": "amount", "sourceType": "manual", "sourceField": "x"})), nil, 400, "workf-047"},
			{"mapping on the first step", "POST", "/internal/workflows", "", wfWith(b("Bad one"), "steps", []any{map[string]any{"flowId": fx.pickup, "fieldMappings": []any{map[string]any{"targetField": "customerName", "sourceType": "step", "sourceStep": 0, "sourceField": "size"}}}}), nil, 400, "workf-047"},
			{"mapping wrong type", "POST", "/internal/workflows", "", wfWith(b("Bad one"), "steps", mapping(map[string]any{"targetField": "amount", "sourceType": "step", "sourceStep": "0", "sourceField": "weight"})), nil, 400, "workf-047"},
			{"mapping unknown key", "POST", "/internal/workflows", "", wfWith(b("Bad one"), "steps", mapping(map[string]any{"targetField": "amount", "sourceType": "manual", "sourceField": "1", "x": 1})), nil, 400, "workf-047"},
			{"mappings not an array", "POST", "/internal/workflows", "", wfWith(b("Bad one"), "steps", step(map[string]any{"fieldMappings": "x"})), nil, 400, "workf-047"},
			{"statuses too many", "POST", "/internal/workflows", "", wfWith(b("Bad one"), "customStatuses", manyStatuses), nil, 400, "workf-030"},
			{"statuses duplicate", "POST", "/internal/workflows", "", wfWith(b("Bad one"), "customStatuses", []any{map[string]any{"name": "a"}, map[string]any{"name": "A"}}), nil, 400, "workf-030"},
			{"status name too long", "POST", "/internal/workflows", "", wfWith(b("Bad one"), "customStatuses", []any{map[string]any{"name": strings.Repeat("s", 51)}}), nil, 400, "workf-030"},
			{"statuses not an array", "POST", "/internal/workflows", "", wfWith(b("Bad one"), "customStatuses", "Done"), nil, 400, "workf-030"},
			{"status not an object", "POST", "/internal/workflows", "", wfWith(b("Bad one"), "customStatuses", []any{"Done"}), nil, 400, "workf-030"},
			{"sequential not a boolean", "POST", "/internal/workflows", "", wfWith(b("Bad one"), "sequential", "yes"), nil, 400, "workf-030"},
			{"unknown key", "POST", "/internal/workflows", "", wfWith(b("Bad one"), "color", "red"), nil, 400, "workf-030"},
			{"malformed json", "POST", "/internal/workflows", "", `{"name":`, nil, 400, "req-013"},
			{"array body", "POST", "/internal/workflows", "", `[]`, nil, 400, "req-013"},
			{"planner", "POST", "/internal/workflows", plannerTok, b("By Planner"), nil, 403, "auth-003"},
			{"field user", "POST", "/internal/workflows", fieldTok, b("By Field"), nil, 403, "auth-003"},
			{"admin", "POST", "/internal/workflows", adminTok, b("By Admin"), nil, 201, ""},
			{"no token", "POST", "/internal/workflows", "-", b("Anon"), nil, 401, "auth-001"},
		})

		// One errors entry per bad mapping, with its full path.
		r = fx.must(fx.owner("POST", "/internal/workflows", wfWith(b("Bad one"), "steps", step(map[string]any{"fieldMappings": []any{
			map[string]any{"targetField": "info", "sourceType": "manual", "sourceField": "a"},
			map[string]any{"targetField": "recipientName", "sourceType": "manual", "sourceField": "Ana"},
			map[string]any{"targetField": "amount", "sourceType": "step", "sourceStepId": fx.pickup, "sourceField": "$Pickup.size"},
		}}))), 400)
		want := []any{`steps[1].fieldMappings[0].targetField: "info" is a view and cannot be filled`,
			`steps[1].fieldMappings[2].sourceField: "size" (select/dropdown) cannot fill "amount" (input/Numeric)`}
		if got := wfList(r.Body["errors"]); fmt.Sprint(got) != fmt.Sprint(want) || r.str("message") != want[0] {
			t.Fatalf("errors = %s", r.Raw)
		}
	})
}

func TestWorkflowReadAndIsolation(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		fx := newWfFixture(t)
		_, plannerTok := fx.seedUser("planner@acme.test", fieldwork.RolePlanner)
		_, fieldTok := fx.seedUser("field@acme.test", fieldwork.RoleFieldUser)
		id := fx.create(t, fx.body("Route"))["_id"].(string)

		// Another organization with its own workflow.
		ctx := context.Background()
		_, _, otherTok, err := fx.Service.CreateOrganization(ctx, "Other", "owner@other.test", "")
		if err != nil {
			t.Fatal(err)
		}
		flow := fx.must(fx.do("POST", "/flow", otherTok, map[string]any{"name": "Theirs", "pages": []any{map[string]any{"id": "page0", "components": []any{}}}}), 201).obj("flow")["_id"].(string)
		theirs := fx.must(fx.do("POST", "/internal/workflows", otherTok, map[string]any{"name": "Their Route", "steps": wfSteps(flow)}), 201).obj("data")["_id"].(string)

		r := fx.must(fx.owner("GET", "/workflow/"+id, nil), 200)
		if r.str("message") != "Workflow retrieved successfully" || r.Header.Get("ETag") != `"1"` ||
			!slices.Equal(wfKeys(r.Body), []string{"code", "data", "message", "status"}) || len(wfList(wfList(r.obj("data")["steps"])[0].(map[string]any)["fieldSchema"])) != 5 {
			t.Fatalf("read: %s", r.Raw)
		}
		fx.run(t, []apiCase{
			{"planner reads", "GET", "/workflow/" + id, plannerTok, nil, nil, 200, ""},
			{"field user reads", "GET", "/workflow/" + id, fieldTok, nil, nil, 200, ""},
			{"trailing slash", "GET", "/workflow/" + id + "/", "", nil, nil, 200, ""},
			{"malformed id", "GET", "/workflow/nope", "", nil, nil, 404, "workf-033"},
			{"unknown id", "GET", "/workflow/000000000000000000000000", "", nil, nil, 404, "workf-033"},
			{"other organization: read", "GET", "/workflow/" + theirs, "", nil, nil, 404, "workf-033"},
			{"other organization: put", "PUT", "/workflow/" + theirs, "", map[string]any{"name": "Mine"}, nil, 404, "workf-033"},
			{"other organization: delete", "DELETE", "/workflow/" + theirs + "?force=true&confirmed=true", "", nil, nil, 404, "workf-033"},
			{"other organization: mapping data", "GET", "/workflow/" + theirs + "/steps/0/field-mapping-data", "", nil, nil, 404, "workf-033"},
			{"other organization: validate", "POST", "/workflow/" + theirs + "/steps/0/validate-field-mappings", "", map[string]any{"fieldMappings": []any{}}, nil, 404, "workf-033"},
			{"no token", "GET", "/workflow/" + id, "-", nil, nil, 401, "auth-001"},
			{"wrong method", "PATCH", "/workflow/" + id, "", map[string]any{}, nil, 405, "req-046"},
		})
		for _, path := range []string{"/workflow/nope", "/workflow/" + theirs} {
			if r := fx.owner("GET", path, nil); r.str("message") != "Workflow not found" {
				t.Fatalf("%s: %s", path, r.Raw)
			}
		}
		// The other organization's lists do not show ours, and theirs is untouched.
		if l := fx.must(fx.do("GET", "/internal/workflows", otherTok, nil), 200); len(wfList(l.Body["data"])) != 1 {
			t.Fatalf("other organization's list: %s", l.Raw)
		}
		if g := fx.must(fx.do("GET", "/workflow/"+theirs, otherTok, nil), 200); g.obj("data")["name"] != "Their Route" {
			t.Fatalf("their workflow: %s", g.Raw)
		}
	})
}

func TestWorkflowList(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		fx := newWfFixture(t)
		_, fieldTok := fx.seedUser("field@acme.test", fieldwork.RoleFieldUser)
		for _, name := range []string{"Morning Route", "Evening Route", "Audit"} {
			fx.create(t, fx.body(name))
		}
		r := fx.must(fx.do("GET", "/internal/workflows", fieldTok, nil), 200)
		var names []string
		for _, w := range wfList(r.Body["data"]) {
			names = append(names, w.(map[string]any)["name"].(string))
		}
		if !slices.Equal(names, []string{"Audit", "Evening Route", "Morning Route"}) || r.str("message") != "Workflows retrieved successfully" ||
			fmt.Sprint(r.obj("pagination")) != "map[current_page:1 last_page:1 per_page:10 total:3]" ||
			!slices.Equal(wfKeys(r.Body), []string{"code", "data", "message", "pagination", "status"}) {
			t.Fatalf("list: %s", r.Raw)
		}
		for _, tt := range []struct {
			query      string
			names      int
			pagination string
		}{
			{"?limit=2&page=2", 1, "map[current_page:2 last_page:2 per_page:2 total:3]"},
			{"?limit=2&page=5", 0, "map[current_page:5 last_page:2 per_page:2 total:3]"},
			{"?limit=-1", 3, "map[current_page:1 last_page:1 per_page:2000 total:3]"},
			{"?limit=100", 3, "map[current_page:1 last_page:1 per_page:100 total:3]"},
			{"?name=route", 2, "map[current_page:1 last_page:1 per_page:10 total:2]"},
			{"?name=ROUTE&limit=1", 1, "map[current_page:1 last_page:2 per_page:1 total:2]"},
			{"?name=zzz", 0, "map[current_page:1 last_page:1 per_page:10 total:0]"},
		} {
			t.Run(tt.query, func(t *testing.T) {
				r := fx.must(fx.owner("GET", "/internal/workflows"+tt.query, nil), 200)
				if data, ok := r.Body["data"].([]any); !ok || len(data) != tt.names || fmt.Sprint(r.obj("pagination")) != tt.pagination {
					t.Fatalf("list: %s", r.Raw)
				}
			})
		}
		fx.run(t, []apiCase{
			{"limit 0", "GET", "/internal/workflows?limit=0", "", nil, nil, 400, "workf-030"},
			{"limit 101", "GET", "/internal/workflows?limit=101", "", nil, nil, 400, "workf-030"},
			{"limit -2", "GET", "/internal/workflows?limit=-2", "", nil, nil, 400, "workf-030"},
			{"limit not a number", "GET", "/internal/workflows?limit=x", "", nil, nil, 400, "workf-030"},
			{"page 0", "GET", "/internal/workflows?page=0", "", nil, nil, 400, "workf-030"},
			{"unknown parameter ignored", "GET", "/internal/workflows?color=red", "", nil, nil, 200, ""},
			{"wrong method", "DELETE", "/internal/workflows", "", nil, nil, 405, "req-046"},
		})
	})
}

func TestWorkflowSearch(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		fx := newWfFixture(t)
		_, adminTok := fx.seedUser("admin@acme.test", fieldwork.RoleAdmin)
		fx.create(t, fx.body("Morning Route"))
		fx.create(t, wfWith(fx.body("Audit"), "steps", wfSteps(fx.survey)))
		fx.must(fx.do("POST", "/internal/workflows", adminTok, wfWith(fx.body("Full Check"), "steps", wfSteps(fx.pickup, fx.delivery, fx.survey))), 201)

		r := fx.must(fx.owner("GET", "/internal/workflows/search?q=SURVEY&stepsCountMin=2", nil), 200)
		data := wfList(r.Body["data"])
		if len(data) != 1 || data[0].(map[string]any)["name"] != "Full Check" || r.str("message") != "Search results retrieved successfully" ||
			r.str("source") != "mongodb_text_search" || fmt.Sprint(r.obj("search")) != "map[filters:map[stepsCountMin:2] query:SURVEY]" ||
			fmt.Sprint(r.obj("pagination")) != "map[current_page:1 last_page:1 per_page:10 total:1]" {
			t.Fatalf("search: %s", r.Raw)
		}
		for _, tt := range []struct {
			query   string
			names   []string
			filters string
		}{
			{"", []string{"Full Check", "Audit", "Morning Route"}, "map[]"},
			{"?q=route", []string{"Morning Route"}, "map[]"},
			{"?q=delivery", []string{"Full Check", "Morning Route"}, "map[]"},
			{"?createdBy=ADMIN@acme.test", []string{"Full Check"}, "map[createdBy:ADMIN@acme.test]"},
			{"?stepsCountMax=1", []string{"Audit"}, "map[stepsCountMax:1]"},
			{"?stepsCountMin=2&stepsCountMax=2", []string{"Morning Route"}, "map[stepsCountMax:2 stepsCountMin:2]"},
			{"?q=nothing", nil, "map[]"},
			{"?q=" + strings.Repeat("a", 255), nil, "map[]"},
			{"?limit=1&page=2", []string{"Audit"}, "map[]"},
		} {
			t.Run(tt.query, func(t *testing.T) {
				r := fx.must(fx.owner("GET", "/internal/workflows/search"+tt.query, nil), 200)
				var names []string
				for _, w := range wfList(r.Body["data"]) {
					names = append(names, w.(map[string]any)["name"].(string))
				}
				if !slices.Equal(names, tt.names) || fmt.Sprint(r.obj("search")["filters"]) != tt.filters {
					t.Fatalf("search: %s", r.Raw)
				}
			})
		}
		fx.run(t, []apiCase{
			{"q too long", "GET", "/internal/workflows/search?q=" + strings.Repeat("a", 256), "", nil, nil, 400, "workf-030"},
			{"stepsCountMin 0", "GET", "/internal/workflows/search?stepsCountMin=0", "", nil, nil, 400, "workf-030"},
			{"stepsCountMax 11", "GET", "/internal/workflows/search?stepsCountMax=11", "", nil, nil, 400, "workf-030"},
			{"stepsCountMin not a number", "GET", "/internal/workflows/search?stepsCountMin=x", "", nil, nil, 400, "workf-030"},
			{"min above max", "GET", "/internal/workflows/search?stepsCountMin=3&stepsCountMax=2", "", nil, nil, 400, "workf-030"},
			{"limit 101", "GET", "/internal/workflows/search?limit=101", "", nil, nil, 400, "workf-030"},
		})
	})
}

func TestWorkflowUpdate(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		fx := newWfFixture(t)
		_, plannerTok := fx.seedUser("planner@acme.test", fieldwork.RolePlanner)
		_, adminTok := fx.seedUser("admin@acme.test", fieldwork.RoleAdmin)
		w := fx.create(t, fx.body("Route"))
		id := w["_id"].(string)
		fx.create(t, fx.body("Other"))

		r := fx.must(fx.do("PUT", "/workflow/"+id, adminTok, map[string]any{"name": " Morning Route "}, "If-Match", `"1"`), 200)
		got := r.obj("data")
		if r.str("message") != "Workflow updated successfully" || r.Header.Get("ETag") != `"2"` || got["name"] != "Morning Route" ||
			got["version"] != 2.0 || got["updatedBy"] != "admin@acme.test" || got["createdBy"] != "owner@acme.test" ||
			fmt.Sprint(got["steps"]) != fmt.Sprint(w["steps"]) || fmt.Sprint(got["customStatuses"]) != fmt.Sprint(w["customStatuses"]) ||
			!slices.Equal(wfKeys(r.Body), []string{"code", "data", "message", "status"}) {
			t.Fatalf("put name: %s", r.Raw)
		}

		// A workflow read and sent back is accepted as it is.
		back := fx.must(fx.owner("GET", "/workflow/"+id, nil), 200).obj("data")
		if r := fx.must(fx.owner("PUT", "/workflow/"+id, back), 200); r.obj("data")["version"] != 3.0 || fmt.Sprint(r.obj("data")["steps"]) != fmt.Sprint(back["steps"]) {
			t.Fatalf("round trip: %s", r.Raw)
		}

		fx.run(t, []apiCase{
			{"stale if-match", "PUT", "/workflow/" + id, "", map[string]any{"sequential": false}, []string{"If-Match", `"1"`}, 412, "etag-032"},
			{"planner", "PUT", "/workflow/" + id, plannerTok, map[string]any{"name": "Mine"}, nil, 403, "auth-003"},
			{"malformed id", "PUT", "/workflow/nope", "", map[string]any{"name": "Mine"}, nil, 404, "workf-033"},
			{"unknown id", "PUT", "/workflow/000000000000000000000000", "", map[string]any{"name": "Mine"}, nil, 404, "workf-033"},
			{"duplicate name", "PUT", "/workflow/" + id, "", map[string]any{"name": "OTHER"}, nil, 400, "workf-031"},
			{"bad name", "PUT", "/workflow/" + id, "", map[string]any{"name": "x"}, nil, 400, "workf-003"},
			{"step count changed", "PUT", "/workflow/" + id, "", map[string]any{"steps": wfSteps(fx.pickup, fx.delivery, fx.survey)}, nil, 400, "workf-048"},
			{"steps emptied", "PUT", "/workflow/" + id, "", map[string]any{"steps": []any{}}, nil, 400, "workf-048"},
			{"mapped status removed", "PUT", "/workflow/" + id, "", map[string]any{"customStatuses": []any{}}, nil, 400, "workf-049"},
			{"steps validated as on create", "PUT", "/workflow/" + id, "", map[string]any{"steps": wfSteps(fx.pickup, fx.pickup)}, nil, 400, "workf-002"},
			{"bad mapping", "PUT", "/workflow/" + id, "", map[string]any{"steps": []any{map[string]any{"flowId": fx.pickup},
				map[string]any{"flowId": fx.delivery, "fieldMappings": []any{map[string]any{"targetField": "nope", "sourceType": "manual", "sourceField": "a"}}}}}, nil, 400, "workf-047"},
			{"statuses bad", "PUT", "/workflow/" + id, "", map[string]any{"customStatuses": []any{map[string]any{"name": ""}}}, nil, 400, "workf-030"},
			{"unknown key", "PUT", "/workflow/" + id, "", map[string]any{"colour": 1}, nil, 400, "workf-030"},
			{"malformed json", "PUT", "/workflow/" + id, "", `{`, nil, 400, "req-013"},
			{"empty body changes nothing but the version", "PUT", "/workflow/" + id, "", map[string]any{}, []string{"If-Match", `"3"`}, 200, ""},
		})
		if r := fx.must(fx.owner("GET", "/workflow/"+id, nil), 200); r.obj("data")["name"] != "Morning Route" || r.Header.Get("ETag") != `"4"` {
			t.Fatalf("after refusals: %s", r.Raw)
		}

		// Sent steps replace the list; a status nothing maps to any more may go.
		r = fx.must(fx.owner("PUT", "/workflow/"+id, map[string]any{"steps": wfSteps(fx.survey, fx.delivery), "customStatuses": []any{map[string]any{"name": "Checked"}}, "sequential": false}), 200)
		got = r.obj("data")
		s0 := wfList(got["steps"])[0].(map[string]any)
		if s0["flowName"] != "Survey" || s0["statusMapping"] != nil || len(wfList(got["customStatuses"])) != 4 || got["sequential"] != false || got["version"] != 5.0 {
			t.Fatalf("steps replaced: %s", r.Raw)
		}

		// fieldSchema (and flowName) are refreshed whenever the workflow is saved.
		fx.must(fx.owner("PATCH", "/flow/"+fx.survey, map[string]any{"name": "Survey v2", "pages": []any{map[string]any{"id": "page0", "components": []any{
			map[string]any{"component": "input", "id": "rating", "title": "Rating", "type": "Numeric"},
			map[string]any{"component": "input", "id": "comment", "title": "Comment"}}}}}), 200)
		if s := wfList(fx.must(fx.owner("GET", "/workflow/"+id, nil), 200).obj("data")["steps"])[0].(map[string]any); len(wfList(s["fieldSchema"])) != 1 {
			t.Fatalf("schema changed without a save: %v", s)
		}
		r = fx.must(fx.owner("PUT", "/workflow/"+id, map[string]any{"sequential": true}), 200)
		if s := wfList(r.obj("data")["steps"])[0].(map[string]any); len(wfList(s["fieldSchema"])) != 2 || s["flowName"] != "Survey v2" {
			t.Fatalf("schema not refreshed: %v", s)
		}
		// The search follows the new flow name.
		if l := fx.must(fx.owner("GET", "/internal/workflows/search?q=v2", nil), 200); len(wfList(l.Body["data"])) != 1 {
			t.Fatalf("search after flow rename: %s", l.Raw)
		}
	})
}

func TestWorkflowDelete(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		fx := newWfFixture(t)
		_, plannerTok := fx.seedUser("planner@acme.test", fieldwork.RolePlanner)
		unused := fx.create(t, fx.body("Unused"))["_id"].(string)
		used := fx.create(t, fx.body("Used"))["_id"].(string)
		fx.addMasters(t, used, 2)

		fx.run(t, []apiCase{
			{"planner", "DELETE", "/workflow/" + unused, plannerTok, nil, nil, 403, "auth-003"},
			{"malformed id", "DELETE", "/workflow/nope", "", nil, nil, 404, "workf-033"},
			{"unknown id", "DELETE", "/workflow/000000000000000000000000", "", nil, nil, 404, "workf-033"},
			{"stale if-match", "DELETE", "/workflow/" + unused, "", nil, []string{"If-Match", `"2"`}, 412, "etag-032"},
			{"bad force", "DELETE", "/workflow/" + used + "?force=maybe", "", nil, nil, 400, "workf-030"},
		})
		r := fx.must(fx.owner("DELETE", "/workflow/"+unused, nil, "If-Match", `"1"`), 200)
		if string(r.Raw) != `{"status":true,"code":200,"message":"Workflow deleted successfully","usage":{"activities":0}}`+"\n" {
			t.Fatalf("delete unused: %s", r.Raw)
		}
		fx.run(t, []apiCase{{"deleted", "GET", "/workflow/" + unused, "", nil, nil, 404, "workf-033"}})

		for _, q := range []string{"", "?force=true", "?confirmed=true", "?force=false&confirmed=true", "?force=true&confirmed=false"} {
			t.Run("refused "+q, func(t *testing.T) {
				sub := *fx.env
				sub.t = t
				r := sub.must(sub.owner("DELETE", "/workflow/"+used+q, nil), 400)
				if r.str("failedCode") != "workf-032" || r.Body["confirmation_required"] != true || fmt.Sprint(r.Body["usage"]) != "map[activities:2]" {
					t.Fatalf("refusal: %s", r.Raw)
				}
				checkErrorEnvelope(t, r)
				sub.must(sub.owner("GET", "/workflow/"+used, nil), 200)
			})
		}
		r = fx.must(fx.owner("DELETE", "/workflow/"+used+"?force=true&confirmed=true", nil), 200)
		if r.str("message") != "Workflow deleted successfully" || fmt.Sprint(r.Body["usage"]) != "map[activities:2]" {
			t.Fatalf("forced delete: %s", r.Raw)
		}
		fx.run(t, []apiCase{{"force-deleted", "GET", "/workflow/" + used, "", nil, nil, 404, "workf-033"}})
		// The masters are left alone: they keep their snapshot (SPEC §6.2).
		ctx := context.Background()
		var counts fieldwork.TaskCounts
		err := fx.Service.Store.View(ctx, fx.OrgID, func(tx fieldwork.Tx) (err error) {
			counts, err = tx.CountTasks(ctx, fieldwork.TaskFilter{TaskType: []string{fieldwork.TaskTypeActivityMaster}, WorkflowID: &used})
			return err
		})
		if err != nil || counts.Total != 2 {
			t.Fatalf("masters after the forced delete: %+v, %v", counts, err)
		}
	})
}

func TestWorkflowFieldMappingData(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		fx := newWfFixture(t)
		_, fieldTok := fx.seedUser("field@acme.test", fieldwork.RoleFieldUser)
		id := fx.create(t, wfWith(fx.body("Route"), "steps", []any{
			map[string]any{"flowId": fx.pickup},
			map[string]any{"flowId": fx.delivery, "fieldMappings": []any{map[string]any{"targetField": "recipientName", "sourceType": "step", "sourceStepId": fx.pickup, "sourceField": "customerName"}}},
			map[string]any{"flowId": fx.survey},
		}))["_id"].(string)
		base := "/workflow/" + id + "/steps/"

		r := fx.must(fx.do("GET", base+"2/field-mapping-data", fieldTok, nil), 200)
		d := r.obj("data")
		cur := d["currentStep"].(map[string]any)
		prev := wfList(d["previousSteps"])
		if r.str("message") != "Field mapping data retrieved successfully" || !slices.Equal(wfKeys(d), []string{"currentStep", "existingMappings", "previousSteps"}) ||
			!slices.Equal(wfKeys(cur), []string{"fields", "flowId", "flowName", "stepOrder"}) ||
			cur["stepOrder"] != 2.0 || cur["flowId"] != fx.survey || cur["flowName"] != "Survey" || len(wfList(cur["fields"])) != 1 ||
			len(prev) != 2 || prev[0].(map[string]any)["stepOrder"] != 0.0 || prev[1].(map[string]any)["flowName"] != "Delivery" ||
			len(wfList(prev[0].(map[string]any)["fields"])) != 5 || len(wfList(d["existingMappings"])) != 0 || d["existingMappings"] == nil {
			t.Fatalf("step 2: %s", r.Raw)
		}
		d = fx.must(fx.owner("GET", base+"1/field-mapping-data", nil), 200).obj("data")
		if m := wfList(d["existingMappings"]); len(m) != 1 || m[0].(map[string]any)["sourceStep"] != 0.0 {
			t.Fatalf("step 1: %v", d)
		}
		d = fx.must(fx.owner("GET", base+"0/field-mapping-data", nil), 200).obj("data")
		if prev, ok := d["previousSteps"].([]any); !ok || len(prev) != 0 {
			t.Fatalf("step 0: %v", d)
		}
		fx.run(t, []apiCase{
			{"leading zero", "GET", base + "01/field-mapping-data", "", nil, nil, 200, ""},
			{"negative", "GET", base + "-1/field-mapping-data", "", nil, nil, 400, "workf-003"},
			{"plus sign", "GET", base + "+1/field-mapping-data", "", nil, nil, 400, "workf-003"},
			{"fraction", "GET", base + "1.5/field-mapping-data", "", nil, nil, 400, "workf-003"},
			{"word", "GET", base + "first/field-mapping-data", "", nil, nil, 400, "workf-003"},
			{"past the last step", "GET", base + "3/field-mapping-data", "", nil, nil, 404, "workf-033"},
			{"huge", "GET", base + "99999999999999999999999/field-mapping-data", "", nil, nil, 404, "workf-033"},
			{"unknown workflow", "GET", "/workflow/000000000000000000000000/steps/0/field-mapping-data", "", nil, nil, 404, "workf-033"},
			{"malformed workflow id", "GET", "/workflow/x/steps/0/field-mapping-data", "", nil, nil, 404, "workf-033"},
		})
		if r := fx.owner("GET", base+"3/field-mapping-data", nil); r.str("message") != "Workflow or step not found" {
			t.Fatalf("past the last step: %s", r.Raw)
		}
	})
}

func TestWorkflowValidateFieldMappings(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		fx := newWfFixture(t)
		_, fieldTok := fx.seedUser("field@acme.test", fieldwork.RoleFieldUser)
		id := fx.create(t, fx.body("Route"))["_id"].(string)
		base := "/workflow/" + id + "/steps/"
		validate := func(step string, mappings []any) map[string]any {
			t.Helper()
			r := fx.must(fx.do("POST", base+step+"/validate-field-mappings", fieldTok, map[string]any{"fieldMappings": mappings}), 200)
			if r.str("message") != "Validation completed" {
				t.Fatalf("answer: %s", r.Raw)
			}
			return r.obj("data")
		}
		const podWarn = `fieldMappings: required field "pod" is not filled by any mapping`
		for _, tt := range []struct {
			name     string
			step     string
			mappings []any
			want     string
		}{
			{"valid", "1", []any{
				map[string]any{"targetField": "recipientName", "sourceType": "step", "sourceStep": 0, "sourceField": "$Pickup.customerName"},
				map[string]any{"targetField": "amount", "sourceType": "direct", "sourceField": "10"},
			}, fmt.Sprint(map[string]any{"valid": true, "errors": []any{}, "warnings": []any{podWarn}})},
			{"errors and warnings", "1", []any{
				map[string]any{"targetField": "amount", "sourceType": "step", "sourceStep": 0, "sourceField": "size"},
				map[string]any{"targetField": "size", "sourceType": "manual", "sourceField": "XL"},
			}, fmt.Sprint(map[string]any{"valid": false, "errors": []any{
				`fieldMappings[0].sourceField: "size" (select/dropdown) cannot fill "amount" (input/Numeric)`,
				"fieldMappings[1].sourceField: must be one of: S, M, L",
			}, "warnings": []any{`fieldMappings: required field "recipientName" is not filled by any mapping`, podWarn}})},
			{"first step", "0", []any{map[string]any{"targetField": "customerName", "sourceType": "step", "sourceStep": 0, "sourceField": "size"}},
				fmt.Sprint(map[string]any{"valid": false, "errors": []any{"fieldMappings[0].sourceType: the first step may only use manual or direct mappings"},
					"warnings": []any{`fieldMappings: required field "proof" is not filled by any mapping`}})},
			{"nothing", "1", []any{}, fmt.Sprint(map[string]any{"valid": true, "errors": []any{},
				"warnings": []any{`fieldMappings: required field "recipientName" is not filled by any mapping`, podWarn}})},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if got := fmt.Sprint(validate(tt.step, tt.mappings)); got != tt.want {
					t.Fatalf("data = %s\nwant   %s", got, tt.want)
				}
			})
		}
		fx.run(t, []apiCase{
			{"fieldMappings missing", "POST", base + "1/validate-field-mappings", "", map[string]any{}, nil, 400, "workf-047"},
			{"fieldMappings not an array", "POST", base + "1/validate-field-mappings", "", map[string]any{"fieldMappings": 1}, nil, 400, "workf-047"},
			{"mapping wrong type", "POST", base + "1/validate-field-mappings", "", map[string]any{"fieldMappings": []any{map[string]any{"targetField": 1}}}, nil, 400, "workf-047"},
			{"unknown key", "POST", base + "1/validate-field-mappings", "", map[string]any{"fieldMappings": []any{}, "steps": 1}, nil, 400, "workf-047"},
			{"malformed json", "POST", base + "1/validate-field-mappings", "", `{"fieldMappings":[`, nil, 400, "req-013"},
			{"bad step order", "POST", base + "one/validate-field-mappings", "", map[string]any{"fieldMappings": []any{}}, nil, 400, "workf-003"},
			{"past the last step", "POST", base + "2/validate-field-mappings", "", map[string]any{"fieldMappings": []any{}}, nil, 404, "workf-033"},
			{"unknown workflow", "POST", "/workflow/000000000000000000000000/steps/0/validate-field-mappings", "", map[string]any{"fieldMappings": []any{}}, nil, 404, "workf-033"},
			{"wrong method", "GET", base + "1/validate-field-mappings", "", nil, nil, 405, "req-046"},
		})
		// Nothing was saved.
		if r := fx.must(fx.owner("GET", "/workflow/"+id, nil), 200); r.Header.Get("ETag") != `"1"` {
			t.Fatalf("validation saved something: %s", r.Raw)
		}
	})
}

// TestWorkflowFlowInUse: a flow a workflow step uses cannot be deleted (SPEC §4, flow-046);
// once no step uses it (steps replaced, or the workflow deleted), it can.
func TestWorkflowFlowInUse(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		fx := newWfFixture(t)
		id := fx.create(t, fx.body("Route"))["_id"].(string)
		fx.run(t, []apiCase{
			{"first step's flow", "DELETE", "/flow/" + fx.pickup, "", nil, nil, 400, "flow-046"},
			{"second step's flow", "DELETE", "/flow/" + fx.delivery, "", nil, nil, 400, "flow-046"},
			{"replace the steps", "PUT", "/workflow/" + id, "", map[string]any{"steps": wfSteps(fx.survey, fx.delivery)}, nil, 200, ""},
			{"flow no longer used", "DELETE", "/flow/" + fx.pickup, "", nil, nil, 200, ""},
			{"flow now used", "DELETE", "/flow/" + fx.survey, "", nil, nil, 400, "flow-046"},
			{"delete the workflow", "DELETE", "/workflow/" + id, "", nil, nil, 200, ""},
			{"flows free", "DELETE", "/flow/" + fx.survey, "", nil, nil, 200, ""},
		})
	})
}
