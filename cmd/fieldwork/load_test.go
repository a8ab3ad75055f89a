package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fieldwork-dev/fieldwork"
)

// The mixed load of TestCrash and TestSoak: workers that create activities, assign and
// complete their steps in order, PATCH tasks, create and delete plain tasks and delete
// activities, through the real HTTP API of a server process. Each worker owns the objects it
// created, so it knows what every acknowledged (2xx) request must have left behind, and
// check() compares that with the database afterwards.

// loadTarget is the server the load is sent to; its address changes when it is restarted.
type loadTarget struct {
	addr   atomic.Pointer[string]
	client *http.Client
}

func newLoadTarget(addr string) *loadTarget {
	lt := &loadTarget{client: &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 10 * time.Second}}}
	lt.addr.Store(&addr)
	return lt
}

// answer is a decoded answer and how long it took.
type answer struct {
	status int
	body   map[string]any
	raw    []byte
	took   time.Duration
}

func (a answer) data(key string) map[string]any {
	m, _ := a.body[key].(map[string]any)
	return m
}

// call sends one request as the demo Owner; err is a transport failure (no answer: the
// request may or may not have been carried out).
func (lt *loadTarget) call(ctx context.Context, method, path string, body any, headers ...string) (answer, error) {
	var rdr io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return answer{}, err
		}
		rdr = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+*lt.addr.Load()+"/api/v3"+path, rdr)
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Authorization", "Bearer "+bootstrapToken)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	start := time.Now()
	res, err := lt.client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return answer{}, err
	}
	a := answer{status: res.StatusCode, raw: raw, took: time.Since(start)}
	_ = json.Unmarshal(raw, &a.body)
	return a, nil
}

// loadSetup is what the load works with: a hub, a sequential workflow of three steps (one
// flow each, with a `note` input) and the Owner's email.
type loadSetup struct {
	hubID, workflowID, flowName string
	steps                       int
	assignee                    string
}

// setUpLoad creates the objects the load needs through the API.
func setUpLoad(t *testing.T, lt *loadTarget) *loadSetup {
	t.Helper()
	ctx := context.Background()
	must := func(want int, method, path string, body any) map[string]any {
		t.Helper()
		a, err := lt.call(ctx, method, path, body)
		if err != nil || a.status != want {
			t.Fatalf("%s %s: %v %d %s", method, path, err, a.status, a.raw)
		}
		return a.body
	}
	s := &loadSetup{steps: 3, assignee: "admin@example.com", flowName: "Step0"}
	s.hubID = must(200, "POST", "/hub", map[string]any{"name": "Depot", "address": "a", "lat": 1, "lng": 2})["data"].(map[string]any)["_id"].(string)
	var steps, statuses []any
	for i := 0; i < s.steps; i++ {
		f := must(201, "POST", "/flow", map[string]any{"name": fmt.Sprintf("Step%d", i), "pages": []any{map[string]any{
			"id": "page0", "components": []any{map[string]any{"component": "input", "id": "note", "title": "Note"}}}}})
		status := fmt.Sprintf("Stage %d", i)
		steps = append(steps, map[string]any{"flowId": f["flow"].(map[string]any)["_id"], "statusMapping": status})
		statuses = append(statuses, map[string]any{"name": status})
	}
	s.workflowID = must(201, "POST", "/internal/workflows", map[string]any{"name": "Delivery", "steps": steps,
		"customStatuses": statuses})["data"].(map[string]any)["_id"].(string)
	return s
}

// trackedActivity is an activity a worker created (its create was acknowledged).
type trackedActivity struct {
	id             string
	children       []*trackedTask
	deleteAttempts int
	deleteAcked    bool
	finished       bool // every step DONE
	lost           bool // a read found it gone (reported): no longer used
}

// trackedTask is a task a worker created, alone or as an activity step.
type trackedTask struct {
	id             string
	parent         *trackedActivity
	note           string        // the value it was created with
	notes          []noteAttempt // PATCHes of `note`, in order
	assigned, done bool          // acknowledged
	deleteAttempts int
	deleteAcked    bool
}

