package postgres

import (
	"context"
	"strings"

	"github.com/fieldwork-dev/fieldwork"
)

var (
	errWorkflowNotFound = fieldwork.NotFound("workf-033", "Workflow not found")
	errWorkflowName     = &fieldwork.Error{Code: fieldwork.EINVALID, FailedCode: "workf-031", Message: "Workflow name already exists",
		Fields: []fieldwork.FieldError{{Field: "name", Message: "Workflow name already exists"}}}
)

func workflowSearchText(w *fieldwork.Workflow) string {
	parts := []string{strings.ToLower(w.Name)}
	for _, s := range w.Steps {
		parts = append(parts, strings.ToLower(s.FlowName))
	}
	return strings.Join(parts, "\n")
}

// FindWorkflowByID returns one workflow, shared with other readers of the same stored document
// (see doccache).
func (tx *Tx) FindWorkflowByID(ctx context.Context, id fieldwork.ID) (*fieldwork.Workflow, error) {
	doc, err := tx.getRaw(ctx, errWorkflowNotFound, `SELECT doc FROM workflows WHERE organization_id = $1 AND id = $2`, tx.org, id)
	if err != nil {
		return nil, err
	}
	return tx.store.workflows.Decode(tx.org+"/"+id, doc, decode)
}

// FindWorkflowByName returns the workflow with that name, compared case-insensitively.
func (tx *Tx) FindWorkflowByName(ctx context.Context, name string) (*fieldwork.Workflow, error) {
	var w fieldwork.Workflow
	if err := tx.getDoc(ctx, errWorkflowNotFound, &w, `SELECT doc FROM workflows WHERE organization_id = $1 AND name_lower = $2`, tx.org, strings.ToLower(name)); err != nil {
		return nil, err
	}
	return &w, nil
}

// FindWorkflows returns the workflows matching f, newest first, and how many match.
func (tx *Tx) FindWorkflows(ctx context.Context, f fieldwork.WorkflowFilter) ([]*fieldwork.Workflow, int, error) {
	w := newWhere(tx.org)
	if f.Name != nil {
		w.add(`name_lower LIKE ? ESCAPE '\'`, likeEscape(*f.Name))
	}
	if f.Q != nil {
		w.add(`search_text LIKE ? ESCAPE '\'`, likeEscape(*f.Q))
	}
	if f.CreatedBy != nil {
		w.add("created_by = ?", strings.ToLower(*f.CreatedBy))
	}
	if f.StepsCountMin != nil {
		w.add("steps_count >= ?", *f.StepsCountMin)
	}
	if f.StepsCountMax != nil {
		w.add("steps_count <= ?", *f.StepsCountMax)
	}
	cond, args := w.sql()
	total, err := tx.count(ctx, `SELECT count(*) FROM workflows WHERE `+cond, args...)
	if err != nil {
		return nil, 0, err
	}
	wfs, err := docs[fieldwork.Workflow](ctx, tx, `SELECT doc FROM workflows WHERE `+cond+` ORDER BY created_time DESC, id DESC`+limitOffset(f.Limit, f.Offset), args...)
	return wfs, total, err
}

func (tx *Tx) writeWorkflowFlows(ctx context.Context, wf *fieldwork.Workflow) error {
	if _, err := tx.tx.Exec(ctx, `DELETE FROM workflow_flows WHERE organization_id = $1 AND workflow_id = $2`, tx.org, wf.ID); err != nil {
		return err
	}
	for _, s := range wf.Steps {
		if _, err := tx.tx.Exec(ctx, `INSERT INTO workflow_flows (organization_id, flow_id, workflow_id) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`, tx.org, s.FlowID, wf.ID); err != nil {
			return err
		}
	}
	return nil
}

// CreateWorkflow inserts a workflow; a taken name is workf-031.
func (tx *Tx) CreateWorkflow(ctx context.Context, wf *fieldwork.Workflow) error {
	if err := tx.execUnique(ctx, "workflows_name", errWorkflowName, nil, `INSERT INTO workflows (organization_id, id, name_lower, created_by, steps_count, search_text, created_time, doc)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		tx.org, wf.ID, strings.ToLower(wf.Name), strings.ToLower(wf.CreatedBy), len(wf.Steps), workflowSearchText(wf), wf.CreatedTime.UnixMicro(), mustJSON(wf)); err != nil {
		return storable(err, fieldwork.CodeWorkflowInvalid)
	}
	return tx.writeWorkflowFlows(ctx, wf)
}

// UpdateWorkflow replaces a workflow; a taken name is workf-031.
func (tx *Tx) UpdateWorkflow(ctx context.Context, wf *fieldwork.Workflow) error {
	if err := tx.execUnique(ctx, "workflows_name", errWorkflowName, errWorkflowNotFound, `UPDATE workflows SET name_lower = $3, steps_count = $4, search_text = $5, doc = $6
		WHERE organization_id = $1 AND id = $2`,
		tx.org, wf.ID, strings.ToLower(wf.Name), len(wf.Steps), workflowSearchText(wf), mustJSON(wf)); err != nil {
		return storable(err, fieldwork.CodeWorkflowInvalid)
	}
	return tx.writeWorkflowFlows(ctx, wf)
}

// DeleteWorkflow removes a workflow.
func (tx *Tx) DeleteWorkflow(ctx context.Context, id fieldwork.ID) error {
	if err := tx.exec(ctx, errWorkflowNotFound, `DELETE FROM workflows WHERE organization_id = $1 AND id = $2`, tx.org, id); err != nil {
		return err
	}
	return tx.exec(ctx, nil, `DELETE FROM workflow_flows WHERE organization_id = $1 AND workflow_id = $2`, tx.org, id)
}

// CountWorkflowsUsingFlow counts the workflows with a step on the flow.
func (tx *Tx) CountWorkflowsUsingFlow(ctx context.Context, flowID fieldwork.ID) (int, error) {
	return tx.count(ctx, `SELECT count(*) FROM workflow_flows WHERE organization_id = $1 AND flow_id = $2`, tx.org, flowID)
}
