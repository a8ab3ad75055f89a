package fieldwork

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"
)

// taskDiffJSON is the definition taskDiff implements: the difference of the two tasks' whole
// JSON objects.
func taskDiffJSON(before, after *Task) map[string]Change {
	bf, af := taskFields(before), taskFields(after)
	d := map[string]Change{}
	for k, av := range af {
		if bv, ok := bf[k]; !ok {
			d[k] = Change{From: nil, To: av}
		} else if !sameJSON(bv, av) {
			d[k] = Change{From: bv, To: av}
		}
	}
	for k, bv := range bf {
		if _, ok := af[k]; !ok {
			d[k] = Change{From: bv, To: nil}
		}
	}
	return d
}

// taskEdits are the changes the service makes to tasks, and a few it never makes.
var taskEdits = []func(t *Task, r *rand.Rand){
	func(t *Task, r *rand.Rand) {
		t.Status = []string{StatusUnassigned, StatusOngoing, StatusDone}[r.IntN(3)]
	},
	func(t *Task, r *rand.Rand) { t.Title = nil },
	func(t *Task, r *rand.Rand) { t.Title = ptr("Other") },
	func(t *Task, r *rand.Rand) { t.Assignee = nil },
	func(t *Task, r *rand.Rand) { t.Assignee = []string{} },
	func(t *Task, r *rand.Rand) { t.Assignee = []string{"ana@acme.test", "bo@acme.test"} },
	func(t *Task, r *rand.Rand) { t.AssignedTo = nil },
	func(t *Task, r *rand.Rand) {
		t.AssignedTo = &AssignedTo{Name: "Bo", Email: "bo@acme.test", HubID: []ID{"h"}, Organization: map[string]any{"b": 1, "a": []any{2.5}}}
	},
	func(t *Task, r *rand.Rand) { t.DoneTime = NewTime(time.Unix(1_800_000_000, 0)) },
	func(t *Task, r *rand.Rand) { // the same instant in another location
		t.StartTime = NewTime(t.StartTime.Time.In(time.FixedZone("WIB", 7*3600)))
	},
	func(t *Task, r *rand.Rand) { t.StartTime = Time{} },
	func(t *Task, r *rand.Rand) { t.OrderIndex = float64(r.IntN(3)) },
	func(t *Task, r *rand.Rand) { t.ParentID = nil },
	func(t *Task, r *rand.Rand) { t.ParentID = ptr(ID("p1")) },
	func(t *Task, r *rand.Rand) { t.SubID = nil },
	func(t *Task, r *rand.Rand) { t.SubID = []ID{} }, // omitted like nil
	func(t *Task, r *rand.Rand) { t.SubID = []ID{"c1", "c2"} },
	func(t *Task, r *rand.Rand) { t.StepOrder = ptr(r.IntN(2)) },
	func(t *Task, r *rand.Rand) { t.SubStatus = ptr("Picked up") },
	func(t *Task, r *rand.Rand) { t.SubStatus = nil },
	func(t *Task, r *rand.Rand) { t.TaskType = TaskTypeActivityMaster },
	func(t *Task, r *rand.Rand) {
		t.Workflow = &WorkflowSnapshot{ID: "w", Name: "Deliver", Steps: []Step{{Order: 0, FlowID: "f"}}}
	},
	func(t *Task, r *rand.Rand) { t.Workflow = nil },
	func(t *Task, r *rand.Rand) { t.Hub = &HubRef{ID: "h2", Name: "Bandung"} },
	func(t *Task, r *rand.Rand) { t.Version++; t.UpdatedBy = "x"; t.UpdatedTime = NewTime(time.Now()) },
	func(t *Task, r *rand.Rand) { t.Values = nil },
	func(t *Task, r *rand.Rand) { setValue(t, "notes", `"changed"`) },
	func(t *Task, r *rand.Rand) { setValue(t, "notes", `null`) },
	func(t *Task, r *rand.Rand) { setValue(t, "notes", ``) }, // encoded as null
	func(t *Task, r *rand.Rand) { delete(t.Values, "notes") },
	func(t *Task, r *rand.Rand) { setValue(t, "count", `1.0`) }, // the same number as 1
	func(t *Task, r *rand.Rand) { setValue(t, "count", `2`) },
	func(t *Task, r *rand.Rand) { setValue(t, "item", `{"b": 2, "a": 1}`) }, // other key order
	func(t *Task, r *rand.Rand) { setValue(t, "item", `{"a":1,"b":3}`) },
	func(t *Task, r *rand.Rand) { setValue(t, "new", `[1,2]`) },
	func(t *Task, r *rand.Rand) { t.Mapped = map[string]json.RawMessage{"notes": json.RawMessage(`"m"`)} }, // not in the JSON
}

func setValue(t *Task, k, v string) {
	if t.Values == nil {
		t.Values = map[string]json.RawMessage{}
	}
	t.Values[k] = json.RawMessage(v)
}

func TestTaskDiffIsTheJSONDifference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	base := benchTask()
	setValue(base, "count", `1`)
	setValue(base, "item", `{"a":1,"b":2}`)
	setValue(base, "notes", `"first"`)
	for i := range 5000 {
		before := cloneTask(base)
		for range r.IntN(3) {
			taskEdits[r.IntN(len(taskEdits))](before, r)
		}
		after := cloneTask(before)
		for range 1 + r.IntN(3) {
			taskEdits[r.IntN(len(taskEdits))](after, r)
		}
		got, want := taskDiff(before, after), taskDiffJSON(before, after)
		if len(got) != len(want) {
			t.Fatalf("case %d: taskDiff keys %v, want %v", i, keys(got), keys(want))
		}
		for k, w := range want {
			g, ok := got[k]
			if !ok || !sameChangeValue(g.From, w.From) || !sameChangeValue(g.To, w.To) {
				t.Fatalf("case %d: %s = %s, want %s", i, k, show(g), show(w))
			}
		}
	}
}

func sameChangeValue(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return sameJSON(a.(json.RawMessage), b.(json.RawMessage))
}

func show(c Change) string {
	side := func(v any) string {
		if v == nil {
			return "absent"
		}
		return string(v.(json.RawMessage))
	}
	return side(c.From) + " → " + side(c.To)
}

func keys(m map[string]Change) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
