package httpapi_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

const deliveryFlow = `{"name": "Delivery", "pages": [
 {"id": "page0", "components": [
   {"component": "input", "id": "recipientName", "title": "Recipient", "required": true, "showAs": "title"},
   {"component": "input", "id": "weight", "title": "Weight", "type": "Numeric"},
   {"component": "select", "id": "size", "title": "Size", "options": ["S", "M", "L"]},
   {"component": "input", "id": "arriveBy", "title": "Arrive by", "type": "Datetime"}]},
 {"id": "page1", "components": [
   {"component": "photo", "id": "proof", "title": "Proof", "required": true},
   {"component": "input", "id": "note", "title": "Note"}]}],
 "configurations": [{"id": "startTime", "adjustment": 1}, {"id": "endTime", "adjustment": 48}]}`

// taskFixture is an environment with a hub, the Delivery flow and a Field User on the hub.
type taskFixture struct {
	*env
	hub, hub2   string
	worker      string // email of an active Field User on hub
	workerToken string
}

func newTaskFixture(t *testing.T) *taskFixture {
	e := newEnv(t)
	fx := &taskFixture{env: e, hub: e.seedHub("Jakarta"), hub2: e.seedHub("Bandung")}
	e.seedFlow(deliveryFlow)
	_, fx.workerToken = e.seedUser("ana@acme.test", "Field User", fx.hub)
	fx.worker = "ana@acme.test"
	return fx
}

func (fx *taskFixture) create(extra map[string]any) resp {
	fx.t.Helper()
	body := map[string]any{"flow": "Delivery", "hubId": fx.hub, "recipientName": "Budi"}
	for k, v := range extra {
		body[k] = v
	}
	return fx.must(fx.owner("POST", "/task", body), 201)
}

