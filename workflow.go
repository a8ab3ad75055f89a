package fieldwork

// Workflow is a template of a multi-step job: one step per flow, in order (SPEC §6).
type Workflow struct {
	ID             ID             `json:"_id"`
	OrganizationID ID             `json:"organizationId"`
	Name           string         `json:"name"`
	Steps          []Step         `json:"steps"`
	CustomStatuses []CustomStatus `json:"customStatuses"`
	Sequential     bool           `json:"sequential"`
	Version        int            `json:"version"`
	CreatedBy      string         `json:"createdBy"`
	UpdatedBy      string         `json:"updatedBy"`
	CreatedTime    Time           `json:"createdTime"`
	UpdatedTime    Time           `json:"updatedTime"`
}

// Step is one step of a workflow; Order is its 0-based index.
type Step struct {
	Order         int            `json:"order"`
	FlowID        ID             `json:"flowId"`
	FlowName      string         `json:"flowName"`
	AssigneeID    *ID            `json:"assigneeId"`
	StatusMapping *string        `json:"statusMapping"`
	FieldMappings []FieldMapping `json:"fieldMappings"`
	// FieldSchema is the step flow's flowFields, refreshed whenever the workflow is saved; it
	// is left out of activity snapshots (nil there; an empty list is still sent as []).
	FieldSchema []FlowField `json:"fieldSchema,omitzero"`
}

// CustomStatus is a status name a step can map its completion to.
type CustomStatus struct {
	Name      string `json:"name"`
	IsDefault bool   `json:"isDefault"`
}

// Field mapping source types (SPEC §6.1); manual and direct mean the same.
const (
	SourceManual = "manual"
	SourceDirect = "direct"
	SourceStep   = "step"
)

// FieldMapping fills a component of a step from a literal (manual/direct) or from a component
// of an earlier step (step).
type FieldMapping struct {
	TargetField  string `json:"targetField"`
	SourceType   string `json:"sourceType"`
	SourceStep   *int   `json:"sourceStep"`
	SourceStepID *ID    `json:"sourceStepId"`
	SourceField  string `json:"sourceField"`
}

// WorkflowSnapshot is the copy of a workflow an activity master embeds at creation; later
// edits of the workflow do not change it.
type WorkflowSnapshot struct {
	ID             ID             `json:"_id"`
	Name           string         `json:"name"`
	OrganizationID ID             `json:"organizationId"`
	Version        int            `json:"version"`
	CustomStatuses []CustomStatus `json:"customStatuses"`
	Sequential     bool           `json:"sequential"`
	Steps          []Step         `json:"steps,omitempty"`
}

// Snapshot returns the activity snapshot of the workflow (steps without fieldSchema).
func (w *Workflow) Snapshot() *WorkflowSnapshot {
	s := &WorkflowSnapshot{ID: w.ID, Name: w.Name, OrganizationID: w.OrganizationID, Version: w.Version,
		CustomStatuses: w.CustomStatuses, Sequential: w.Sequential, Steps: make([]Step, len(w.Steps))}
	for i, st := range w.Steps {
		st.FieldSchema = nil
		s.Steps[i] = st
	}
	return s
}

// WorkflowFilter selects workflows; pointer fields are "not set".
type WorkflowFilter struct {
	Name          *string // substring, case-insensitive
	Q             *string // substring of the name or of any step's flowName
	CreatedBy     *string
	StepsCountMin *int
	StepsCountMax *int
	Offset        int
	Limit         int // 0 = all
}

// Clone returns a deep copy of w. FindWorkflowByID may return a workflow shared with other
// readers (see Tx); a caller that changes one clones it first.
func (w *Workflow) Clone() *Workflow { return deepCopy(w) }
