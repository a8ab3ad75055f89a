package httpapi_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldwork-dev/fieldwork"
)

const pickupFlow = `{"name": "Pickup", "pages": [
 {"id": "page0", "components": [
   {"component": "input", "id": "orderNo", "title": "Order", "required": true, "showAs": "title"},
   {"component": "input", "id": "customerName", "title": "Customer"},
   {"component": "input", "id": "parcels", "title": "Parcels", "type": "Numeric"}]},
 {"id": "page1", "components": [{"component": "input", "id": "pickedNote", "title": "Note"}]}]}`

const dropFlow = `{"name": "Drop", "pages": [
 {"id": "page0", "components": [
   {"component": "input", "id": "recipientName", "title": "Recipient", "required": true, "showAs": "title"},
   {"component": "input", "id": "parcelCount", "title": "Parcels", "type": "Numeric"},
   {"component": "input", "id": "channel", "title": "Channel"}]},
 {"id": "page1", "components": [{"component": "input", "id": "signedBy", "title": "Signed by"}]}]}`

// activityFixture has two flows, a two-step workflow with mappings, hubs and a worker.
type activityFixture struct {
	*env
	hub, hub2   string
	pickup      *fieldwork.Flow
	drop        *fieldwork.Flow
	workflow    *fieldwork.Workflow
	worker      *fieldwork.User
	workerToken string
}

func newActivityFixture(t *testing.T, sequential bool) *activityFixture {
	e := newEnv(t)
	fx := &activityFixture{env: e, hub: e.seedHub("Jakarta"), hub2: e.seedHub("Bandung")}
	fx.pickup, fx.drop = e.seedFlow(pickupFlow), e.seedFlow(dropFlow)
	fx.worker, fx.workerToken = e.seedUser("ana@acme.test", "Field User", fx.hub)
	fx.workflow = fx.seedWorkflow("Pickup to Delivery", sequential, []fieldwork.Step{
		{FlowID: fx.pickup.ID, FlowName: "Pickup", StatusMapping: strp("Picked up")},
		{FlowID: fx.drop.ID, FlowName: "Drop", AssigneeID: &fx.worker.ID, StatusMapping: strp("Delivered"),
			FieldMappings: []fieldwork.FieldMapping{
				{TargetField: "recipientName", SourceType: "step", SourceStep: intp(0), SourceStepID: &fx.pickup.ID, SourceField: "customerName"},
				{TargetField: "parcelCount", SourceType: "step", SourceStep: intp(0), SourceStepID: &fx.pickup.ID, SourceField: "parcels"},
				{TargetField: "channel", SourceType: "manual", SourceField: "courier"},
			}},
	})
	return fx
}

func strp(s string) *string { return &s }
func intp(i int) *int       { return &i }

// seedWorkflow stores a workflow straight in the store (the workflow API has its own tests).
func (e *env) seedWorkflow(name string, sequential bool, steps []fieldwork.Step) *fieldwork.Workflow {
	e.t.Helper()
	now := time.Now()
	for i := range steps {
		steps[i].Order = i
		if steps[i].FieldMappings == nil {
			steps[i].FieldMappings = []fieldwork.FieldMapping{}
		}
	}
	wf := &fieldwork.Workflow{ID: fieldwork.NewID(now), OrganizationID: e.OrgID, Name: name, Steps: steps,
		CustomStatuses: []fieldwork.CustomStatus{{Name: "Unassigned", IsDefault: true}, {Name: "Ongoing", IsDefault: true},
			{Name: "Done", IsDefault: true}, {Name: "Picked up"}, {Name: "Delivered"}},
		Sequential: sequential, Version: 1, CreatedBy: "owner@acme.test", UpdatedBy: "owner@acme.test",
		CreatedTime: fieldwork.NewTime(now), UpdatedTime: fieldwork.NewTime(now)}
	if err := e.Service.Store.Update(context.Background(), e.OrgID, func(tx fieldwork.Tx) error {
		return tx.CreateWorkflow(context.Background(), wf)
	}); err != nil {
		e.t.Fatal(err)
	}
	return wf
}