func TestTaskCreate(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		fx := newTaskFixture(t)
		before := time.Now().UTC().Truncate(time.Second)
		r := fx.create(map[string]any{"weight": "12.5", "size": "M", "arriveBy": "2026-01-02 10:00:00", "refId": "R-1", "unknownKey": 1, "status": "DONE"})
		task := r.obj("task")
		if r.str("message") != "Task has been created" || r.Body["code"] != float64(201) {
			t.Fatalf("envelope: %s", r.Raw)
		}
		if fmt.Sprint(r.obj("data")) != fmt.Sprint(task) {
			t.Fatalf("data differs from task")
		}
		want := map[string]any{"flow": "Delivery", "status": "UNASSIGNED", "taskType": "task", "title": "Budi",
			"weight": 12.5, "size": "M", "arriveBy": "2026-01-02T10:00:00+00:00", "refId": "R-1", "createdFrom": "API",
			"createdBy": "owner@acme.test", "version": float64(1), "hubId": fx.hub}
		for k, v := range want {
			if fmt.Sprint(task[k]) != fmt.Sprint(v) {
				t.Errorf("%s = %v, want %v", k, task[k], v)
			}
		}
		for _, k := range []string{"unknownKey", "parentId", "subId", "subStatus", "workflowId"} {
			if _, ok := task[k]; ok {
				t.Errorf("task has %s", k)
			}
		}
		start, err := time.Parse("2006-01-02T15:04:05+00:00", task["startTime"].(string))
		if err != nil {
			t.Fatal(err)
		}
		end, _ := time.Parse("2006-01-02T15:04:05+00:00", task["endTime"].(string))
		if d := start.Sub(before); d < time.Hour-2*time.Second || d > time.Hour+2*time.Second {
			t.Errorf("startTime %v not now+1h", start)
		}
		if d := end.Sub(start); d != 47*time.Hour {
			t.Errorf("endTime-startTime = %v", d)
		}
		if task["hub"].(map[string]any)["name"] != "Jakarta" {
			t.Errorf("hub = %v", task["hub"])
		}
		g := fx.must(fx.owner("GET", "/task/"+task["_id"].(string), nil), 200)
		if h := g.obj("task")["histories"].([]any); len(h) != 1 || h[0].(map[string]any)["action"] != "create" {
			t.Fatalf("histories: %v", g.obj("task")["histories"])
		}
		if g.Header.Get("ETag") != `"1"` {
			t.Fatalf("ETag %q", g.Header.Get("ETag"))
		}
		// With an assignee the task starts ONGOING.
		a := fx.create(map[string]any{"assignee": "ANA@acme.test"}).obj("task")
		if a["status"] != "ONGOING" || fmt.Sprint(a["assignee"]) != "[ana@acme.test]" || a["assignedTo"].(map[string]any)["email"] != "ana@acme.test" || a["assignedBy"] != "owner@acme.test" {
			t.Fatalf("assigned create: %v", a)
		}

		_, inactive := fx.seedUser("gone@acme.test", "Planner")
		_ = inactive
		_, _ = fx.seedUser("other@acme.test", "Field User", fx.hub2)
		fx.run(t, []apiCase{
			{"missing flow", "POST", "/task", "", map[string]any{"hubId": fx.hub, "recipientName": "x"}, nil, 400, "task-032"},
			{"unknown flow", "POST", "/task", "", map[string]any{"flow": "Nope", "hubId": fx.hub, "recipientName": "x"}, nil, 400, "task-032"},
			{"flow by id unknown", "POST", "/task", "", map[string]any{"flowId": "000000000000000000000000", "hubId": fx.hub}, nil, 400, "task-032"},
			{"missing hub", "POST", "/task", "", map[string]any{"flow": "Delivery", "recipientName": "x"}, nil, 400, "task-032"},
			{"unknown hub", "POST", "/task", "", map[string]any{"flow": "Delivery", "hubId": "000000000000000000000000", "recipientName": "x"}, nil, 400, "task-032"},
			{"required missing", "POST", "/task", "", map[string]any{"flow": "Delivery", "hubId": fx.hub}, nil, 400, "task-032"},
			{"bad numeric", "POST", "/task", "", map[string]any{"flow": "Delivery", "hubId": fx.hub, "recipientName": "x", "weight": "heavy"}, nil, 400, "task-032"},
			{"bad option", "POST", "/task", "", map[string]any{"flow": "Delivery", "hubId": fx.hub, "recipientName": "x", "size": "XL"}, nil, 400, "task-032"},
			{"bad datetime", "POST", "/task", "", map[string]any{"flow": "Delivery", "hubId": fx.hub, "recipientName": "x", "arriveBy": "tomorrow"}, nil, 400, "task-032"},
			{"bad startTime", "POST", "/task", "", map[string]any{"flow": "Delivery", "hubId": fx.hub, "recipientName": "x", "startTime": "yesterday"}, nil, 400, "task-032"},
			{"start after end", "POST", "/task", "", map[string]any{"flow": "Delivery", "hubId": fx.hub, "recipientName": "x", "startTime": "2026-01-02 00:00:00", "endTime": "2026-01-01 00:00:00"}, nil, 400, "task-032"},
			{"taskType master", "POST", "/task", "", map[string]any{"flow": "Delivery", "hubId": fx.hub, "recipientName": "x", "taskType": "activityMaster"}, nil, 400, "task-032"},
			{"parentId", "POST", "/task", "", map[string]any{"flow": "Delivery", "hubId": fx.hub, "recipientName": "x", "parentId": "000000000000000000000000"}, nil, 400, "task-032"},
			{"bad createdFrom", "POST", "/task", "", map[string]any{"flow": "Delivery", "hubId": fx.hub, "recipientName": "x", "createdFrom": "Fax"}, nil, 400, "task-032"},
			{"wrong type orderIndex", "POST", "/task", "", map[string]any{"flow": "Delivery", "hubId": fx.hub, "recipientName": "x", "orderIndex": "first"}, nil, 400, "task-032"},
			{"unknown assignee", "POST", "/task", "", map[string]any{"flow": "Delivery", "hubId": fx.hub, "recipientName": "x", "assignee": []string{"nobody@acme.test"}}, nil, 400, "task-036"},
			{"assignee without hub access", "POST", "/task", "", map[string]any{"flow": "Delivery", "hubId": fx.hub, "recipientName": "x", "assignee": "other@acme.test"}, nil, 400, "task-036"},
			{"bad assignee email", "POST", "/task", "", map[string]any{"flow": "Delivery", "hubId": fx.hub, "recipientName": "x", "assignee": "not-an-email"}, nil, 400, "task-032"},
			{"assignee wrong type", "POST", "/task", "", map[string]any{"flow": "Delivery", "hubId": fx.hub, "recipientName": "x", "assignee": 5}, nil, 400, "task-032"},
			{"malformed json", "POST", "/task", "", `{"flow":`, nil, 400, "req-013"},
			{"not an object", "POST", "/task", "", `"task"`, nil, 400, "req-013"},
			{"too large", "POST", "/task", "", `{"flow":"` + strings.Repeat("x", 1<<20) + `"}`, nil, 413, "req-040"},
			{"field user cannot create", "POST", "/task", fx.workerToken, map[string]any{"flow": "Delivery", "hubId": fx.hub, "recipientName": "x"}, nil, 403, "auth-003"},
			{"read malformed id", "GET", "/task/nope", "", nil, nil, 404, "task-033"},
			{"read unknown id", "GET", "/task/000000000000000000000000", "", nil, nil, 404, "task-033"},
		})
	})
}