type noteAttempt struct {
	value string
	acked bool
}

// deleteTried reports whether a delete of the task (or of its activity) was sent.
func (tt *trackedTask) deleteTried() bool {
	return tt.deleteAttempts > 0 || tt.parent != nil && tt.parent.deleteAttempts > 0
}

func (tt *trackedTask) deleted() bool {
	return tt.deleteAcked || tt.parent != nil && tt.parent.deleteAcked
}

// allowedNotes are the values `note` may hold now: from the last acknowledged PATCH on
// (later ones may have been carried out without an answer).
func (tt *trackedTask) allowedNotes() []string {
	allowed := []string{tt.note}
	for _, n := range tt.notes {
		if n.acked {
			allowed = allowed[:0]
		}
		allowed = append(allowed, n.value)
	}
	return allowed
}

// loadWorker runs the mixed load; unexpected answers go to fail, every answer to observe.
type loadWorker struct {
	lt      *loadTarget
	s       *loadSetup
	name    string
	rng     *rand.Rand
	fail    func(format string, args ...any)
	observe func(op string, a answer, err error)
	// retryUnanswered: a create whose answer was lost is sent again with its Idempotency-Key
	// until it is answered (the server is restarting); else it is given up.
	retryUnanswered bool
	// maxLive bounds the worker's activities and its plain tasks: above it, the oldest go.
	maxLive int
	// forgetDeleted drops deleted objects from the bookkeeping now and then (long runs).
	forgetDeleted bool

	acts  []*trackedActivity
	tasks []*trackedTask // every task: plain ones and steps
	n     int            // names and keys
	steps int
}

func newLoadWorker(lt *loadTarget, s *loadSetup, name string, seed uint64) *loadWorker {
	return &loadWorker{lt: lt, s: s, name: name, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		fail: func(string, ...any) {}, observe: func(string, answer, error) {}, maxLive: 20}
}

// run steps until ctx is done.
func (w *loadWorker) run(ctx context.Context) {
	for ctx.Err() == nil {
		w.step(ctx)
	}
}

// do sends a request and reports it.
func (w *loadWorker) do(ctx context.Context, op, method, path string, body any, headers ...string) (answer, error) {
	a, err := w.lt.call(ctx, method, path, body, headers...)
	if ctx.Err() != nil {
		return a, ctx.Err()
	}
	w.observe(op, a, err)
	if err == nil && a.status >= 500 {
		w.fail("%s %s: %d %s", method, path, a.status, a.raw)
	}
	if err != nil {
		time.Sleep(20 * time.Millisecond) // the server is probably down: give it a moment
	}
	return a, err
}

func (w *loadWorker) live() []*trackedActivity {
	var out []*trackedActivity
	for _, a := range w.acts {
		if a.deleteAttempts == 0 && !a.lost {
			out = append(out, a)
		}
	}
	return out
}

// plainTasks returns the worker's tasks outside activities that it has not tried to delete.
func (w *loadWorker) plainTasks() []*trackedTask {
	var out []*trackedTask
	for _, t := range w.tasks {
		if t.parent == nil && t.deleteAttempts == 0 {
			out = append(out, t)
		}
	}
	return out
}

// forget drops what was deleted with an acknowledgement, so that a long run keeps its
// bookkeeping (and the scans of step) small.
func (w *loadWorker) forget() {
	w.acts = slices.DeleteFunc(w.acts, func(a *trackedActivity) bool { return a.deleteAcked })
	w.tasks = slices.DeleteFunc(w.tasks, func(t *trackedTask) bool { return t.deleted() })
}

func (w *loadWorker) liveTasks() []*trackedTask {
	var out []*trackedTask
	for _, t := range w.tasks {
		if !t.deleteTried() && !t.done {
			out = append(out, t)
		}
	}
	return out
}

