package fieldwork

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Task statuses (SPEC §5.2).
const (
	StatusUnassigned = "UNASSIGNED"
	StatusOngoing    = "ONGOING"
	StatusDone       = "DONE"
)

// Task types (SPEC §5.1). taskMaster and taskChild are official but never created here.
const (
	TaskTypeTask           = "task"
	TaskTypeActivityMaster = "activityMaster"
	TaskTypeActivityChild  = "activityChild"
	TaskTypeTaskMaster     = "taskMaster"
	TaskTypeTaskChild      = "taskChild"
)

// AssignedTo is the first assignee as embedded in a task.
type AssignedTo struct {
	ID           ID     `json:"_id"`
	Name         string `json:"name"`
	Email        string `json:"email"`
	HubID        []ID   `json:"hubId"`
	RoleID       ID     `json:"roleId"`
	Organization any    `json:"organization"`
	Role         any    `json:"role"`
}

// Task is a unit of field work. Its component values (Values) sit at the top level of its JSON
// object beside the fixed keys.
type Task struct {
	ID                 ID                `json:"_id"`
	OrganizationID     ID                `json:"organizationId"`
	Flow               string            `json:"flow"`
	FlowID             *ID               `json:"flowId"`
	HubID              ID                `json:"hubId"`
	Hub                *HubRef           `json:"hub"`
	Status             string            `json:"status"`
	SubStatus          *string           `json:"-"` // emitted on activity masters only
	TaskType           string            `json:"taskType"`
	ParentID           *ID               `json:"parentId,omitempty"`
	SubID              []ID              `json:"subId,omitempty"`
	WorkflowID         *ID               `json:"workflowId,omitempty"`
	Workflow           *WorkflowSnapshot `json:"workflow,omitempty"`
	StepOrder          *int              `json:"stepOrder,omitempty"`
	Title              *string           `json:"title"`
	Content            *string           `json:"content"`
	Label              *string           `json:"label"`
	ExpectedCoordinate *string           `json:"expectedCoordinate"`
	Assignee           []string          `json:"assignee"`
	AssignedTo         *AssignedTo       `json:"assignedTo"`
	AssignedBy         *string           `json:"assignedBy"`
	AssignedTime       Time              `json:"assignedTime"`
	DoneBy             *string           `json:"doneBy"`
	DoneTime           Time              `json:"doneTime"`
	DoneCoordinate     *string           `json:"doneCoordinate"`
	DoneFrom           *string           `json:"doneFrom"`
	StartTime          Time              `json:"startTime"`
	EndTime            Time              `json:"endTime"`
	OrderIndex         float64           `json:"orderIndex"`
	RefID              *string           `json:"refId"`
	CreatedFrom        string            `json:"createdFrom"`
	CreatedBy          string            `json:"createdBy"`
	UpdatedBy          string            `json:"updatedBy"`
	CreatedTime        Time              `json:"createdTime"`
	UpdatedTime        Time              `json:"updatedTime"`
	Version            int               `json:"version"`

	// Values holds the flow component values, keyed by component id.
	Values map[string]json.RawMessage `json:"-"`
	// Mapped records, per component, the value a workflow field mapping last wrote, so a later
	// mapping knows whether it may overwrite it (SPEC §7.3). Stored, never sent to clients.
	Mapped map[string]json.RawMessage `json:"-"`
	// Histories is filled only for GET /task/{taskId}.
	Histories []*History `json:"-"`

	// The flow's component values sit beside the fixed keys: the object is open (this tag
	// tells the OpenAPI generator so).
	_ struct{} `additionalProperties:"true"`
}

// taskJSON has the same fields as Task without its methods, for the default encoder.
type taskJSON Task