func TestTaskLifecycle(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		fx := newTaskFixture(t)
		id := fx.create(nil).obj("task")["_id"].(string)
		p := "/task/" + id
		fx.run(t, []apiCase{
			{"done unassigned", "POST", p + "/done", "", map[string]any{}, nil, 400, "task-032"},
			{"assign unknown", "PUT", p + "/assign", "", map[string]any{"assignee": []string{"x@acme.test"}}, nil, 400, "task-036"},
			{"assign missing key", "PUT", p + "/assign", "", map[string]any{}, nil, 400, "task-032"},
			{"field user cannot see unassigned", "GET", p, fx.workerToken, nil, nil, 404, "task-033"},
			{"assign", "PUT", p + "/assign", "", map[string]any{"assignee": "ana@acme.test"}, nil, 200, ""},
			{"field user sees assigned", "GET", p, fx.workerToken, nil, nil, 200, ""},
			{"field user cannot patch", "PATCH", p, fx.workerToken, map[string]any{"recipientName": "y"}, nil, 403, "auth-003"},
			{"move to hub the assignee cannot reach", "PUT", p + "/move", "", map[string]any{"hubId": fx.hub2}, nil, 400, "task-036"},
			{"move unknown hub", "PUT", p + "/move", "", map[string]any{"hubId": "000000000000000000000000"}, nil, 400, "task-032"},
			{"put needs flow and hub", "PUT", p, "", map[string]any{"recipientName": "y"}, nil, 400, "task-032"},
			{"put other flow", "PUT", p, "", map[string]any{"flow": "Other", "hubId": fx.hub, "recipientName": "y"}, nil, 400, "task-032"},
			{"put", "PUT", p, "", map[string]any{"flow": "Delivery", "hubId": fx.hub, "recipientName": "Citra", "weight": 3}, nil, 200, ""},
			{"patch", "PATCH", p, "", map[string]any{"size": "L"}, nil, 200, ""},
			{"patch bad value", "PATCH", p, "", map[string]any{"size": "XXL"}, nil, 400, "task-032"},
			{"patch status ongoing→unassigned refused", "PATCH", p, "", map[string]any{"status": "UNASSIGNED"}, nil, 400, "task-032"},
			{"patch parentId refused", "PATCH", p, "", map[string]any{"parentId": "000000000000000000000000"}, nil, 400, "task-032"},
			{"stale if-match", "PATCH", p, "", map[string]any{"note": "x"}, []string{"If-Match", `"1"`}, 412, "etag-032"},
			{"done missing required later page", "POST", p + "/done", fx.workerToken, map[string]any{"note": "ok"}, nil, 400, "task-032"},
			{"done", "POST", p + "/done", fx.workerToken, map[string]any{"proof": []string{"https://img.test/p.jpg"}, "doneCoordinate": "-6.2,106.8"}, nil, 200, ""},
			{"done again", "POST", p + "/done", "", map[string]any{}, nil, 400, "task-032"},
			{"patch after done", "PATCH", p, "", map[string]any{"note": "late"}, nil, 400, "task-032"},
			{"assign after done", "PUT", p + "/assign", "", map[string]any{"assignee": []string{}}, nil, 400, "task-032"},
		})
		g := fx.must(fx.owner("GET", p, nil), 200).obj("task")
		if g["status"] != "DONE" || g["doneBy"] != "ana@acme.test" || g["doneFrom"] != "WEB" || g["doneCoordinate"] != "-6.2,106.8" ||
			g["recipientName"] != "Citra" || g["title"] != "Citra" || g["size"] != "L" || g["weight"] != float64(3) {
			t.Fatalf("task after lifecycle: %v", g)
		}
		var actions []string
		for _, h := range g["histories"].([]any) {
			actions = append(actions, h.(map[string]any)["action"].(string))
		}
		if got := strings.Join(actions, ","); got != "create,assign,put,patch,done" {
			t.Fatalf("history actions %s", got)
		}
		put := g["histories"].([]any)[2].(map[string]any)
		if ch := put["changes"].(map[string]any)["recipientName"].(map[string]any); ch["from"] != "Budi" || ch["to"] != "Citra" {
			t.Fatalf("put changes: %v", put)
		}
		if put["changeData"].(map[string]any)["recipientName"] != "Budi" || put["notes"] != "Updated by Owner" {
			t.Fatalf("put entry: %v", put)
		}
		hs := fx.must(fx.owner("GET", p+"/histories?limit=2", nil), 200)
		page := hs.obj("data")
		if page["total"] != float64(5) || page["data"].([]any)[0].(map[string]any)["action"] != "done" {
			t.Fatalf("histories page: %s", hs.Raw)
		}

		// PUT clears omitted component values; unassign with []; move; done after endTime.
		id2 := fx.create(map[string]any{"weight": 1, "assignee": []string{"ana@acme.test"}}).obj("task")["_id"].(string)
		r := fx.must(fx.owner("PUT", "/task/"+id2, map[string]any{"flow": "Delivery", "hubId": fx.hub, "recipientName": "Dewi"}), 200).obj("task")
		if _, ok := r["weight"]; ok {
			t.Fatalf("PUT kept omitted weight: %v", r)
		}
		r = fx.must(fx.owner("PUT", "/task/"+id2+"/assign", map[string]any{"assignee": []string{}}), 200).obj("task")
		if r["status"] != "UNASSIGNED" || r["assignedTo"] != nil || len(r["assignee"].([]any)) != 0 {
			t.Fatalf("unassign: %v", r)
		}
		r = fx.must(fx.owner("PUT", "/task/"+id2+"/move", map[string]any{"hubId": fx.hub2}), 200).obj("task")
		if r["hubId"] != fx.hub2 || r["hub"].(map[string]any)["name"] != "Bandung" {
			t.Fatalf("move: %v", r)
		}
		past := fx.create(map[string]any{"assignee": "ana@acme.test", "startTime": "2020-01-01 00:00:00", "endTime": "2020-01-02 00:00:00"}).obj("task")["_id"].(string)
		fx.run(t, []apiCase{{"done after endTime", "POST", "/task/" + past + "/done", "", map[string]any{"proof": []string{"https://img.test/p.jpg"}}, nil, 400, "task-032"}})

		// DELETE answers the deleted task.
		d := fx.must(fx.owner("DELETE", "/task/"+id2, nil), 200)
		if d.obj("task")["_id"] != id2 {
			t.Fatalf("delete answer: %s", d.Raw)
		}
		fx.run(t, []apiCase{{"read deleted", "GET", "/task/" + id2, "", nil, nil, 404, "task-033"}})
	})
}

