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

// event is the part of an event a test compares: its type, task and activity.
type event struct {
	Type, Task, Activity string
}

func (ev event) String() string { return ev.Type + " " + ev.Task + " " + ev.Activity }

// readEvents follows GET /events from the start with pages of limit, as a client catching up
// would, and returns every event in order. It checks the page shapes on the way: sequence
// numbers 1, 2, 3, … without a gap, next_after, and the keys of each event.
func readEvents(t *testing.T, e *env, limit int) []map[string]any {
	t.Helper()
	var all []map[string]any
	after := 0
	for {
		r := e.must(e.owner("GET", fmt.Sprintf("/events?after=%d&limit=%d", after, limit), nil), 200)
		if r.str("message") != "Success" || r.Body["status"] != true || r.Body["code"] != float64(200) {
			t.Fatalf("envelope: %s", r.Raw)
		}
		page, ok := r.Body["data"].([]any)
		if !ok || len(page) > limit {
			t.Fatalf("page after %d: %s", after, r.Raw)
		}
		for _, item := range page {
			ev := item.(map[string]any)
			after++
			if ev["sequence"] != float64(after) {
				t.Fatalf("sequence %v where %d was due: %s", ev["sequence"], after, r.Raw)
			}
			checkEventKeys(t, e, ev)
			all = append(all, ev)
		}
		if r.Body["next_after"] != float64(after) {
			t.Fatalf("next_after %v, want %d", r.Body["next_after"], after)
		}
		if len(page) == 0 {
			return all
		}
	}
}

// checkEventKeys checks the keys every event has (SPEC §8).
func checkEventKeys(t *testing.T, e *env, ev map[string]any) {
	t.Helper()
	id, _ := ev["_id"].(string)
	occurred, _ := ev["occurredTime"].(string)
	data, _ := ev["data"].(map[string]any)
	if _, err := time.Parse(fieldwork.TaskLayout, occurred); err != nil || !strings.HasSuffix(occurred, "+00:00") {
		t.Errorf("occurredTime %q: %v", occurred, err)
	}
	if !fieldwork.ValidID(id) || ev["organizationId"] != e.OrgID || data == nil || data["_id"] != ev["taskId"] {
		t.Errorf("event keys: %v", ev)
	}
	if _, ok := ev["activityId"]; ok != (data["taskType"] != fieldwork.TaskTypeTask) {
		t.Errorf("activityId present %v on a %v: %v", ok, data["taskType"], ev)
	}
}

// summary reduces events to what a test compares, naming tasks through names.
func summary(events []map[string]any, names map[string]string) []event {
	out := []event{}
	for _, ev := range events {
		act, _ := ev["activityId"].(string)
		task := ev["taskId"].(string)
		if n, ok := names[task]; ok {
			task = n
		}
		if n, ok := names[act]; ok {
			act = n
		}
		out = append(out, event{ev["type"].(string), task, act})
	}
	return out
}