// step runs one operation chosen at random.
func (w *loadWorker) step(ctx context.Context) {
	live := w.live()
	var unfinished []*trackedActivity
	for _, a := range live {
		if !a.finished {
			unfinished = append(unfinished, a)
		}
	}
	switch r := w.rng.IntN(100); {
	case r < 12 || len(unfinished) == 0 && len(live) < w.maxLive:
		w.createActivity(ctx)
	case r < 50 && len(unfinished) > 0:
		w.advance(ctx, unfinished[w.rng.IntN(len(unfinished))])
	case r < 66:
		if ts := w.liveTasks(); len(ts) > 0 {
			w.patch(ctx, ts[w.rng.IntN(len(ts))])
		}
	case r < 76:
		w.list(ctx, live)
	case r < 85:
		w.createTask(ctx)
	case r < 92:
		if plain := w.plainTasks(); len(plain) > 0 {
			w.deleteTask(ctx, plain[w.rng.IntN(len(plain))])
		}
	default:
		if len(live) > 0 {
			// Prefer finished activities, as a client archiving its work would.
			pick := live[w.rng.IntN(len(live))]
			for _, a := range live {
				if a.finished && w.rng.IntN(2) == 0 {
					pick = a
				}
			}
			w.deleteActivity(ctx, pick)
		}
	}
	if len(live) > w.maxLive {
		w.deleteActivity(ctx, live[0])
	}
	if plain := w.plainTasks(); len(plain) > w.maxLive {
		w.deleteTask(ctx, plain[0])
	}
	if w.steps++; w.forgetDeleted && w.steps%100 == 0 {
		w.forget()
	}
}

// create sends a create with an Idempotency-Key, again after a lost answer when
// retryUnanswered, and returns the answer (ok false when it never came or was refused).
func (w *loadWorker) create(ctx context.Context, op, path string, body any) (answer, bool) {
	w.n++
	key := fmt.Sprintf("%s-%d-%d", w.name, w.n, w.rng.Uint64())
	for {
		a, err := w.do(ctx, op, "POST", path, body, "Idempotency-Key", key)
		switch {
		case ctx.Err() != nil:
			return a, false
		case err != nil || a.status == http.StatusConflict: // no answer, or the first attempt is still in progress
			if !w.retryUnanswered {
				return a, false
			}
			time.Sleep(30 * time.Millisecond)
			continue
		case a.status != http.StatusCreated:
			w.fail("POST %s: %d %s", path, a.status, a.raw)
			return a, false
		}
		return a, true
	}
}

func (w *loadWorker) createActivity(ctx context.Context) {
	tag := fmt.Sprintf("%s-a%d", w.name, w.n+1)
	var tasks []any
	for i := 0; i < w.s.steps; i++ {
		tasks = append(tasks, map[string]any{"note": fmt.Sprintf("%s-s%d", tag, i)})
	}
	a, ok := w.create(ctx, "create activity", "/activity", map[string]any{"workflowId": w.s.workflowID, "hubId": w.s.hubID, "tasks": tasks})
	if !ok {
		return
	}
	m := a.data("data")
	act := &trackedActivity{id: m["_id"].(string)}
	for i, id := range m["subId"].([]any) {
		tt := &trackedTask{id: id.(string), parent: act, note: fmt.Sprintf("%s-s%d", tag, i)}
		act.children = append(act.children, tt)
		w.tasks = append(w.tasks, tt)
	}
	w.acts = append(w.acts, act)
}

func (w *loadWorker) createTask(ctx context.Context) {
	note := fmt.Sprintf("%s-t%d", w.name, w.n+1)
	a, ok := w.create(ctx, "create task", "/task", map[string]any{"flow": w.s.flowName, "hubId": w.s.hubID, "note": note})
	if ok {
		w.tasks = append(w.tasks, &trackedTask{id: a.data("task")["_id"].(string), note: note})
	}
}

