package fieldwork

import (
	"context"
	"fmt"
)

// WorkflowInput is a create or partial update body of a workflow (SPEC §6); nil fields were
// not sent. Steps are read as Step values whose server-set keys (order, flowName,
// fieldSchema) are ignored.
type WorkflowInput struct {
	Name           *string
	Steps          *[]Step
	CustomStatuses *[]CustomStatus
	Sequential     *bool
}

// MappingStep is a step as the field-mapping editor sees it.
type MappingStep struct {
	StepOrder int         `json:"stepOrder"`
	FlowID    ID          `json:"flowId"`
	FlowName  string      `json:"flowName"`
	Fields    []FlowField `json:"fields"`
}

// FieldMappingData is the `data` of GET /workflow/{id}/steps/{stepOrder}/field-mapping-data:
// the step, every earlier step (the possible sources) and the step's mappings.
type FieldMappingData struct {
	CurrentStep      MappingStep    `json:"currentStep"`
	PreviousSteps    []MappingStep  `json:"previousSteps"`
	ExistingMappings []FieldMapping `json:"existingMappings"`
}

// MappingValidation is the `data` of POST /workflow/{id}/steps/{stepOrder}/validate-field-mappings.
type MappingValidation struct {
	Valid    bool     `json:"valid"`
	Errors   []string `json:"errors"`
	Warnings []string `json:"warnings"`
}

// errWorkflowNotFound is what a workflow outside the caller's reach looks like (SPEC §1.2.1).
func errWorkflowNotFound() error { return NotFound(CodeWorkflowNotFound, "Workflow not found") }

// errStepNotFound answers a {stepOrder} past the last step.
func errStepNotFound() error { return NotFound(CodeWorkflowNotFound, "Workflow or step not found") }

// findWorkflow reads a workflow; a malformed id is a missing one, so ids cannot be probed.
func findWorkflow(ctx context.Context, tx Tx, id ID) (*Workflow, error) {
	if !ValidID(id) {
		return nil, errWorkflowNotFound()
	}
	w, err := tx.FindWorkflowByID(ctx, id)
	if ErrorCode(err) == ENOTFOUND {
		return nil, errWorkflowNotFound()
	}
	return w, err
}

// workflowRefs looks up the flows and users the steps name, for the pure rules.
func workflowRefs(ctx context.Context, tx Tx, steps []Step) (WorkflowRefs, error) {
	refs := WorkflowRefs{Flows: map[ID]*Flow{}, Users: map[ID]*User{}}
	for _, st := range steps {
		if ValidID(st.FlowID) && refs.Flows[st.FlowID] == nil {
			f, err := tx.FindFlowByID(ctx, st.FlowID)
			if err == nil {
				refs.Flows[st.FlowID] = f
			} else if ErrorCode(err) != ENOTFOUND {
				return refs, err
			}
		}
		if st.AssigneeID != nil && ValidID(*st.AssigneeID) && refs.Users[*st.AssigneeID] == nil {
			u, err := tx.FindUserByID(ctx, *st.AssigneeID)
			if err == nil {
				refs.Users[u.ID] = u
			} else if ErrorCode(err) != ENOTFOUND {
				return refs, err
			}
		}
	}
	return refs, nil
}

// stepFlows returns the current flow of each step (nil for a flow that no longer exists).
func stepFlows(ctx context.Context, tx Tx, steps []Step) ([]*Flow, error) {
	flows := make([]*Flow, len(steps))
	for i, st := range steps {
		f, err := tx.FindFlowByID(ctx, st.FlowID)
		if err == nil {
			flows[i] = f
		} else if ErrorCode(err) != ENOTFOUND {
			return nil, err
		}
	}
	return flows, nil
}

// FindWorkflow returns one workflow of the caller's organization; every role may read
// workflows.
func (s *Service) FindWorkflow(ctx context.Context, c *Caller, id ID) (*Workflow, error) {
	var w *Workflow
	err := s.view(ctx, c.OrgID(), func(tx Tx) (err error) {
		w, err = findWorkflow(ctx, tx, id)
		return err
	})
	return w, err
}