func (fx *activityFixture) body(pickup, drop map[string]any) map[string]any {
	p := map[string]any{"orderNo": "Order #123", "customerName": "Budi", "parcels": 3}
	for k, v := range pickup {
		p[k] = v
	}
	d := map[string]any{}
	for k, v := range drop {
		d[k] = v
	}
	return map[string]any{"workflowId": fx.workflow.ID, "hubId": fx.hub, "tasks": []any{p, d}}
}

func (fx *activityFixture) taskCount() int {
	fx.t.Helper()
	return int(fx.must(fx.owner("GET", "/tasks", nil), 200).obj("tasks")["total"].(float64))
}

func TestActivityCreate(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		fx := newActivityFixture(t, true)
		r := fx.must(fx.owner("POST", "/activity", fx.body(nil, map[string]any{"channel": "van"})), 201)
		if r.str("message") != "Activity created successfully" || r.Body["code"] != float64(201) || r.Body["status"] != true {
			t.Fatalf("envelope: %s", r.Raw)
		}
		m := r.obj("data")
		want := map[string]any{"flow": "ActivityWorkflow", "flowId": nil, "taskType": "activityMaster", "title": "Pickup to Delivery",
			"name": "Pickup to Delivery", "status": "ONGOING", "subStatus": nil, "hubId": fx.hub, "workflowId": fx.workflow.ID,
			"createdFrom": "API", "createdBy": "owner@acme.test"}
		for k, v := range want {
			if got, ok := m[k]; !ok || fmt.Sprint(got) != fmt.Sprint(v) {
				t.Errorf("master %s = %v (present %v), want %v", k, got, ok, v)
			}
		}
		wf := m["workflow"].(map[string]any)
		if _, ok := wf["steps"]; ok || wf["version"] != float64(1) || wf["name"] != "Pickup to Delivery" || wf["sequential"] != true {
			t.Errorf("workflow in create answer: %v", wf)
		}
		sub := m["subId"].([]any)
		if len(sub) != 2 || fmt.Sprint(m["tasks"]) != fmt.Sprint(sub) {
			t.Fatalf("subId/tasks: %v %v", m["subId"], m["tasks"])
		}
		if fmt.Sprint(m["assignee"]) != "[ana@acme.test]" {
			t.Errorf("master assignee %v", m["assignee"])
		}
		c0 := fx.must(fx.owner("GET", "/task/"+sub[0].(string), nil), 200).obj("task")
		c1 := fx.must(fx.owner("GET", "/task/"+sub[1].(string), nil), 200).obj("task")
		if c0["taskType"] != "activityChild" || c0["parentId"] != m["_id"] || c0["stepOrder"] != float64(0) || c0["workflowId"] != fx.workflow.ID ||
			c0["flow"] != "Pickup" || c0["hubId"] != fx.hub || c0["status"] != "UNASSIGNED" || c0["title"] != "Order #123" {
			t.Errorf("child 0: %v", c0)
		}
		// Step default assignee, mapped values at creation, the caller's value wins.
		if c1["status"] != "ONGOING" || fmt.Sprint(c1["assignee"]) != "[ana@acme.test]" || c1["recipientName"] != "Budi" ||
			c1["title"] != "Budi" || c1["parcelCount"] != float64(3) || c1["channel"] != "van" || c1["stepOrder"] != float64(1) {
			t.Errorf("child 1: %v", c1)
		}
		if m["startTime"] != minStr(c0["startTime"], c1["startTime"]) || m["endTime"] != maxStr(c0["endTime"], c1["endTime"]) {
			t.Errorf("master times %v..%v, children %v..%v / %v..%v", m["startTime"], m["endTime"], c0["startTime"], c0["endTime"], c1["startTime"], c1["endTime"])
		}
		// GET /activity/{id} has the full snapshot; expand=children adds the children in order.
		g := fx.must(fx.owner("GET", "/activity/"+m["_id"].(string)+"?expand=children", nil), 200).obj("data")
		if steps := g["workflow"].(map[string]any)["steps"].([]any); len(steps) != 2 {
			t.Fatalf("snapshot steps: %v", g["workflow"])
		}
		if ch := g["children"].([]any); len(ch) != 2 || ch[0].(map[string]any)["_id"] != sub[0] {
			t.Fatalf("children: %v", g["children"])
		}
		// Another organization's workflow is not found; nothing is written by a failure.
		_, _, other, _ := fx.Service.CreateOrganization(t.Context(), "Other", "boss@other.test", "")
		before := fx.taskCount()
		long := fx.seedWorkflow("Ten steps", true, tenSteps(fx.env))
		fx.run(t, []apiCase{
			{"missing workflowId", "POST", "/activity", "", map[string]any{"tasks": []any{}}, nil, 400, "activ-032"},
			{"unknown workflow", "POST", "/activity", "", map[string]any{"workflowId": "000000000000000000000000", "tasks": []any{}}, nil, 404, "activ-034"},
			{"malformed workflow id", "POST", "/activity", "", map[string]any{"workflowId": "x", "tasks": []any{}}, nil, 404, "activ-034"},
			{"other organization's workflow", "POST", "/activity", other, fx.body(nil, nil), nil, 404, "activ-034"},
			{"task count differs", "POST", "/activity", "", map[string]any{"workflowId": fx.workflow.ID, "hubId": fx.hub, "tasks": []any{map[string]any{"orderNo": "1"}}}, nil, 400, "activ-032"},
			{"tasks not array", "POST", "/activity", "", map[string]any{"workflowId": fx.workflow.ID, "tasks": "x"}, nil, 400, "activ-032"},
			{"unknown top-level key", "POST", "/activity", "", map[string]any{"workflowId": fx.workflow.ID, "hubId": fx.hub, "tasks": []any{}, "x": 1}, nil, 400, "activ-032"},
			{"invalid child value", "POST", "/activity", "", fx.body(map[string]any{"parcels": "many"}, nil), nil, 400, "activ-032"},
			{"required missing in step 0", "POST", "/activity", "", fx.body(map[string]any{"orderNo": ""}, nil), nil, 400, "activ-032"},
			{"no hub anywhere", "POST", "/activity", "", map[string]any{"workflowId": fx.workflow.ID, "tasks": []any{map[string]any{"orderNo": "1"}, map[string]any{}}}, nil, 400, "activ-032"},
			{"unknown hub", "POST", "/activity", "", map[string]any{"workflowId": fx.workflow.ID, "hubId": "000000000000000000000000", "tasks": []any{map[string]any{"orderNo": "1"}, map[string]any{}}}, nil, 400, "activ-032"},
			{"child parentId", "POST", "/activity", "", fx.body(map[string]any{"parentId": "000000000000000000000000"}, nil), nil, 400, "activ-032"},
			{"child taskType", "POST", "/activity", "", fx.body(map[string]any{"taskType": "task"}, nil), nil, 400, "activ-032"},
			{"child wrong flow", "POST", "/activity", "", fx.body(map[string]any{"flow": "Drop"}, nil), nil, 400, "activ-032"},
			{"assignee without hub access", "POST", "/activity", "", fx.body(nil, map[string]any{"hubId": fx.hub2}), nil, 400, "activ-032"},
			{"unknown assignee", "POST", "/activity", "", fx.body(map[string]any{"assignee": "nobody@acme.test"}, nil), nil, 400, "activ-032"},
			{"start after end", "POST", "/activity", "", fx.body(map[string]any{"startTime": "2026-02-02 00:00:00", "endTime": "2026-02-01 00:00:00"}, nil), nil, 400, "activ-032"},
			{"field user cannot create", "POST", "/activity", fx.workerToken, fx.body(nil, nil), nil, 403, "auth-003"},
			{"malformed json", "POST", "/activity", "", `{"workflowId":`, nil, 400, "req-013"},
			{"eleven tasks for ten steps", "POST", "/activity", "", map[string]any{"workflowId": long.ID, "hubId": fx.hub, "tasks": make([]any, 11)}, nil, 400, "activ-032"},
		})
		if after := fx.taskCount(); after != before {
			t.Fatalf("failed creations left %d tasks behind", after-before)
		}
		// A field error names the child: tasks[0].parcels.
		bad := fx.owner("POST", "/internal/activity", fx.body(map[string]any{"parcels": "many"}, nil))
		if bad.Status != 400 || !strings.HasPrefix(bad.str("message"), "tasks[0].parcels: ") {
			t.Fatalf("child error: %s", bad.Raw)
		}
		if miss := fx.owner("POST", "/activity", map[string]any{"tasks": []any{}}); miss.str("message") != "The workflowId field is required." {
			t.Fatalf("missing workflowId message: %s", miss.Raw)
		}
		// A 10-step activity.
		tasks := make([]any, 10)
		for i := range tasks {
			tasks[i] = map[string]any{"note": fmt.Sprintf("step %d", i)}
		}
		ten := fx.must(fx.owner("POST", "/internal/activity", map[string]any{"workflowId": long.ID, "hubId": fx.hub, "tasks": tasks}), 201).obj("data")
		if len(ten["subId"].([]any)) != 10 || ten["status"] != "UNASSIGNED" {
			t.Fatalf("10-step master: %v", ten)
		}
	})
}