// list reads one of the lists a dispatcher's screen shows.
func (w *loadWorker) list(ctx context.Context, live []*trackedActivity) {
	paths := []string{"/tasks?limit=20&status=ONGOING&sortBy=updatedTime", "/activities?pageSize=15&status=ONGOING,UNASSIGNED",
		"/tasks?lazyLoad=1&limit=20", "/tasks?limit=20&q=" + w.name + "-"}
	if len(live) > 0 {
		paths = append(paths, "/tasks?taskType=activityChild&parentId="+live[w.rng.IntN(len(live))].id)
	}
	path := paths[w.rng.IntN(len(paths))]
	if a, err := w.do(ctx, "list", "GET", path, nil); err == nil {
		w.expect(a, 200, "GET", path)
	}
}

// advance assigns the first step that is not DONE, or completes it when it is assigned.
func (w *loadWorker) advance(ctx context.Context, act *trackedActivity) {
	a, err := w.do(ctx, "read activity", "GET", "/activity/"+act.id+"?expand=children", nil)
	if err != nil {
		return
	}
	if a.status != http.StatusOK {
		w.fail("GET /activity/%s: %d %s (its create was acknowledged, it was never deleted)", act.id, a.status, a.raw)
		act.lost = true
		return
	}
	children, _ := a.data("data")["children"].([]any)
	for i, c := range children {
		child := c.(map[string]any)
		tt := act.children[i]
		switch child["status"] {
		case fieldwork.StatusDone:
			continue
		case fieldwork.StatusUnassigned:
			r, err := w.do(ctx, "assign", "PUT", "/task/"+tt.id+"/assign", map[string]any{"assignee": []string{w.s.assignee}})
			if err == nil && w.expect(r, 200, "assign", tt.id) {
				tt.assigned = true
			}
		default:
			r, err := w.do(ctx, "done", "POST", "/task/"+tt.id+"/done", map[string]any{})
			if err == nil && w.expect(r, 200, "done", tt.id) {
				tt.done = true
				act.finished = i == len(children)-1
			}
		}
		return
	}
	act.finished = true
}

func (w *loadWorker) patch(ctx context.Context, tt *trackedTask) {
	w.n++
	v := fmt.Sprintf("%s-p%d", w.name, w.n)
	tt.notes = append(tt.notes, noteAttempt{value: v})
	a, err := w.do(ctx, "patch", "PATCH", "/task/"+tt.id, map[string]any{"note": v})
	if err != nil {
		return
	}
	if a.status == http.StatusBadRequest && strings.Contains(string(a.raw), "already DONE") {
		tt.done = true // a done whose answer was lost was carried out
		tt.notes = tt.notes[:len(tt.notes)-1]
		return
	}
	if w.expect(a, 200, "patch", tt.id) {
		tt.notes[len(tt.notes)-1].acked = true
	}
}

func (w *loadWorker) deleteActivity(ctx context.Context, act *trackedActivity) {
	act.deleteAttempts++
	a, err := w.do(ctx, "delete activity", "DELETE", "/activity/"+act.id, nil)
	if err != nil {
		return
	}
	if a.status == http.StatusNotFound && act.deleteAttempts > 1 {
		return // an earlier delete whose answer was lost was carried out
	}
	act.deleteAcked = w.expect(a, 200, "delete activity", act.id)
}

func (w *loadWorker) deleteTask(ctx context.Context, tt *trackedTask) {
	tt.deleteAttempts++
	a, err := w.do(ctx, "delete task", "DELETE", "/task/"+tt.id, nil)
	if err != nil {
		return
	}
	if a.status == http.StatusNotFound && tt.deleteAttempts > 1 {
		return
	}
	tt.deleteAcked = w.expect(a, 200, "delete task", tt.id)
}

// expect reports whether a has the wanted status, and fails otherwise.
func (w *loadWorker) expect(a answer, status int, op, id string) bool {
	if a.status != status {
		w.fail("%s %s: %d, want %d: %s", op, id, a.status, status, a.raw)
		return false
	}
	return true
}

// storeState is everything of the demo organization the checks need, read in one
// transaction.
type storeState struct {
	tasks     map[string]*fieldwork.Task
	events    []*fieldwork.Event
	histories map[string][]*fieldwork.History // by task id, for every task named by a task or an event
}