// MarshalJSON encodes the fixed keys, then the component values in key order, then
// `histories` when loaded. Activity keys are omitted on plain tasks; masters add `subStatus`
// and the aliases `name` (of `title`) and `tasks` (of `subId`).
func (t *Task) MarshalJSON() ([]byte, error) {
	fixed, err := json.Marshal((*taskJSON)(t))
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Grow(len(fixed) + 64*len(t.Values))
	buf.Write(fixed[:len(fixed)-1])
	if t.TaskType == TaskTypeActivityMaster {
		appendKV(&buf, "subStatus", t.SubStatus)
		appendKV(&buf, "name", t.Title)
		appendKV(&buf, "tasks", t.SubID)
	}
	keys := make([]string, 0, len(t.Values))
	for k := range t.Values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := t.Values[k]
		if len(v) == 0 {
			v = json.RawMessage("null")
		}
		appendKV(&buf, k, v)
	}
	if t.Histories != nil {
		appendKV(&buf, "histories", t.Histories)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// storedKeyMapped holds Task.Mapped in the stored form of a task.
const storedKeyMapped = "_mapped"

// EncodeStored returns the form a store keeps: the client JSON plus internal keys.
func (t *Task) EncodeStored() ([]byte, error) {
	b, err := t.MarshalJSON()
	if err != nil || len(t.Mapped) == 0 {
		return b, err
	}
	var buf bytes.Buffer
	buf.Write(b[:len(b)-1])
	appendKV(&buf, storedKeyMapped, t.Mapped)
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func appendKV(buf *bytes.Buffer, k string, v any) {
	kb, _ := json.Marshal(k)
	vb, err := json.Marshal(v)
	if err != nil {
		vb = []byte("null")
	}
	buf.WriteByte(',')
	buf.Write(kb)
	buf.WriteByte(':')
	buf.Write(vb)
}

// UnmarshalJSON decodes a stored task: fixed keys into fields, every other key into Values.
// The fixed keys are decoded in one pass; the members are then walked, not decoded again, for
// the other keys (their values are kept as written, in one copy of b).
func (t *Task) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, (*taskJSON)(t)); err != nil {
		return err
	}
	own := append([]byte(nil), b...)
	return eachMember(own, func(k string, v []byte) error {
		switch {
		case k == "subStatus":
			return json.Unmarshal(v, &t.SubStatus)
		case k == storedKeyMapped:
			return json.Unmarshal(v, &t.Mapped)
		case taskFixedKeys[k]:
			return nil
		}
		if t.Values == nil {
			t.Values = map[string]json.RawMessage{}
		}
		t.Values[k] = v[:len(v):len(v)]
		return nil
	})
}

// taskFixedKeys are the JSON keys Task encodes itself; every other key is a component value.
var taskFixedKeys = func() map[string]bool {
	m := map[string]bool{"subStatus": true, "name": true, "tasks": true, "histories": true}
	typ := reflect.TypeOf(taskJSON{})
	for i := 0; i < typ.NumField(); i++ {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			m[name] = true
		}
	}
	return m
}()

// History is one audit entry of a task (SPEC §5.4); entries are appended, never edited.
type History struct {
	ID         ID                `json:"_id"`
	TaskID     ID                `json:"taskId"`
	Action     string            `json:"action"`
	Notes      string            `json:"notes"`
	ChangeData map[string]any    `json:"changeData"`
	Changes    map[string]Change `json:"changes"`
	Actor      string            `json:"actor"`
	Cause      *Cause            `json:"cause"`
	CreatedAt  MicroTime         `json:"createdAt"`
}

// Change is the before and after value of one key.
type Change struct {
	From any `json:"from"`
	To   any `json:"to"`
}

// Cause names the child change that caused a roll-up or mapping entry.
type Cause struct {
	TaskID ID     `json:"taskId"`
	Action string `json:"action"`
}

// History actions (SPEC §5.4).
const (
	ActionCreate   = "create"
	ActionPut      = "put"
	ActionPatch    = "patch"
	ActionDelete   = "delete"
	ActionAssign   = "assign"
	ActionUnassign = "unassign"
	ActionMove     = "move"
	ActionDone     = "done"
	ActionRollup   = "rollup"
	ActionMapping  = "mapping"
)