func minStr(a, b any) any {
	if a.(string) < b.(string) {
		return a
	}
	return b
}

func maxStr(a, b any) any {
	if a.(string) > b.(string) {
		return a
	}
	return b
}

// tenSteps seeds ten flows and returns one step on each.
func tenSteps(e *env) []fieldwork.Step {
	steps := make([]fieldwork.Step, 10)
	for i := range steps {
		f := e.seedFlow(fmt.Sprintf(`{"name": "Step %d", "pages": [{"id": "page0", "components": [{"component": "input", "id": "note", "title": "Note"}]}]}`, i))
		steps[i] = fieldwork.Step{FlowID: f.ID, FlowName: f.Name}
	}
	return steps
}

func TestActivityProgress(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		fx := newActivityFixture(t, true)
		m := fx.must(fx.owner("POST", "/activity", fx.body(nil, map[string]any{"recipientName": "", "parcelCount": nil})), 201).obj("data")
		id := m["_id"].(string)
		sub := m["subId"].([]any)
		c0, c1 := "/task/"+sub[0].(string), "/task/"+sub[1].(string)
		master := func() map[string]any { return fx.must(fx.owner("GET", "/task/"+id, nil), 200).obj("task") }

		fx.run(t, []apiCase{
			{"done step 2 before step 1", "POST", c1 + "/done", "", map[string]any{}, nil, 400, "activ-037"},
			{"assign master", "PUT", "/task/" + id + "/assign", "", map[string]any{"assignee": []string{}}, nil, 400, "activ-047"},
			{"move master", "PUT", "/task/" + id + "/move", "", map[string]any{"hubId": fx.hub2}, nil, 400, "activ-047"},
			{"done master", "POST", "/task/" + id + "/done", "", map[string]any{}, nil, 400, "activ-047"},
			{"patch master status", "PATCH", "/task/" + id, "", map[string]any{"status": "DONE"}, nil, 400, "activ-046"},
			{"patch master workflowId", "PATCH", "/task/" + id, "", map[string]any{"workflowId": "000000000000000000000000"}, nil, 400, "activ-046"},
			{"patch master subId", "PATCH", "/task/" + id, "", map[string]any{"subId": []string{}}, nil, 400, "activ-046"},
			{"patch master hubId", "PATCH", "/task/" + id, "", map[string]any{"hubId": fx.hub2}, nil, 400, "activ-046"},
			{"patch master title", "PATCH", "/task/" + id, "", map[string]any{"title": "Job 42", "content": "fragile"}, nil, 200, ""},
			{"patch master with unchanged status", "PATCH", "/task/" + id, "", map[string]any{"status": "ONGOING", "label": "x"}, nil, 200, ""},
			{"patch child parentId", "PATCH", c0, "", map[string]any{"parentId": "000000000000000000000000"}, nil, 400, "activ-048"},
			{"patch child stepOrder", "PATCH", c0, "", map[string]any{"stepOrder": 1}, nil, 400, "activ-048"},
			{"put child other flow", "PUT", c0, "", map[string]any{"flow": "Drop", "hubId": fx.hub}, nil, 400, "activ-048"},
			{"patch child same parentId", "PATCH", c0, "", map[string]any{"parentId": id, "parcels": 4}, nil, 200, ""},
			{"delete child alone", "DELETE", c0, "", nil, nil, 400, "activ-049"},
			{"bulk delete child alone", "DELETE", "/tasks/bulk", "", map[string]any{"tasks": []any{map[string]any{"_id": sub[0]}}}, nil, 200, ""},
			{"activity of a child", "GET", "/activity/" + sub[0].(string), "", nil, nil, 404, "activ-033"},
		})
		if got := master(); got["title"] != "Job 42" || got["name"] != "Job 42" || got["status"] != "ONGOING" {
			t.Fatalf("master after edits: %v", got)
		}
		// Assign step 1 to the worker: the master follows.
		fx.must(fx.owner("PUT", c0+"/assign", map[string]any{"assignee": "ana@acme.test"}), 200)
		// Complete step 1: subStatus is its mapping; the Drop step receives the mapped values.
		fx.must(fx.do("POST", c0+"/done", fx.workerToken, map[string]any{"pickedNote": "ok"}), 200)
		got := master()
		if got["status"] != "ONGOING" || got["subStatus"] != "Picked up" {
			t.Fatalf("after step 1: %v %v", got["status"], got["subStatus"])
		}
		drop := fx.must(fx.owner("GET", c1, nil), 200).obj("task")
		if drop["recipientName"] != "Budi" || drop["parcelCount"] != float64(4) {
			t.Fatalf("runtime mapping: recipientName %v parcelCount %v", drop["recipientName"], drop["parcelCount"])
		}
		var mapping map[string]any
		for _, h := range drop["histories"].([]any) {
			if h.(map[string]any)["action"] == "mapping" {
				mapping = h.(map[string]any)
			}
		}
		if mapping == nil || mapping["cause"].(map[string]any)["taskId"] != sub[0] || mapping["actor"] != "System" {
			t.Fatalf("mapping history: %v", drop["histories"])
		}
		fx.must(fx.do("POST", c1+"/done", fx.workerToken, map[string]any{"signedBy": "Budi"}), 200)
		got = master()
		if got["status"] != "DONE" || got["subStatus"] != "Delivered" {
			t.Fatalf("after step 2: %v %v", got["status"], got["subStatus"])
		}
		var causes []string
		for _, h := range got["histories"].([]any) {
			h := h.(map[string]any)
			if h["action"] == "rollup" {
				c := h["cause"].(map[string]any)
				causes = append(causes, c["action"].(string))
			}
		}
		if strings.Join(causes, ",") != "done,done" { // the assign left the master as it was
			t.Fatalf("rollup causes: %v", causes)
		}
		// Deleting the master through /task deletes its children.
		fx.must(fx.owner("DELETE", "/task/"+id, nil), 200)
		fx.run(t, []apiCase{
			{"child gone", "GET", c0, "", nil, nil, 404, "task-033"},
			{"activity gone", "DELETE", "/activity/" + id, "", nil, nil, 404, "activ-033"},
		})
	})
}