// readState reads the state of the demo organization from the database.
func readState(t *testing.T, st fieldwork.Store, extraIDs []string) *storeState {
	t.Helper()
	ctx := context.Background()
	s := &storeState{tasks: map[string]*fieldwork.Task{}, histories: map[string][]*fieldwork.History{}}
	err := st.View(ctx, fieldwork.DemoOrganizationID, func(tx fieldwork.Tx) error {
		all, err := tx.FindTasks(ctx, fieldwork.TaskFilter{})
		if err != nil {
			return err
		}
		for _, task := range all {
			s.tasks[task.ID] = task
		}
		if s.events, err = tx.FindEvents(ctx, 0, 0); err != nil {
			return err
		}
		ids := slices.Clone(extraIDs)
		for id := range s.tasks {
			ids = append(ids, id)
		}
		for _, e := range s.events {
			ids = append(ids, e.TaskID)
		}
		for _, id := range ids {
			if _, ok := s.histories[id]; ok {
				continue
			}
			if s.histories[id], _, err = tx.FindHistories(ctx, id, false, 0, 0); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// checkActivities checks the activity invariants (SPEC §7.1, §7.2): every master has one
// child per step of its snapshot, subId lists them in step order, no child lacks its master,
// and every master's derived keys equal the roll-up recomputed from its children.
func checkActivities(t *testing.T, s *storeState) (masters int) {
	t.Helper()
	children := map[string][]*fieldwork.Task{}
	for _, task := range s.tasks {
		if task.TaskType != fieldwork.TaskTypeActivityChild {
			continue
		}
		if task.ParentID == nil || s.tasks[*task.ParentID] == nil || s.tasks[*task.ParentID].TaskType != fieldwork.TaskTypeActivityMaster {
			t.Errorf("child %s has no master (parentId %v)", task.ID, deref(task.ParentID))
			continue
		}
		children[*task.ParentID] = append(children[*task.ParentID], task)
	}
	for _, m := range s.tasks {
		if m.TaskType != fieldwork.TaskTypeActivityMaster {
			continue
		}
		masters++
		kids := children[m.ID]
		slices.SortFunc(kids, func(a, b *fieldwork.Task) int { return *a.StepOrder - *b.StepOrder })
		var ids []string
		for i, k := range kids {
			ids = append(ids, k.ID)
			if *k.StepOrder != i {
				t.Errorf("master %s: child %s has stepOrder %d, want %d", m.ID, k.ID, *k.StepOrder, i)
			}
		}
		if m.Workflow == nil || len(kids) != len(m.Workflow.Steps) || !slices.Equal(ids, m.SubID) {
			t.Errorf("master %s: subId %v, children in step order %v, snapshot steps %d", m.ID, m.SubID, ids, len(m.Workflow.Steps))
			continue
		}
		want := fieldwork.ComputeRollup(kids, m.Workflow.Steps)
		if m.Status != want.Status || deref(m.SubStatus) != deref(want.SubStatus) || !slices.Equal(m.Assignee, want.Assignee) ||
			!m.StartTime.Equal(want.StartTime.Time) || !m.EndTime.Equal(want.EndTime.Time) {
			t.Errorf("master %s: %s/%s %v %v–%v, recomputed from its children %s/%s %v %v–%v", m.ID,
				m.Status, deref(m.SubStatus), m.Assignee, m.StartTime, m.EndTime,
				want.Status, deref(want.SubStatus), want.Assignee, want.StartTime, want.EndTime)
		}
	}
	return masters
}

// checkEvents checks the outbox (SPEC §8): sequences 1..N without gaps, and every committed
// change (history entry) has its event: per task, as many events of each kind as histories of
// the matching actions.
func checkEvents(t *testing.T, s *storeState) {
	t.Helper()
	type counts struct{ created, updated, rollup, assigned, done, deleted int }
	events := map[string]*counts{}
	histories := map[string]*counts{}
	for i, e := range s.events {
		if e.Sequence != int64(i+1) {
			t.Fatalf("event %d has sequence %d: the outbox has a gap or a repeat", i+1, e.Sequence)
		}
		c := events[e.TaskID]
		if c == nil {
			c = &counts{}
			events[e.TaskID] = c
		}
		switch e.Type {
		case fieldwork.EventTaskCreated, fieldwork.EventActivityCreated:
			c.created++
		case fieldwork.EventTaskUpdated, fieldwork.EventActivityStatusChanged:
			c.updated++
		case fieldwork.EventTaskAssigned:
			c.assigned++
		case fieldwork.EventTaskDone:
			c.done++
		case fieldwork.EventTaskDeleted:
			c.deleted++
		}
	}
	for id, hs := range s.histories {
		c := &counts{}
		histories[id] = c
		for _, h := range hs {
			switch h.Action {
			case fieldwork.ActionCreate:
				c.created++
			case fieldwork.ActionPut, fieldwork.ActionPatch, fieldwork.ActionMove, fieldwork.ActionMapping, fieldwork.ActionRollup:
				c.updated++
			case fieldwork.ActionAssign, fieldwork.ActionUnassign:
				c.assigned++
			case fieldwork.ActionDone:
				c.done++
			case fieldwork.ActionDelete:
				c.deleted++
			}
		}
	}
	for id, h := range histories {
		e := events[id]
		if e == nil {
			e = &counts{}
		}
		if *e != *h {
			t.Errorf("task %s: histories %+v but events %+v", id, *h, *e)
		}
	}
	for id := range events {
		if histories[id] == nil {
			t.Errorf("task %s has events but no histories", id)
		}
	}
}

// checkWorkers checks that every acknowledged request of the workers is visible in the state.
func checkWorkers(t *testing.T, s *storeState, workers []*loadWorker) (acked int) {
	t.Helper()
	for _, w := range workers {
		for _, act := range w.acts {
			_, present := s.tasks[act.id]
			switch {
			case act.deleteAcked && present:
				t.Errorf("activity %s: its delete was acknowledged, but it is still there", act.id)
			case act.deleteAttempts == 0 && !present:
				t.Errorf("activity %s: its create was acknowledged, but it is gone", act.id)
			}
			acked++
		}
		for _, tt := range w.tasks {
			task, present := s.tasks[tt.id]
			switch {
			case tt.deleted() && present:
				t.Errorf("task %s: its delete was acknowledged, but it is still there", tt.id)
			case !present && !tt.deleteTried():
				t.Errorf("task %s: its create was acknowledged, but it is gone", tt.id)
			case !present:
			case tt.done && task.Status != fieldwork.StatusDone:
				t.Errorf("task %s: done was acknowledged, status is %s", tt.id, task.Status)
			case tt.assigned && !slices.Contains(task.Assignee, w.s.assignee):
				t.Errorf("task %s: assign was acknowledged, assignee is %v", tt.id, task.Assignee)
			default:
				var note string
				_ = json.Unmarshal(task.Values["note"], &note)
				if allowed := tt.allowedNotes(); !slices.Contains(allowed, note) {
					t.Errorf("task %s: note %q, but the acknowledged writes allow only %q", tt.id, note, allowed)
				}
			}
			acked += 1 + len(tt.notes)
		}
	}
	return acked
}

// receiver is a webhook endpoint that records the event ids it was sent.
type receiver struct {
	mu   sync.Mutex
	seen map[string]int
	bad  []string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var env fieldwork.WebhookEnvelope
	body, _ := io.ReadAll(r.Body)
	err := json.Unmarshal(body, &env)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	id := r.Header.Get(fieldwork.HeaderEventID)
	if err != nil || id == "" || id != env.ID {
		rc.bad = append(rc.bad, fmt.Sprintf("%s %.200s", id, body))
	}
	rc.seen[id]++
	w.WriteHeader(http.StatusNoContent)
}

// missing returns the events not received yet.
func (rc *receiver) missing(events []*fieldwork.Event) []int64 {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []int64
	for _, e := range events {
		if rc.seen[e.ID] == 0 {
			out = append(out, e.Sequence)
		}
	}
	return out
}