// TestEvents makes every kind of task and activity change and reads the feed: one event per
// committed change, of the right type, in order, with gap-free sequences; refused and no-op
// requests leave none.
func TestEvents(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		fx := newActivityFixture(t, true)
		names := map[string]string{}
		var want []event
		expect := func(typ, task, activity string) { want = append(want, event{typ, task, activity}) }

		// A plain task through its whole life.
		task := fx.must(fx.owner("POST", "/task", map[string]any{"flow": "Pickup", "hubId": fx.hub, "orderNo": "A-1"}), 201).obj("task")
		tp := "/task/" + task["_id"].(string)
		names[task["_id"].(string)] = "task"
		expect(fieldwork.EventTaskCreated, "task", "")
		fx.must(fx.owner("PATCH", tp, map[string]any{"customerName": "Budi"}), 200)
		expect(fieldwork.EventTaskUpdated, "task", "")
		fx.must(fx.owner("PATCH", tp, map[string]any{"customerName": "Budi"}), 200) // no change: no event
		fx.must(fx.owner("PATCH", tp, map[string]any{"parcels": "many"}), 400)      // refused: no event
		fx.must(fx.owner("PUT", tp, map[string]any{"flow": "Pickup", "hubId": fx.hub, "orderNo": "A-2"}), 200)
		expect(fieldwork.EventTaskUpdated, "task", "")
		fx.must(fx.owner("PUT", tp+"/move", map[string]any{"hubId": fx.hub2}), 200)
		expect(fieldwork.EventTaskUpdated, "task", "")
		fx.must(fx.owner("PUT", tp+"/move", map[string]any{"hubId": fx.hub}), 200)
		expect(fieldwork.EventTaskUpdated, "task", "")
		fx.must(fx.owner("PUT", tp+"/assign", map[string]any{"assignee": "ana@acme.test"}), 200)
		expect(fieldwork.EventTaskAssigned, "task", "")
		fx.must(fx.owner("PUT", tp+"/assign", map[string]any{"assignee": []string{}}), 200)
		expect(fieldwork.EventTaskAssigned, "task", "")
		// One PATCH that edits, assigns and completes: one event per effect, in that order.
		fx.must(fx.owner("PATCH", tp, map[string]any{"customerName": "Citra", "assignee": "ana@acme.test", "status": "DONE"}), 200)
		expect(fieldwork.EventTaskUpdated, "task", "")
		expect(fieldwork.EventTaskAssigned, "task", "")
		expect(fieldwork.EventTaskDone, "task", "")
		fx.must(fx.owner("DELETE", tp, nil), 200)
		expect(fieldwork.EventTaskDeleted, "task", "")

		// An activity: created, edited, its steps changed with and without a status change of
		// the master, completed, deleted.
		m := fx.must(fx.owner("POST", "/activity", fx.body(nil, nil)), 201).obj("data")
		sub := m["subId"].([]any)
		names[m["_id"].(string)], names[sub[0].(string)], names[sub[1].(string)] = "master", "pickup", "drop"
		mp, c0, c1 := "/task/"+m["_id"].(string), "/task/"+sub[0].(string), "/task/"+sub[1].(string)
		expect(fieldwork.EventActivityCreated, "master", "master")
		expect(fieldwork.EventTaskCreated, "pickup", "master")
		expect(fieldwork.EventTaskCreated, "drop", "master")
		fx.must(fx.owner("PATCH", mp, map[string]any{"title": "Job 42"}), 200)
		expect(fieldwork.EventTaskUpdated, "master", "master")
		// A step's value: the master's derived keys stay, so no roll-up.
		fx.must(fx.owner("PATCH", c0, map[string]any{"customerName": "Dewi"}), 200)
		expect(fieldwork.EventTaskUpdated, "pickup", "master")
		// A step's start time: the master's startTime follows, its status does not.
		fx.must(fx.owner("PATCH", c0, map[string]any{"startTime": "2020-01-01 00:00:00"}), 200)
		expect(fieldwork.EventTaskUpdated, "pickup", "master")
		expect(fieldwork.EventTaskUpdated, "master", "master")
		fx.must(fx.owner("PUT", c0+"/assign", map[string]any{"assignee": "ana@acme.test"}), 200)
		expect(fieldwork.EventTaskAssigned, "pickup", "master")
		// Step 1 done: the drop step receives the mapped name, the master its subStatus.
		fx.must(fx.owner("POST", c0+"/done", map[string]any{}), 200)
		expect(fieldwork.EventTaskDone, "pickup", "master")
		expect(fieldwork.EventTaskUpdated, "drop", "master")
		expect(fieldwork.EventActivityStatusChanged, "master", "master")
		fx.must(fx.do("POST", c1+"/done", fx.workerToken, map[string]any{}), 200)
		expect(fieldwork.EventTaskDone, "drop", "master")
		expect(fieldwork.EventActivityStatusChanged, "master", "master")
		fx.must(fx.owner("DELETE", "/activity/"+m["_id"].(string), nil), 200)
		expect(fieldwork.EventTaskDeleted, "pickup", "master")
		expect(fieldwork.EventTaskDeleted, "drop", "master")
		expect(fieldwork.EventTaskDeleted, "master", "master")

		all := readEvents(t, fx.env, 1000)
		if d := cmp.Diff(want, summary(all, names)); d != "" {
			t.Fatalf("events (-want +got):\n%s", d)
		}
		// Pages of any size concatenate to the whole feed.
		for _, limit := range []int{1, 4, 7} {
			if d := cmp.Diff(all, readEvents(t, fx.env, limit)); d != "" {
				t.Errorf("pages of %d differ from one page (-one +paged):\n%s", limit, d)
			}
		}

		// The data is the task after the change, or as it was for a deletion.
		for i, check := range []struct {
			key  string
			want any
		}{
			{"orderNo", "A-1"}, {"customerName", "Budi"}, {"orderNo", "A-2"}, {"hubId", fx.hub2}, {"hubId", fx.hub},
			{"status", "ONGOING"}, {"status", "UNASSIGNED"}, {"customerName", "Citra"}, {"assignee", []any{"ana@acme.test"}},
			{"status", "DONE"}, {"status", "DONE"},
		} {
			if got := all[i]["data"].(map[string]any)[check.key]; !cmp.Equal(got, check.want) {
				t.Errorf("event %d (%s): data.%s = %v, want %v", i+1, all[i]["type"], check.key, got, check.want)
			}
		}
		if d := all[len(all)-1]["data"].(map[string]any); d["title"] != "Job 42" || d["status"] != "DONE" || d["subStatus"] != "Delivered" {
			t.Errorf("the master's deletion carries %v", d)
		}
		for _, ev := range all {
			if ev["type"] == fieldwork.EventActivityStatusChanged {
				if d := ev["data"].(map[string]any); d["subStatus"] == nil {
					t.Errorf("status change without subStatus: %v", d)
				}
			}
		}

		// The page after the end is empty and keeps the position.
		last := len(all)
		r := fx.must(fx.owner("GET", fmt.Sprintf("/events?after=%d", last+10), nil), 200)
		if d, _ := r.Body["data"].([]any); d == nil || len(d) != 0 || r.Body["next_after"] != float64(last+10) {
			t.Errorf("page beyond the end: %s", r.Raw)
		}
		r = fx.must(fx.owner("GET", "/events", nil), 200)
		if d := r.Body["data"].([]any); len(d) != last || r.Body["next_after"] != float64(last) {
			t.Errorf("defaults: %d events, next_after %v", len(d), r.Body["next_after"])
		}
	})
}