func TestActivityNonSequentialAndSnapshot(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		fx := newActivityFixture(t, false)
		m := fx.must(fx.owner("POST", "/activity", fx.body(map[string]any{"assignee": "ana@acme.test"}, nil)), 201).obj("data")
		sub := m["subId"].([]any)
		// Editing the workflow afterwards changes nothing for the activity.
		wf := *fx.workflow
		wf.Name, wf.Version, wf.Sequential = "Renamed", 2, true
		wf.Steps = append([]fieldwork.Step{}, wf.Steps...)
		wf.Steps[1].StatusMapping = strp("Changed")
		if err := fx.Service.Store.Update(t.Context(), fx.OrgID, func(tx fieldwork.Tx) error { return tx.UpdateWorkflow(t.Context(), &wf) }); err != nil {
			t.Fatal(err)
		}
		fx.must(fx.do("POST", "/task/"+sub[1].(string)+"/done", fx.workerToken, map[string]any{}), 200)
		got := fx.must(fx.owner("GET", "/activity/"+m["_id"].(string), nil), 200).obj("data")
		if got["subStatus"] != "Delivered" || got["workflow"].(map[string]any)["name"] != "Pickup to Delivery" || got["workflow"].(map[string]any)["version"] != float64(1) {
			t.Fatalf("snapshot not kept: %v %v", got["subStatus"], got["workflow"])
		}
		// Force-deleting the workflow does not stop its activities either.
		fx.run(t, []apiCase{
			{"delete used workflow unconfirmed", "DELETE", "/workflow/" + fx.workflow.ID + "?force=true", "", nil, nil, 400, "workf-032"},
			{"force delete used workflow", "DELETE", "/workflow/" + fx.workflow.ID + "?force=true&confirmed=true", "", nil, nil, 200, ""},
			{"step still completes", "POST", "/task/" + sub[0].(string) + "/done", "", map[string]any{}, nil, 200, ""},
		})
		if got := fx.must(fx.owner("GET", "/activity/"+m["_id"].(string), nil), 200).obj("data"); got["status"] != "DONE" {
			t.Fatalf("activity after its workflow was deleted: %v", got["status"])
		}
		// DELETE /activity/{id} answers its message and removes everything.
		d := fx.must(fx.owner("DELETE", "/activity/"+m["_id"].(string), nil), 200)
		if d.str("message") != "Activity deleted successfully" {
			t.Fatalf("delete: %s", d.Raw)
		}
		if n := fx.taskCount(); n != 0 {
			t.Fatalf("%d tasks left", n)
		}
	})
}

