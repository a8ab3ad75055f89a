package fieldwork

import (
	"context"
	"time"
)

// Event types (SPEC §9). An event describes one committed task change (SPEC §8).
const (
	EventTaskCreated           = "task.created"
	EventTaskUpdated           = "task.updated"
	EventTaskAssigned          = "task.assigned"
	EventTaskDone              = "task.done"
	EventTaskDeleted           = "task.deleted"
	EventActivityCreated       = "activity.created"
	EventActivityStatusChanged = "activity.status_changed"
)

// EventTypes lists every event type, in the order of SPEC §9.
var EventTypes = []string{
	EventTaskCreated, EventTaskUpdated, EventTaskAssigned, EventTaskDone, EventTaskDeleted,
	EventActivityCreated, EventActivityStatusChanged,
}

// Event is one entry of an organization's outbox (SPEC §8): written in the transaction of the
// change it describes, so it exists exactly when the change committed. Sequence numbers the
// events of one organization 1, 2, 3, … without gaps, in commit order: a reader that has seen
// sequence n has seen every event up to n.
type Event struct {
	ID             ID     `json:"_id"`
	OrganizationID ID     `json:"organizationId"`
	Type           string `json:"type"`
	TaskID         ID     `json:"taskId"`
	// ActivityID is the master's id for an activity master and its children; absent on plain
	// tasks.
	ActivityID *ID `json:"activityId,omitempty"`
	// Sequence is given by the store when the event is appended.
	Sequence     int64 `json:"sequence"`
	OccurredTime Time  `json:"occurredTime"`
	// Data is the task after the change; for task.deleted the task as it was.
	Data *Task `json:"data"`
}

// EventType returns the type of the event describing a task change: the history action (SPEC
// §5.4) and the task before and after it (before is nil for a create, after nil for a delete).
//
//	create                   → task.created; activity.created for an activity master
//	put, patch, move, mapping → task.updated
//	assign, unassign         → task.assigned
//	done                     → task.done
//	delete                   → task.deleted
//	rollup                   → activity.status_changed when the master's status or subStatus
//	                           changed, else task.updated
func EventType(action string, before, after *Task) string {
	switch action {
	case ActionCreate:
		if after != nil && after.TaskType == TaskTypeActivityMaster {
			return EventActivityCreated
		}
		return EventTaskCreated
	case ActionAssign, ActionUnassign:
		return EventTaskAssigned
	case ActionDone:
		return EventTaskDone
	case ActionDelete:
		return EventTaskDeleted
	case ActionRollup:
		if before != nil && after != nil &&
			(before.Status != after.Status || !sameString(before.SubStatus, after.SubStatus)) {
			return EventActivityStatusChanged
		}
	}
	// put, patch, move, mapping, and a roll-up that left the status alone.
	return EventTaskUpdated
}

func sameString(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// NewEvent describes a task change (as EventType reads it) that occurred at the given time,
// ready for Tx.AppendEvent, which gives it its organization and sequence. Data is a shallow
// copy of the task, without histories.
func NewEvent(action string, before, after *Task, at time.Time) *Event {
	t := after
	if t == nil {
		t = before
	}
	data := *t
	data.Histories = nil
	e := &Event{
		ID: NewID(at), OrganizationID: t.OrganizationID, Type: EventType(action, before, after),
		TaskID: t.ID, OccurredTime: NewTime(at), Data: &data,
	}
	switch {
	case t.TaskType == TaskTypeActivityMaster:
		e.ActivityID = ptr(t.ID)
	case t.TaskType == TaskTypeActivityChild && t.ParentID != nil:
		e.ActivityID = ptr(*t.ParentID)
	}
	return e
}

// Paging bounds of an events read (SPEC §8): limit defaults to DefaultEventLimit and is at
// most MaxEventLimit.
const (
	DefaultEventLimit = 100
	MaxEventLimit     = 1000
)

// FindEvents returns up to limit events of the caller's organization with a sequence greater
// than after, in sequence order. Only Owners and Admins may read the feed, and only those who
// see every hub: events carry tasks of all hubs, so a hub-restricted user could not be shown
// the feed without the tasks their restriction hides (decided).
func (s *Service) FindEvents(ctx context.Context, c *Caller, after int64, limit int) ([]*Event, error) {
	if err := requireAdmin(c); err != nil {
		return nil, err
	}
	if len(c.User.HubID) > 0 {
		return nil, ErrForbidden()
	}
	var fe FieldErrors
	if after < 0 {
		fe.Add("after", "must be a sequence number (an integer of at least 0)")
	}
	if limit < 1 || limit > MaxEventLimit {
		fe.Add("limit", "must be an integer from 1 to %d", MaxEventLimit)
	}
	if err := fe.Err("event-032"); err != nil {
		return nil, err
	}
	var events []*Event
	err := s.view(ctx, c.OrgID(), func(tx Tx) (err error) {
		events, err = tx.FindEvents(ctx, after, limit)
		return err
	})
	if events == nil {
		events = []*Event{}
	}
	return events, err
}