// TestEventsDefaultLimit checks that a page holds 100 events unless asked otherwise.
func TestEventsDefaultLimit(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		e := newEnv(t)
		hub := e.seedHub("Jakarta")
		e.seedFlow(pickupFlow)
		tasks := make([]map[string]any, 101)
		for i := range tasks {
			tasks[i] = map[string]any{"flow": "Pickup", "hubId": hub, "orderNo": fmt.Sprint("A-", i)}
		}
		e.must(e.owner("POST", "/tasks/bulk", map[string]any{"tasks": tasks}), 201)
		r := e.must(e.owner("GET", "/events", nil), 200)
		if d := r.Body["data"].([]any); len(d) != 100 || r.Body["next_after"] != float64(100) {
			t.Fatalf("default page: %d events, next_after %v", len(d), r.Body["next_after"])
		}
		r = e.must(e.owner("GET", "/events?after=100", nil), 200)
		if d := r.Body["data"].([]any); len(d) != 1 || r.Body["next_after"] != float64(101) {
			t.Fatalf("second page: %d events, next_after %v", len(d), r.Body["next_after"])
		}
	})
}

// TestEventsAccess checks who may read the feed and the refused queries.
func TestEventsAccess(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		e := newEnv(t)
		hub := e.seedHub("Jakarta")
		_, admin := e.seedUser("admin@acme.test", "Admin")
		_, hubAdmin := e.seedUser("hubadmin@acme.test", "Admin", hub)
		_, planner := e.seedUser("planner@acme.test", "Planner")
		_, worker := e.seedUser("worker@acme.test", "Field User", hub)
		e.run(t, []apiCase{
			{"owner", "GET", "/events", "", nil, nil, 200, ""},
			{"trailing slash", "GET", "/events/", "", nil, nil, 200, ""},
			{"admin", "GET", "/events", admin, nil, nil, 200, ""},
			{"hub-restricted admin", "GET", "/events", hubAdmin, nil, nil, 403, "auth-003"},
			{"planner", "GET", "/events", planner, nil, nil, 403, "auth-003"},
			{"field user", "GET", "/events", worker, nil, nil, 403, "auth-003"},
			{"no token", "GET", "/events", "-", nil, nil, 401, "auth-001"},
			{"after and limit", "GET", "/events?after=0&limit=1000", "", nil, nil, 200, ""},
			{"after far ahead", "GET", "/events?after=9223372036854775807", "", nil, nil, 200, ""},
			{"unknown parameter ignored", "GET", "/events?page=3", "", nil, nil, 200, ""},
			{"negative after", "GET", "/events?after=-1", "", nil, nil, 400, "event-032"},
			{"after not a number", "GET", "/events?after=abc", "", nil, nil, 400, "event-032"},
			{"fractional after", "GET", "/events?after=1.5", "", nil, nil, 400, "event-032"},
			{"after too large", "GET", "/events?after=9223372036854775808", "", nil, nil, 400, "event-032"},
			{"limit zero", "GET", "/events?limit=0", "", nil, nil, 400, "event-032"},
			{"limit too large", "GET", "/events?limit=1001", "", nil, nil, 400, "event-032"},
			{"limit not a number", "GET", "/events?limit=ten", "", nil, nil, 400, "event-032"},
			{"wrong method", "POST", "/events", "", nil, nil, 405, "req-046"},
		})
		r := e.must(e.owner("GET", "/events?after=x&limit=0", nil), 400)
		if fe, _ := r.Body["fieldErrors"].([]any); len(fe) != 2 {
			t.Errorf("both bad parameters reported: %s", r.Raw)
		}
	})
}