func TestActivityLists(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		fx := newActivityFixture(t, true)
		var ids []string
		for i := 0; i < 4; i++ {
			ids = append(ids, fx.must(fx.owner("POST", "/activity", fx.body(map[string]any{"orderNo": fmt.Sprintf("O-%d", i)}, nil)), 201).obj("data")["_id"].(string))
		}
		other := fx.seedWorkflow("Other", true, []fieldwork.Step{{FlowID: fx.pickup.ID, FlowName: "Pickup"}})
		fx.must(fx.owner("POST", "/activity", map[string]any{"workflowId": other.ID, "hubId": fx.hub2, "tasks": []any{map[string]any{"orderNo": "x"}}}), 201)
		r := fx.must(fx.owner("GET", "/activities?pageSize=2&page=2&sort=createdTime&order=asc", nil), 200)
		d := r.obj("data")
		if d["total"] != float64(5) || d["currentPage"] != float64(2) || d["lastPage"] != float64(3) || d["perPage"] != float64(2) {
			t.Fatalf("activities page: %s", r.Raw)
		}
		if acts := d["activities"].([]any); len(acts) != 2 || acts[0].(map[string]any)["_id"] != ids[2] {
			t.Fatalf("order: %v", acts)
		}
		w := fx.must(fx.owner("GET", "/activities/workflow/"+fx.workflow.ID, nil), 200).obj("data")
		if w["total"] != float64(4) {
			t.Fatalf("by workflow: %v", w["total"])
		}
		if u := fx.must(fx.owner("GET", "/activities/workflow/000000000000000000000000", nil), 200).obj("data"); u["total"] != float64(0) {
			t.Fatalf("unknown workflow: %v", u)
		}
		f := fx.must(fx.owner("GET", "/activities?fields=title&limit=1&hubId="+fx.hub2, nil), 200).obj("data")
		item := f["activities"].([]any)[0].(map[string]any)
		if diff := cmp.Diff([]string{"_id", "organizationId", "title"}, keys(item)); diff != "" || item["title"] != "Other" {
			t.Fatalf("fields: %v", item)
		}
		fx.run(t, []apiCase{
			{"bad sort", "GET", "/activities?sort=nope", "", nil, nil, 400, "activ-032"},
			{"bad status", "GET", "/activities?status=LATE", "", nil, nil, 400, "activ-032"},
			{"page size too big", "GET", "/activities?pageSize=1001", "", nil, nil, 400, "activ-032"},
			{"status filter", "GET", "/activities?status=UNASSIGNED,ONGOING&sort=title", "", nil, nil, 200, ""},
		})
		// Bulk: each activity its own transaction.
		b := fx.must(fx.owner("POST", "/activities/bulk", map[string]any{"activities": []any{
			map[string]any{"workflowId": fx.workflow.ID, "hubId": fx.hub, "refId": "A", "tasks": []any{map[string]any{"orderNo": "1", "customerName": "C"}, map[string]any{}}},
			map[string]any{"workflowId": fx.workflow.ID, "hubId": fx.hub, "refId": "B", "tasks": []any{map[string]any{}}},
		}}), 201)
		items := b.Body["activities"].([]any)
		if b.Body["success"] != float64(1) || b.Body["failed"] != float64(1) || items[0].(map[string]any)["refId"] != "A" ||
			items[1].(map[string]any)["failedCode"] != "activ-032" || items[1].(map[string]any)["index"] != float64(1) {
			t.Fatalf("bulk: %s", b.Raw)
		}
	})
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// TestActivityConcurrentRollup completes the children of many activities from many
// goroutines at once; every master must then equal the roll-up recomputed from its children.
func TestActivityConcurrentRollup(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		fx := newActivityFixture(t, false)
		const activities = 12
		var masters []string
		var children [][]any
		for i := 0; i < activities; i++ {
			m := fx.must(fx.owner("POST", "/activity", fx.body(map[string]any{"assignee": "ana@acme.test"}, nil)), 201).obj("data")
			masters = append(masters, m["_id"].(string))
			children = append(children, m["subId"].([]any))
		}
		var wg sync.WaitGroup
		for i := range masters {
			for _, c := range children[i] {
				wg.Add(1)
				go func(id string) {
					defer wg.Done()
					sub := *fx.env
					r := sub.do("POST", "/task/"+id+"/done", fx.workerToken, map[string]any{})
					if r.Status != 200 {
						t.Errorf("done %s: %s", id, r.Raw)
					}
				}(c.(string))
			}
		}
		// A child change racing with its master's deletion: no orphan, no error but not-found.
		victim := fx.must(fx.owner("POST", "/activity", fx.body(map[string]any{"assignee": "ana@acme.test"}, nil)), 201).obj("data")
		vsub := victim["subId"].([]any)
		wg.Add(2)
		go func() {
			defer wg.Done()
			sub := *fx.env
			if r := sub.do("POST", "/task/"+vsub[0].(string)+"/done", fx.workerToken, map[string]any{}); r.Status != 200 && r.Status != 404 {
				t.Errorf("done racing delete: %s", r.Raw)
			}
		}()
		go func() {
			defer wg.Done()
			sub := *fx.env
			if r := sub.do("DELETE", "/activity/"+victim["_id"].(string), fx.Token, nil); r.Status != 200 {
				t.Errorf("delete racing done: %s", r.Raw)
			}
		}()
		wg.Wait()
		checkRollups(t, fx.env)
	})
}

// checkRollups recomputes every master of the organization from its stored children.
func checkRollups(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	err := e.Service.Store.View(ctx, e.OrgID, func(tx fieldwork.Tx) error {
		all, err := tx.FindTasks(ctx, fieldwork.TaskFilter{})
		if err != nil {
			return err
		}
		byID := map[string]*fieldwork.Task{}
		for _, task := range all {
			byID[task.ID] = task
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
					if byID[id] == nil {
						t.Errorf("master %s lost child %s", m.ID, id)
						continue
					}
					kids = append(kids, byID[id])
				}
				want := fieldwork.ComputeRollup(kids, m.Workflow.Steps)
				got := fieldwork.Rollup{Status: m.Status, SubStatus: m.SubStatus, Assignee: m.Assignee, StartTime: m.StartTime, EndTime: m.EndTime}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("master %s differs from its roll-up (-want +got)\n%s", m.ID, diff)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