// FindWorkflows lists the workflows matching f, newest first, and how many match in all.
func (s *Service) FindWorkflows(ctx context.Context, c *Caller, f WorkflowFilter) ([]*Workflow, int, error) {
	var wfs []*Workflow
	var total int
	err := s.view(ctx, c.OrgID(), func(tx Tx) (err error) {
		wfs, total, err = tx.FindWorkflows(ctx, f)
		return err
	})
	if wfs == nil {
		wfs = []*Workflow{}
	}
	return wfs, total, err
}

// CreateWorkflow creates a workflow (Owner/Admin). name and steps are required; customStatuses
// default to the three locked ones and sequential to true.
func (s *Service) CreateWorkflow(ctx context.Context, c *Caller, in WorkflowInput) (*Workflow, error) {
	if err := requireAdmin(c); err != nil {
		return nil, err
	}
	if in.Name == nil {
		return nil, InvalidField(CodeWorkflowName, "name", "is required")
	}
	now := s.now()
	w := &Workflow{
		ID: NewID(now), OrganizationID: c.OrgID(), Sequential: true, Version: 1,
		CreatedBy: c.User.Email, UpdatedBy: c.User.Email, CreatedTime: NewTime(now), UpdatedTime: NewTime(now),
	}
	if in.Steps == nil {
		in.Steps = &[]Step{}
	}
	err := s.update(ctx, c.OrgID(), func(tx Tx) error {
		if err := applyWorkflow(ctx, tx, w, in); err != nil {
			return err
		}
		return tx.CreateWorkflow(ctx, w)
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// UpdateWorkflow changes the keys sent in in (Owner/Admin); omitted keys keep their value. Sent
// steps replace the list, are validated as on create and must keep the step count (workf-048).
// Without steps, the stored steps must still map to existing statuses (workf-049) and their
// flowName and fieldSchema are refreshed. ifMatch, when not nil, must equal the version.
func (s *Service) UpdateWorkflow(ctx context.Context, c *Caller, id ID, in WorkflowInput, ifMatch *int) (*Workflow, error) {
	if err := requireAdmin(c); err != nil {
		return nil, err
	}
	var w *Workflow
	err := s.update(ctx, c.OrgID(), func(tx Tx) (err error) {
		if w, err = findWorkflow(ctx, tx, id); err != nil {
			return err
		}
		if err := checkVersion(w.Version, ifMatch); err != nil {
			return err
		}
		w = w.Clone()
		if in.Steps != nil && len(*in.Steps) != len(w.Steps) {
			return InvalidField(CodeWorkflowStepsFrozen, "steps", "must keep the workflow's %d steps (got %d)", len(w.Steps), len(*in.Steps))
		}
		if err := applyWorkflow(ctx, tx, w, in); err != nil {
			return err
		}
		w.Version++
		w.UpdatedBy = c.User.Email
		w.UpdatedTime = NewTime(s.now())
		return tx.UpdateWorkflow(ctx, w)
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// applyWorkflow validates the keys sent in in and copies them onto w, in the order name
// (workf-003), customStatuses (workf-030), steps (ValidateSteps). Steps not sent are checked
// against the new statuses and get their flowName and fieldSchema refreshed, since the schema
// is refreshed whenever the workflow is saved.
func applyWorkflow(ctx context.Context, tx Tx, w *Workflow, in WorkflowInput) error {
	if in.Name != nil {
		name, err := NormalizeWorkflowName(*in.Name)
		if err != nil {
			return err
		}
		w.Name = name
	}
	if in.CustomStatuses != nil || w.CustomStatuses == nil {
		var sent []CustomStatus
		if in.CustomStatuses != nil {
			sent = *in.CustomStatuses
		}
		statuses, err := NormalizeCustomStatuses(sent)
		if err != nil {
			return err
		}
		w.CustomStatuses = statuses
	}
	if in.Sequential != nil {
		w.Sequential = *in.Sequential
	}
	steps := w.Steps
	if in.Steps != nil {
		steps = *in.Steps
	}
	refs, err := workflowRefs(ctx, tx, steps)
	if err != nil {
		return err
	}
	if in.Steps != nil {
		steps, err := ValidateSteps(steps, w.CustomStatuses, refs)
		if err != nil {
			return err
		}
		w.Steps = steps
		return nil
	}
	if err := CheckStatusMappings(w.Steps, w.CustomStatuses); err != nil {
		return err
	}
	for i := range w.Steps {
		if f := refs.Flows[w.Steps[i].FlowID]; f != nil {
			w.Steps[i].FlowName, w.Steps[i].FieldSchema = f.Name, f.Fields()
		}
	}
	return nil
}

// DeleteWorkflow deletes a workflow (Owner/Admin) and returns its usage: the number of
// activities (masters) created from it. While activities use it, only force and confirmed
// together delete it; otherwise it is refused with workf-032, `confirmation_required` and
// `usage`. Existing activities keep their snapshot. ifMatch, when not nil, must equal the
// version.
func (s *Service) DeleteWorkflow(ctx context.Context, c *Caller, id ID, force, confirmed bool, ifMatch *int) (int, error) {
	if err := requireAdmin(c); err != nil {
		return 0, err
	}
	usage := 0
	err := s.update(ctx, c.OrgID(), func(tx Tx) error {
		w, err := findWorkflow(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := checkVersion(w.Version, ifMatch); err != nil {
			return err
		}
		counts, err := tx.CountTasks(ctx, TaskFilter{TaskType: []string{TaskTypeActivityMaster}, WorkflowID: &w.ID})
		if err != nil {
			return err
		}
		usage = counts.Total
		if usage > 0 && !(force && confirmed) {
			noun := "activities"
			if usage == 1 {
				noun = "activity"
			}
			return &Error{Code: EINVALID, FailedCode: CodeWorkflowInUse,
				Message: fmt.Sprintf("The workflow is used by %d %s; send force=true and confirmed=true to delete it", usage, noun),
				Extra:   map[string]any{"confirmation_required": true, "usage": map[string]int{"activities": usage}}}
		}
		return tx.DeleteWorkflow(ctx, w.ID)
	})
	return usage, err
}

// workflowStep reads a workflow and the current flows of its steps, and checks that stepOrder
// names one of its steps (else workf-033 "Workflow or step not found").
func (s *Service) workflowStep(ctx context.Context, c *Caller, id ID, stepOrder int) (*Workflow, []*Flow, error) {
	var w *Workflow
	var flows []*Flow
	err := s.view(ctx, c.OrgID(), func(tx Tx) (err error) {
		if w, err = findWorkflow(ctx, tx, id); err != nil {
			return err
		}
		if stepOrder < 0 || stepOrder >= len(w.Steps) {
			return errStepNotFound()
		}
		flows, err = stepFlows(ctx, tx, w.Steps)
		return err
	})
	return w, flows, err
}

// WorkflowFieldMappingData returns the step at stepOrder, the steps before it and its field
// mappings, for a mapping editor; every role may read it.
func (s *Service) WorkflowFieldMappingData(ctx context.Context, c *Caller, id ID, stepOrder int) (*FieldMappingData, error) {
	w, _, err := s.workflowStep(ctx, c, id, stepOrder)
	if err != nil {
		return nil, err
	}
	view := func(st Step) MappingStep {
		fields := st.FieldSchema
		if fields == nil {
			fields = []FlowField{}
		}
		return MappingStep{StepOrder: st.Order, FlowID: st.FlowID, FlowName: st.FlowName, Fields: fields}
	}
	d := &FieldMappingData{CurrentStep: view(w.Steps[stepOrder]), PreviousSteps: []MappingStep{},
		ExistingMappings: w.Steps[stepOrder].FieldMappings}
	for _, st := range w.Steps[:stepOrder] {
		d.PreviousSteps = append(d.PreviousSteps, view(st))
	}
	if d.ExistingMappings == nil {
		d.ExistingMappings = []FieldMapping{}
	}
	return d, nil
}

// ValidateWorkflowFieldMappings checks mappings for the step at stepOrder as a save would
// (ValidateFieldMappings against the steps' current flows) without saving anything. Every
// role may ask: nothing changes.
func (s *Service) ValidateWorkflowFieldMappings(ctx context.Context, c *Caller, id ID, stepOrder int, mappings []FieldMapping) (*MappingValidation, error) {
	w, flows, err := s.workflowStep(ctx, c, id, stepOrder)
	if err != nil {
		return nil, err
	}
	_, errs, warnings := ValidateFieldMappings(w.Steps, flows, stepOrder, mappings, "fieldMappings")
	v := &MappingValidation{Valid: len(errs) == 0, Errors: []string{}, Warnings: warnings}
	for _, e := range errs {
		v.Errors = append(v.Errors, e.String())
	}
	return v, nil
}
