package fieldwork

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestEventType checks the mapping of every history action (SPEC §5.4) to its event type
// (SPEC §8, §9).
func TestEventType(t *testing.T) {
	plain := &Task{ID: "t", TaskType: TaskTypeTask, Status: StatusOngoing}
	master := func(status string, sub *string) *Task {
		return &Task{ID: "m", TaskType: TaskTypeActivityMaster, Status: status, SubStatus: sub}
	}
	child := &Task{ID: "c", TaskType: TaskTypeActivityChild, ParentID: ptr("m"), Status: StatusOngoing}
	for _, tt := range []struct {
		name          string
		action        string
		before, after *Task
		want          string
	}{
		{"task create", ActionCreate, nil, plain, EventTaskCreated},
		{"master create", ActionCreate, nil, master(StatusUnassigned, nil), EventActivityCreated},
		{"child create", ActionCreate, nil, child, EventTaskCreated},
		{"put", ActionPut, plain, plain, EventTaskUpdated},
		{"patch", ActionPatch, plain, plain, EventTaskUpdated},
		{"move", ActionMove, plain, plain, EventTaskUpdated},
		{"mapping", ActionMapping, child, child, EventTaskUpdated},
		{"assign", ActionAssign, plain, plain, EventTaskAssigned},
		{"unassign", ActionUnassign, plain, plain, EventTaskAssigned},
		{"done", ActionDone, plain, plain, EventTaskDone},
		{"delete", ActionDelete, plain, nil, EventTaskDeleted},
		{"master delete", ActionDelete, master(StatusOngoing, nil), nil, EventTaskDeleted},
		{"rollup changing status", ActionRollup, master(StatusUnassigned, nil), master(StatusOngoing, nil), EventActivityStatusChanged},
		{"rollup setting subStatus", ActionRollup, master(StatusOngoing, nil), master(StatusOngoing, ptr("Picked")), EventActivityStatusChanged},
		{"rollup changing subStatus", ActionRollup, master(StatusOngoing, ptr("Picked")), master(StatusOngoing, ptr("Loaded")), EventActivityStatusChanged},
		{"rollup clearing subStatus", ActionRollup, master(StatusOngoing, ptr("Picked")), master(StatusOngoing, nil), EventActivityStatusChanged},
		{"rollup of other keys", ActionRollup, master(StatusOngoing, ptr("Picked")), master(StatusOngoing, ptr("Picked")), EventTaskUpdated},
		{"rollup of other keys, no subStatus", ActionRollup, master(StatusOngoing, nil), master(StatusOngoing, nil), EventTaskUpdated},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := EventType(tt.action, tt.before, tt.after); got != tt.want {
				t.Errorf("EventType(%s) = %s, want %s", tt.action, got, tt.want)
			}
		})
	}
	// Every type the mapping yields is one of SPEC §9's, and every one of them is yielded.
	seen := map[string]bool{}
	for _, a := range []string{ActionCreate, ActionPut, ActionPatch, ActionDelete, ActionAssign, ActionUnassign,
		ActionMove, ActionDone, ActionRollup, ActionMapping} {
		seen[EventType(a, plain, plain)] = true
	}
	seen[EventType(ActionCreate, nil, master(StatusUnassigned, nil))] = true
	seen[EventType(ActionRollup, master(StatusUnassigned, nil), master(StatusDone, nil))] = true
	if len(seen) != len(EventTypes) {
		t.Errorf("the mapping yields %d types, SPEC §9 has %d: %v", len(seen), len(EventTypes), seen)
	}
	for _, typ := range EventTypes {
		if !seen[typ] {
			t.Errorf("no action maps to %s", typ)
		}
	}
}

// TestNewEvent checks the keys of an event: the task it concerns, its activity, its time and
// the task it carries.
func TestNewEvent(t *testing.T) {
	at := time.Date(2024, 3, 1, 8, 0, 0, 500_000_000, time.UTC)
	plain := &Task{ID: "t1", OrganizationID: "o", TaskType: TaskTypeTask, Title: ptr("after"),
		Histories: []*History{{ID: "h"}}}
	old := &Task{ID: "t1", OrganizationID: "o", TaskType: TaskTypeTask, Title: ptr("before")}
	master := &Task{ID: "m1", OrganizationID: "o", TaskType: TaskTypeActivityMaster}
	child := &Task{ID: "c1", OrganizationID: "o", TaskType: TaskTypeActivityChild, ParentID: ptr("m1")}
	for _, tt := range []struct {
		name          string
		action        string
		before, after *Task
		wantTask      *Task
		wantActivity  *ID
	}{
		{"plain task: data after the change", ActionPatch, old, plain, plain, nil},
		{"deleted task: data as it was", ActionDelete, old, nil, old, nil},
		{"master: its own id", ActionCreate, nil, master, master, ptr("m1")},
		{"child: its master's id", ActionDone, child, child, child, ptr("m1")},
		{"deleted child", ActionDelete, child, nil, child, ptr("m1")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := NewEvent(tt.action, tt.before, tt.after, at)
			if !ValidID(e.ID) || e.OrganizationID != "o" || e.TaskID != tt.wantTask.ID || e.Sequence != 0 {
				t.Errorf("event head = %+v", e)
			}
			if e.Type != EventType(tt.action, tt.before, tt.after) {
				t.Errorf("type %s", e.Type)
			}
			if want := NewTime(at); e.OccurredTime != want {
				t.Errorf("occurredTime %v, want %v", e.OccurredTime, want)
			}
			if d := cmp.Diff(tt.wantActivity, e.ActivityID); d != "" {
				t.Errorf("activityId (-want +got):\n%s", d)
			}
			want := *tt.wantTask
			want.Histories = nil
			if d := cmp.Diff(&want, e.Data); d != "" {
				t.Errorf("data (-want +got):\n%s", d)
			}
			if e.Data == tt.wantTask {
				t.Error("data is the caller's task, not a copy")
			}
		})
	}
}