func TestTaskList(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		fx := newTaskFixture(t)
		var ids []string
		for i := 0; i < 25; i++ {
			extra := map[string]any{"recipientName": fmt.Sprintf("R%02d", i), "orderIndex": 25 - i}
			if i%5 == 0 {
				extra["assignee"] = "ana@acme.test"
			}
			if i == 24 {
				extra["hubId"] = fx.hub2
				delete(extra, "assignee")
			}
			ids = append(ids, fx.create(extra).obj("task")["_id"].(string))
		}
		r := fx.must(fx.owner("GET", "/tasks?limit=10&page=2", nil), 200)
		p := r.obj("tasks")
		if p["total"] != float64(25) || p["current_page"] != float64(2) || p["last_page"] != float64(3) || p["from"] != float64(11) || p["to"] != float64(20) {
			t.Fatalf("paginator: %s", r.Raw)
		}
		if !strings.HasPrefix(p["next_page_url"].(string), fx.URL+"/api/v3/tasks?") || !strings.Contains(p["next_page_url"].(string), "page=3") {
			t.Fatalf("next_page_url %v", p["next_page_url"])
		}
		if p["path"] != fx.URL+"/api/v3/tasks" || len(p["links"].([]any)) != 5 {
			t.Fatalf("path/links: %v %v", p["path"], p["links"])
		}
		if r.str("message") != "Success." || r.str("dataVersion") == "" || r.obj("metadata", "counting")["ongoingTotal"] != float64(5) {
			t.Fatalf("list envelope: %s", r.Raw)
		}
		if _, dup := r.Body["data"]; dup {
			t.Fatalf("list pages must not repeat under data")
		}
		first := p["data"].([]any)[0].(map[string]any)
		if first["_id"] != ids[14] { // newest first: page 2 starts at the 15th newest... ids[24-10]
			t.Fatalf("order: got %v want %v", first["_id"], ids[14])
		}

		count := func(query string) int {
			t.Helper()
			r := fx.must(fx.owner("GET", "/tasks?"+query, nil), 200)
			return int(r.obj("tasks")["total"].(float64))
		}
		for q, want := range map[string]int{
			"status=ONGOING":            5,
			"status=UNASSIGNED,ONGOING": 25,
			"flow=Delivery":             25,
			"flow=Nope":                 0,
			"hubId=" + fx.hub2:          1,
			"assignee=ANA@acme.test":    5,
			"q=r0":                      10,
			"taskType=task":             25,
			"taskType=activityMaster":   0,
			"timeBy=createdTime&timeFrom=2000-01-01T00:00:00Z": 25,
			"timeTo=2000-01-01%2000:00:00":                     0,
			"active=true":                                      0,
			"isVisit=true":                                     25,
			"doneBy=ana":                                       0,
		} {
			if got := count(q); got != want {
				t.Errorf("%s: %d tasks, want %d", q, got, want)
			}
		}
		// fields keeps _id.
		fr := fx.must(fx.owner("GET", "/tasks?fields=title&limit=1", nil), 200)
		item := fr.obj("tasks")["data"].([]any)[0].(map[string]any)
		if len(item) != 2 || item["_id"] == nil || item["title"] == nil {
			t.Fatalf("fields: %v", item)
		}
		// sortBy orderIndex asc.
		sr := fx.must(fx.owner("GET", "/tasks?sortBy=orderIndex&sortOrder=asc&limit=1", nil), 200)
		if sr.obj("tasks")["data"].([]any)[0].(map[string]any)["_id"] != ids[24] {
			t.Fatalf("sort by orderIndex asc")
		}
		// Keyset: walk everything 7 at a time.
		var walked []string
		cursor := ""
		for i := 0; i < 10; i++ {
			q := "lazyLoad=1&limit=7&sortBy=orderIndex&sortOrder=desc"
			if cursor != "" {
				q += "&cursor=" + cursor
			}
			kr := fx.must(fx.owner("GET", "/tasks?"+q, nil), 200)
			kp := kr.obj("tasks")
			if kp["total"] != nil || kp["last_page"] != nil || len(kp["links"].([]any)) != 0 || kr.obj("metadata", "counting")["doneTotal"] != nil {
				t.Fatalf("keyset paginator: %s", kr.Raw)
			}
			for _, it := range kp["data"].([]any) {
				walked = append(walked, it.(map[string]any)["_id"].(string))
			}
			if kp["next_cursor"] == nil {
				if kp["next_page_url"] != nil {
					t.Fatalf("next_page_url at the end")
				}
				break
			}
			cursor = kp["next_cursor"].(string)
			u, _ := url.Parse(kp["next_page_url"].(string))
			if u.Query().Get("cursor") != cursor {
				t.Fatalf("next_page_url cursor")
			}
		}
		if len(walked) != 25 || walked[0] != ids[0] || walked[24] != ids[24] {
			t.Fatalf("keyset walk: %d items", len(walked))
		}
		// Field User sees only their tasks.
		wr := fx.must(fx.do("GET", "/tasks", fx.workerToken, nil), 200)
		if wr.obj("tasks")["total"] != float64(5) {
			t.Fatalf("field user sees %v tasks", wr.obj("tasks")["total"])
		}
		// Hub-restricted planner sees only hub2.
		_, hubTok := fx.seedUser("plan@acme.test", "Planner", fx.hub2)
		if hr := fx.must(fx.do("GET", "/tasks", hubTok, nil), 200); hr.obj("tasks")["total"] != float64(1) {
			t.Fatalf("hub-restricted sees %v", hr.obj("tasks")["total"])
		}
		fx.run(t, []apiCase{
			{"unknown status", "GET", "/tasks?status=LATE", "", nil, nil, 400, "task-032"},
			{"unknown sort", "GET", "/tasks?sortBy=title", "", nil, nil, 400, "task-032"},
			{"bad limit", "GET", "/tasks?limit=0", "", nil, nil, 400, "task-032"},
			{"limit too big", "GET", "/tasks?limit=1001", "", nil, nil, 400, "task-032"},
			{"bad page", "GET", "/tasks?page=x", "", nil, nil, 400, "task-032"},
			{"bad timeFrom", "GET", "/tasks?timeFrom=soon", "", nil, nil, 400, "task-032"},
			{"unknown cursor", "GET", "/tasks?lazyLoad=1&cursor=000000000000000000000000", "", nil, nil, 400, "task-032"},
			{"cursor not visible to hub user", "GET", "/tasks?cursor=" + ids[0], hubTok, nil, nil, 400, "task-032"},
			{"unknown query param ignored", "GET", "/tasks?whatever=1", "", nil, nil, 200, ""},
		})
	})
}

