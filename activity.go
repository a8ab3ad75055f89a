package fieldwork

import (
	"bytes"
	"encoding/json"
)

// Names and values of activity masters (SPEC §7.1).
const (
	ActivityFlowName = "ActivityWorkflow"
)

// Rollup is the derived part of an activity master (SPEC §7.2).
type Rollup struct {
	Status    string
	SubStatus *string
	Assignee  []string
	StartTime Time
	EndTime   Time
}

// ComputeRollup derives a master's status, subStatus, assignee, startTime and endTime from
// its children, given in step order, and the workflow snapshot's steps:
//   - status: DONE if every child is DONE, UNASSIGNED if every child is UNASSIGNED, else ONGOING;
//   - subStatus: null while no child is DONE, then the statusMapping of the DONE child with the
//     highest step order (null when that step has none);
//   - assignee: the union of the children's, first-seen order; startTime the earliest child
//     startTime, endTime the latest endTime.
func ComputeRollup(children []*Task, steps []Step) Rollup {
	r := Rollup{Assignee: []string{}}
	allDone, allUnassigned := len(children) > 0, len(children) > 0
	seen := map[string]bool{}
	lastDone := -1
	for i, c := range children {
		if c.Status != StatusDone {
			allDone = false
		} else if i > lastDone {
			lastDone = i
		}
		if c.Status != StatusUnassigned {
			allUnassigned = false
		}
		for _, a := range c.Assignee {
			if !seen[a] {
				seen[a] = true
				r.Assignee = append(r.Assignee, a)
			}
		}
		if !c.StartTime.IsZero() && (r.StartTime.IsZero() || c.StartTime.Before(r.StartTime.Time)) {
			r.StartTime = c.StartTime
		}
		if !c.EndTime.IsZero() && (r.EndTime.IsZero() || c.EndTime.After(r.EndTime.Time)) {
			r.EndTime = c.EndTime
		}
	}
	switch {
	case allDone:
		r.Status = StatusDone
	case allUnassigned:
		r.Status = StatusUnassigned
	default:
		r.Status = StatusOngoing
	}
	if lastDone >= 0 {
		order := lastDone
		if children[lastDone].StepOrder != nil {
			order = *children[lastDone].StepOrder
		}
		if order < len(steps) && steps[order].StatusMapping != nil {
			r.SubStatus = ptr(*steps[order].StatusMapping)
		}
	}
	return r
}

// Apply writes the roll-up into the master.
func (r Rollup) Apply(master *Task) {
	master.Status, master.SubStatus, master.Assignee = r.Status, r.SubStatus, r.Assignee
	master.StartTime, master.EndTime = r.StartTime, r.EndTime
}

// emptyValue reports whether a component value counts as empty for mappings: absent, null
// or "" (SPEC §7.3).
func emptyValue(v json.RawMessage, ok bool) bool {
	if !ok {
		return true
	}
	v = bytes.TrimSpace(v)
	return len(v) == 0 || isNull(v) || bytes.Equal(v, []byte(`""`))
}

// sourceStepOf returns the order of a step mapping's source step.
func (m FieldMapping) sourceStepOf() (int, bool) {
	if m.SourceStep != nil {
		return *m.SourceStep, true
	}
	return 0, false
}

// ApplyCreationMappings fills empty mapped targets of each step's values at activity
// creation (SPEC §7.3): a manual/direct mapping writes its literal, a step mapping copies the
// source step's value as given (after the source's own mappings). A value the caller sent
// always wins. values[i] are the component candidates of tasks[i]; they are changed in place.
// It returns, per step, the target keys a mapping filled and the value written.
func ApplyCreationMappings(steps []Step, values []map[string]json.RawMessage) []map[string]json.RawMessage {
	written := make([]map[string]json.RawMessage, len(steps))
	for i, st := range steps {
		written[i] = map[string]json.RawMessage{}
		if i >= len(values) {
			continue
		}
		for _, m := range st.FieldMappings {
			cur, ok := values[i][m.TargetField]
			if !emptyValue(cur, ok) {
				continue
			}
			var v json.RawMessage
			switch m.SourceType {
			case SourceManual, SourceDirect:
				v, _ = json.Marshal(m.SourceField)
			case SourceStep:
				src, ok := m.sourceStepOf()
				if !ok || src >= i || src < 0 {
					continue
				}
				sv, ok := values[src][m.SourceField]
				if emptyValue(sv, ok) {
					continue
				}
				v = sv
			default:
				continue
			}
			values[i][m.TargetField] = v
			written[i][m.TargetField] = v
		}
	}
	return written
}

// RuntimeMapping is one copy to make when a source child becomes DONE.
type RuntimeMapping struct {
	TargetStep  int
	TargetField string
	Value       json.RawMessage
}

// RuntimeMappings lists the copies SPEC §7.3 makes when the child of step src becomes DONE:
// each step mapping reading from src copies the source's current value into its target child
// when that child is not DONE and its target is empty or still holds the value the last
// mapping wrote (target.Mapped).
func RuntimeMappings(steps []Step, src int, source *Task, children []*Task) []RuntimeMapping {
	var out []RuntimeMapping
	for j, st := range steps {
		if j >= len(children) || children[j] == nil || children[j].Status == StatusDone {
			continue
		}
		target := children[j]
		for _, m := range st.FieldMappings {
			if m.SourceType != SourceStep {
				continue
			}
			if s, ok := m.sourceStepOf(); !ok || s != src {
				continue
			}
			v, ok := source.Values[m.SourceField]
			if emptyValue(v, ok) {
				continue
			}
			cur, has := target.Values[m.TargetField]
			last, wrote := target.Mapped[m.TargetField]
			if !emptyValue(cur, has) && !(wrote && bytes.Equal(bytes.TrimSpace(cur), bytes.TrimSpace(last))) {
				continue
			}
			if has && bytes.Equal(bytes.TrimSpace(cur), bytes.TrimSpace(v)) {
				continue
			}
			out = append(out, RuntimeMapping{TargetStep: j, TargetField: m.TargetField, Value: v})
		}
	}
	return out
}