// TestEventsIsolation checks that each organization has its own feed and numbering.
func TestEventsIsolation(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		a := newEnv(t)
		hub := a.seedHub("Jakarta")
		a.seedFlow(pickupFlow)
		for i := 0; i < 3; i++ {
			a.must(a.owner("POST", "/task", map[string]any{"flow": "Pickup", "hubId": hub, "orderNo": "A"}), 201)
		}
		org, _, secret, err := a.Service.CreateOrganization(context.Background(), "Beta", "owner@beta.test", "")
		if err != nil {
			t.Fatal(err)
		}
		b := *a
		b.t, b.OrgID, b.Token = t, org.ID, secret
		r := b.must(b.owner("GET", "/events", nil), 200)
		if d := r.Body["data"].([]any); len(d) != 0 || r.Body["next_after"] != float64(0) {
			t.Fatalf("B reads A's events: %s", r.Raw)
		}
		bHub := b.seedHub("Jakarta")
		b.seedFlow(pickupFlow)
		created := b.must(b.owner("POST", "/task", map[string]any{"flow": "Pickup", "hubId": bHub, "orderNo": "B"}), 201).obj("task")
		got := readEvents(t, &b, 10)
		if len(got) != 1 || got[0]["taskId"] != created["_id"] || got[0]["organizationId"] != org.ID {
			t.Fatalf("B's feed: %v", got)
		}
		if len(readEvents(t, a, 10)) != 3 {
			t.Fatal("A's feed changed with B's task")
		}
	})
}

// TestEventsConcurrent changes many tasks and activities of one organization at once, then
// reads the feed: sequences 1..N without a gap, N being the number of committed changes (one
// history entry each), and each task has exactly as many events as history entries.
func TestEventsConcurrent(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		fx := newActivityFixture(t, false)
		const plain, activities, creators = 6, 4, 8
		var (
			mu  sync.Mutex
			ids []string
		)
		track := func(id string) {
			mu.Lock()
			ids = append(ids, id)
			mu.Unlock()
		}
		var tasks []string
		for i := 0; i < plain; i++ {
			id := fx.must(fx.owner("POST", "/task", map[string]any{"flow": "Pickup", "hubId": fx.hub, "orderNo": fmt.Sprint("P-", i)}), 201).obj("task")["_id"].(string)
			tasks = append(tasks, id)
			track(id)
		}
		var children []string
		for i := 0; i < activities; i++ {
			m := fx.must(fx.owner("POST", "/activity", fx.body(map[string]any{"assignee": "ana@acme.test"}, nil)), 201).obj("data")
			track(m["_id"].(string))
			for _, c := range m["subId"].([]any) {
				children = append(children, c.(string))
				track(c.(string))
			}
		}

		var wg sync.WaitGroup
		call := func(method, path string, body any, want int) map[string]any {
			sub := *fx.env
			r := sub.do(method, path, fx.Token, body)
			if r.Status != want {
				t.Errorf("%s %s: %d %s", method, path, r.Status, r.Raw)
			}
			return r.obj("task")
		}
		for _, id := range tasks {
			wg.Go(func() {
				call("PATCH", "/task/"+id, map[string]any{"customerName": "Budi " + id}, 200)
				call("PUT", "/task/"+id+"/assign", map[string]any{"assignee": "ana@acme.test"}, 200)
				call("POST", "/task/"+id+"/done", map[string]any{}, 200)
			})
		}
		for _, id := range children {
			wg.Go(func() { call("POST", "/task/"+id+"/done", map[string]any{}, 200) })
		}
		for i := 0; i < creators; i++ {
			wg.Go(func() {
				created := call("POST", "/task", map[string]any{"flow": "Pickup", "hubId": fx.hub, "orderNo": fmt.Sprint("C-", i)}, 201)
				if id, ok := created["_id"].(string); ok {
					track(id)
				}
			})
		}
		wg.Wait()

		perTask := map[string]int{}
		histories := 0
		ctx := context.Background()
		if err := fx.Service.Store.View(ctx, fx.OrgID, func(tx fieldwork.Tx) error {
			for _, id := range ids {
				_, n, err := tx.FindHistories(ctx, id, false, 0, 0)
				if err != nil {
					return err
				}
				perTask[id] = n
				histories += n
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		all := readEvents(t, fx.env, 9) // checks 1..N without a gap
		if len(all) != histories {
			t.Errorf("%d events for %d committed changes", len(all), histories)
		}
		for _, ev := range all {
			perTask[ev["taskId"].(string)]--
		}
		for id, n := range perTask {
			if n != 0 {
				t.Errorf("task %s: %d more history entries than events", id, n)
			}
		}
		checkRollups(t, fx.env)
	})
}