func TestTaskBulk(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		fx := newTaskFixture(t)
		r := fx.must(fx.owner("POST", "/tasks/bulk/", map[string]any{"tasks": []any{
			map[string]any{"flow": "Delivery", "hubId": fx.hub, "recipientName": "A", "refId": "a"},
			map[string]any{"flow": "Delivery", "hubId": fx.hub, "refId": "b"},
			"not an object",
			map[string]any{"flow": "Delivery", "hubId": fx.hub, "recipientName": "C"},
		}}), 201)
		if r.Body["success"] != float64(2) || r.Body["failed"] != float64(2) {
			t.Fatalf("bulk create: %s", r.Raw)
		}
		items := r.Body["tasks"].([]any)
		ok0, bad1 := items[0].(map[string]any), items[1].(map[string]any)
		if ok0["status"] != true || ok0["message"] != "Task has been created" || ok0["refId"] != "a" || ok0["index"] != float64(0) {
			t.Fatalf("item 0: %v", ok0)
		}
		if bad1["status"] != false || bad1["failedCode"] != "task-032" || bad1["refId"] != "b" || len(bad1["errors"].([]any)) == 0 {
			t.Fatalf("item 1: %v", bad1)
		}
		if _, ok := r.Body["data"]; ok {
			t.Fatalf("bulk answers carry no data")
		}
		a, c := ok0["_id"].(string), items[3].(map[string]any)["_id"].(string)
		for _, tc := range []struct {
			method, path string
			items        []any
			success      int
		}{
			{"PUT", "/tasks/bulk/assign", []any{map[string]any{"_id": a, "assignee": []string{"ana@acme.test"}}, map[string]any{"_id": c, "assignee": "nobody@acme.test"}}, 1},
			{"PUT", "/tasks/bulk/move", []any{map[string]any{"_id": c, "hubId": fx.hub2}, map[string]any{"hubId": fx.hub2}}, 1},
			{"PATCH", "/tasks/bulk", []any{map[string]any{"_id": a, "size": "S"}, map[string]any{"_id": "000000000000000000000000", "size": "S"}}, 1},
			{"PUT", "/tasks/bulk", []any{map[string]any{"_id": c, "flow": "Delivery", "hubId": fx.hub2, "recipientName": "CC"}, map[string]any{"_id": a, "flow": "Delivery"}}, 1},
			{"DELETE", "/tasks/bulk", []any{map[string]any{"_id": c}, map[string]any{"_id": c}}, 1},
		} {
			br := fx.must(fx.owner(tc.method, tc.path, map[string]any{"tasks": tc.items}), 200)
			if br.Body["success"] != float64(tc.success) || br.Body["failed"] != float64(len(tc.items)-tc.success) {
				t.Fatalf("%s %s: %s", tc.method, tc.path, br.Raw)
			}
			first := br.Body["tasks"].([]any)[0].(map[string]any)
			if first["message"] != "Success" {
				t.Fatalf("%s %s item message: %v", tc.method, tc.path, first)
			}
		}
		got := fx.must(fx.owner("GET", "/task/"+a, nil), 200).obj("task")
		if got["status"] != "ONGOING" || got["size"] != "S" {
			t.Fatalf("after bulk: %v", got)
		}
		fx.run(t, []apiCase{
			{"bulk without tasks", "POST", "/tasks/bulk", "", map[string]any{}, nil, 400, "task-032"},
			{"bulk empty", "PATCH", "/tasks/bulk", "", map[string]any{"tasks": []any{}}, nil, 400, "task-032"},
			{"bulk tasks not array", "PUT", "/tasks/bulk/assign", "", map[string]any{"tasks": "x"}, nil, 400, "task-032"},
			{"bulk too many", "POST", "/tasks/bulk", "", map[string]any{"tasks": make([]any, 2001)}, nil, 400, "task-032"},
		})
	})
}