// TaskFilter selects tasks for GET /tasks; pointer and nil fields are "not set".
type TaskFilter struct {
	IDs             []ID
	Status          []string
	Flow            []string // names, exact
	FlowID          []ID
	HubID           *ID
	HubIDs          []ID // caller's hub restriction (nil = all)
	Assignee        *string
	DoneBy          *string // email, or name of a user of the organization
	ActiveAt        *time.Time
	VisitAt         *time.Time
	RoutingResultID *string
	TimeBy          string // createdTime (default), startTime, doneTime
	TimeFrom        *time.Time
	TimeTo          *time.Time
	TaskType        []string
	ParentID        *ID
	WorkflowID      *ID
	Q               *string

	SortBy    string // createdTime (default), updatedTime, startTime, endTime, doneTime, orderIndex
	SortDesc  bool
	Offset    int
	Limit     int
	Cursor    *Task // keyset: continue after this task in the sort order
	CountOnly bool
	NoCount   bool // skip total and metadata counts (keyset mode)
}

// TimeBounds returns f's time range in Unix microseconds (nil: no bound; both nil without
// TimeFrom and TimeTo). A startTime or doneTime range holds no task whose time is unset (stored
// as 0), so its lower bound is at least 1, and there is one lower bound: given two (col > 0 AND
// col >= from), SQLite ranged its index on the first and filtered by the second, reading every
// entry before the range (a one-day range at 1M tasks: 100–300 ms).
func (f TaskFilter) TimeBounds() (from, to *int64) {
	if f.TimeFrom == nil && f.TimeTo == nil {
		return nil, nil
	}
	if f.TimeFrom != nil {
		from = ptr(f.TimeFrom.UnixMicro())
	}
	if (f.TimeBy == "startTime" || f.TimeBy == "doneTime") && (from == nil || *from < 1) {
		from = ptr(int64(1))
	}
	if f.TimeTo != nil {
		to = ptr(f.TimeTo.UnixMicro())
	}
	return from, to
}

// RangeSortedElsewhere reports whether f selects a startTime or doneTime range and sorts by
// another key. Stores then find the page's ids first, from the range's index, and read only
// those tasks: the range may hold thousands of tasks that must all be sorted (at 1M tasks a
// one-day range read 2,900 rows to return 20).
func (f TaskFilter) RangeSortedElsewhere() bool {
	ranged := (f.TimeBy == "startTime" || f.TimeBy == "doneTime") && (f.TimeFrom != nil || f.TimeTo != nil)
	return ranged && f.SortBy != f.TimeBy
}

// NarrowRange reports whether f's time range has both bounds and spans at most a month of an
// organization's tasks. Stores read such a range from its index whatever the sort: their
// planners, guessing where in the sort order the range's tasks lie, may instead walk the sort
// index past every newer task (PostgreSQL, 1M tasks, a day at the far end: 366 ms;
// scripts/explain-plans.sh). A wider range may hold most of the organization, and is left to
// the planner.
func (f TaskFilter) NarrowRange() bool {
	return f.TimeFrom != nil && f.TimeTo != nil && f.TimeTo.Sub(*f.TimeFrom) <= 31*24*time.Hour
}

// TaskCounts are the list metadata counts among the matching tasks.
type TaskCounts struct {
	Total   int
	Done    int
	Ongoing int
}

// AssigneeKey identifies the assignee index rows the stores keep for a task: its lower-cased
// assignee emails, each with the task's creation time. A store rewrites them only when the key
// of the task it writes differs from the one it read.
func AssigneeKey(t *Task) string {
	var b strings.Builder
	b.WriteString(strconv.FormatInt(t.CreatedTime.UnixMicro(), 10))
	for _, email := range t.Assignee {
		b.WriteByte(0)
		b.WriteString(strings.ToLower(email))
	}
	return b.String()
}