func TestTaskIsolation(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		fx := newTaskFixture(t)
		id := fx.create(nil).obj("task")["_id"].(string)
		_, _, other, err := fx.Service.CreateOrganization(t.Context(), "Other", "boss@other.test", "")
		if err != nil {
			t.Fatal(err)
		}
		fx.run(t, []apiCase{
			{"read", "GET", "/task/" + id, other, nil, nil, 404, "task-033"},
			{"patch", "PATCH", "/task/" + id, other, map[string]any{"recipientName": "x"}, nil, 404, "task-033"},
			{"delete", "DELETE", "/task/" + id, other, nil, nil, 404, "task-033"},
			{"histories", "GET", "/task/" + id + "/histories", other, nil, nil, 404, "task-033"},
			{"create on foreign hub", "POST", "/task", other, map[string]any{"flow": "Delivery", "hubId": fx.hub, "recipientName": "x"}, nil, 400, "task-032"},
		})
		if r := fx.must(fx.do("GET", "/tasks", other, nil), 200); r.obj("tasks")["total"] != float64(0) {
			t.Fatalf("other organization lists %v tasks", r.obj("tasks")["total"])
		}
	})
}

func TestTaskFixedShapeBodies(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		fx := newTaskFixture(t)
		id := fx.create(nil).obj("task")["_id"].(string)
		fx.run(t, []apiCase{
			{"assign unknown key", "PUT", "/task/" + id + "/assign", "", map[string]any{"assignee": []string{}, "x": 1}, nil, 400, "task-032"},
			{"move unknown key", "PUT", "/task/" + id + "/move", "", map[string]any{"hubId": fx.hub2, "x": 1}, nil, 400, "task-032"},
			{"move missing hub", "PUT", "/task/" + id + "/move", "", map[string]any{}, nil, 400, "task-032"},
			{"assign via POST alias", "POST", "/task/" + id + "/assign", "", map[string]any{"assignee": "ana@acme.test"}, nil, 200, ""},
		})
	})
}
