package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/fieldwork-dev/fieldwork"
)

// workflowRoutes registers the routes of SPEC §6.2.
func (s *Server) workflowRoutes() {
	handle(s, op("GET", "/internal/workflows", "listWorkflows", "Workflows"), s.listWorkflows)
	create := withBody[workflowDoc](s, op("POST", "/internal/workflows", "createWorkflow", "Workflows"))
	create.DefaultStatus = http.StatusCreated
	handle(s, create, s.createWorkflow)
	handle(s, op("GET", "/internal/workflows/search", "searchWorkflows", "Workflows"), s.searchWorkflows)
	handle(s, op("GET", "/workflow/{id}", "getWorkflow", "Workflows"), s.getWorkflow)
	handle(s, withBody[workflowDoc](s, op("PUT", "/workflow/{id}", "updateWorkflow", "Workflows")), s.putWorkflow)
	handle(s, op("DELETE", "/workflow/{id}", "deleteWorkflow", "Workflows"), s.deleteWorkflow)
	handle(s, op("GET", "/workflow/{id}/steps/{stepOrder}/field-mapping-data", "getWorkflowFieldMappingData", "Workflows"), s.getFieldMappingData)
	handle(s, withBody[mappingsDoc](s, op("POST", "/workflow/{id}/steps/{stepOrder}/validate-field-mappings", "validateWorkflowFieldMappings", "Workflows")), s.validateFieldMappings)
}

// Messages of the workflow answers (SPEC §1.2.1).
const (
	msgWorkflows        = "Workflows retrieved successfully"
	msgWorkflowSearch   = "Search results retrieved successfully"
	msgWorkflowCreated  = "Workflow created successfully"
	msgWorkflowRead     = "Workflow retrieved successfully"
	msgWorkflowUpdated  = "Workflow updated successfully"
	msgWorkflowDeleted  = "Workflow deleted successfully"
	msgMappingData      = "Field mapping data retrieved successfully"
	msgMappingValidated = "Validation completed"
)

// Workflow list paging (SPEC §6.2): limit 1–100, default 10; -1 means all, at most 2000.
const (
	workflowLimitDefault = 10
	workflowLimitMax     = 100
	workflowLimitAll     = 2000
	workflowQueryMax     = 255
)

// workflowDoc documents the body of POST /internal/workflows and PUT /workflow/{id} (OpenAPI);
// decodeWorkflowBody reads it.
type workflowDoc struct {
	Name           string                   `json:"name,omitempty" minLength:"2" maxLength:"100"`
	Steps          []stepDoc                `json:"steps,omitempty" minItems:"1" maxItems:"10"`
	CustomStatuses []fieldwork.CustomStatus `json:"customStatuses,omitempty" maxItems:"23"`
	Sequential     *bool                    `json:"sequential,omitempty"`
}

type stepDoc struct {
	FlowID        string                   `json:"flowId"`
	AssigneeID    *string                  `json:"assigneeId,omitempty" nullable:"true" doc:"\"\" and null mean none"`
	StatusMapping *string                  `json:"statusMapping,omitempty" nullable:"true"`
	FieldMappings []fieldwork.FieldMapping `json:"fieldMappings,omitempty"`
}

// mappingsDoc documents the body of POST …/validate-field-mappings.
type mappingsDoc struct {
	FieldMappings []fieldwork.FieldMapping `json:"fieldMappings"`
}

// Keys of workflow bodies. Server-managed keys of a workflow read and sent back are ignored;
// every other unknown key is refused. Steps and mappings have a fixed shape too; a step's
// server-set keys (order, flowName, fieldSchema) are accepted and ignored.
var (
	workflowBodyKeys    = []string{"name", "steps", "customStatuses", "sequential"}
	workflowIgnoredKeys = []string{"_id", "organizationId", "version", "createdBy", "updatedBy", "createdTime", "updatedTime"}
	stepKeys            = []string{"flowId", "assigneeId", "statusMapping", "fieldMappings", "order", "flowName", "fieldSchema"}
	customStatusKeys    = []string{"name", "isDefault"}
	mappingKeys         = []string{"targetField", "sourceType", "sourceStep", "sourceStepId", "sourceField"}
)

// workflowCodeOrder is the order in which body problems of different failedCodes are
// reported, the order in which the domain applies its rules.
var workflowCodeOrder = []string{
	fieldwork.CodeWorkflowName, fieldwork.CodeWorkflowInvalid, fieldwork.CodeWorkflowStepCount,
	fieldwork.CodeWorkflowStepFlow, fieldwork.CodeWorkflowStatusMapped, fieldwork.CodeWorkflowMapping,
}

// bodyProblems collects the problems of a body under their failedCodes.
type bodyProblems map[string]fieldwork.FieldErrors

func (p bodyProblems) add(code, field, format string, args ...any) {
	fe := p[code]
	fe.Add(field, format, args...)
	p[code] = fe
}

// err reports every problem of the first failedCode (in workflowCodeOrder) that has any.
func (p bodyProblems) err() error {
	for _, code := range workflowCodeOrder {
		if err := p[code].Err(code); err != nil {
			return err
		}
	}
	return nil
}

// decodeWorkflowBody reads a create or PUT body. A JSON null counts as a key not sent. Wrong
// JSON types and unknown keys are 400s under the code of the rule the key belongs to: name
// workf-003, flowId workf-046, statusMapping workf-049, field mappings workf-047, everything
// else workf-030.
func decodeWorkflowBody(body []byte) (fieldwork.WorkflowInput, error) {
	var in fieldwork.WorkflowInput
	m, err := objectKeys(body)
	if err != nil {
		return in, err
	}
	p := bodyProblems{}
	for _, k := range flowSortedKeys(m) {
		if !slices.Contains(workflowBodyKeys, k) && !slices.Contains(workflowIgnoredKeys, k) {
			p.add(fieldwork.CodeWorkflowInvalid, k, "is not allowed")
		}
	}
	if raw, ok := flowKey(m, "name"); ok {
		var name string
		if json.Unmarshal(raw, &name) != nil {
			p.add(fieldwork.CodeWorkflowName, "name", "must be a string")
		}
		in.Name = &name
	}
	if raw, ok := flowKey(m, "customStatuses"); ok {
		statuses := decodeCustomStatuses(raw, p)
		in.CustomStatuses = &statuses
	}
	if raw, ok := flowKey(m, "sequential"); ok {
		var b bool
		if json.Unmarshal(raw, &b) != nil {
			p.add(fieldwork.CodeWorkflowInvalid, "sequential", "must be a boolean")
		}
		in.Sequential = &b
	}
	if raw, ok := flowKey(m, "steps"); ok {
		steps := decodeSteps(raw, p)
		in.Steps = &steps
	}
	return in, p.err()
}

// objectKeys reads a body that must be one JSON object.
func objectKeys(body []byte) (map[string]json.RawMessage, error) {
	body, err := rawObject(body)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return nil, errMalformed
	}
	return m, nil
}

// items reads raw as a JSON array; ok is false (and a problem is added) when it is not one.
func items(raw json.RawMessage, p bodyProblems, code, path string) ([]json.RawMessage, bool) {
	var list []json.RawMessage
	if !flowIsArray(raw) || json.Unmarshal(raw, &list) != nil {
		p.add(code, path, "must be an array")
		return nil, false
	}
	return list, true
}

// object reads raw as a JSON object with only the allowed keys; ok is false when it is not an
// object. Unknown keys are added as problems under code.
func object(raw json.RawMessage, allowed []string, p bodyProblems, code, path string) (map[string]json.RawMessage, bool) {
	var m map[string]json.RawMessage
	if !flowIsObject(raw) || json.Unmarshal(raw, &m) != nil {
		p.add(code, path, "must be an object")
		return nil, false
	}
	for _, k := range flowSortedKeys(m) {
		if !slices.Contains(allowed, k) {
			p.add(code, fieldwork.Path(path, k), "is not allowed")
		}
	}
	return m, true
}

// optString reads m[key] when it is present and not null: a string, else a problem.
func optString(m map[string]json.RawMessage, key string, p bodyProblems, code, path string) *string {
	raw, ok := flowKey(m, key)
	if !ok {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		p.add(code, fieldwork.Path(path, key), "must be a string")
	}
	return &s
}

func decodeCustomStatuses(raw json.RawMessage, p bodyProblems) []fieldwork.CustomStatus {
	const code = fieldwork.CodeWorkflowInvalid
	list, ok := items(raw, p, code, "customStatuses")
	if !ok {
		return nil
	}
	out := make([]fieldwork.CustomStatus, 0, len(list))
	for i, item := range list {
		path := fieldwork.Path("customStatuses", i)
		m, ok := object(item, customStatusKeys, p, code, path)
		if !ok {
			continue
		}
		var st fieldwork.CustomStatus
		if name := optString(m, "name", p, code, path); name != nil {
			st.Name = *name
		}
		if v, ok := flowKey(m, "isDefault"); ok && json.Unmarshal(v, &st.IsDefault) != nil {
			p.add(code, fieldwork.Path(path, "isDefault"), "must be a boolean")
		}
		out = append(out, st)
	}
	return out
}

func decodeSteps(raw json.RawMessage, p bodyProblems) []fieldwork.Step {
	list, ok := items(raw, p, fieldwork.CodeWorkflowInvalid, "steps")
	if !ok {
		return nil
	}
	out := make([]fieldwork.Step, 0, len(list))
	for i, item := range list {
		path := fieldwork.Path("steps", i)
		m, ok := object(item, stepKeys, p, fieldwork.CodeWorkflowInvalid, path)
		if !ok {
			continue
		}
		var st fieldwork.Step
		if id := optString(m, "flowId", p, fieldwork.CodeWorkflowStepFlow, path); id != nil {
			st.FlowID = *id
		}
		st.AssigneeID = optString(m, "assigneeId", p, fieldwork.CodeWorkflowInvalid, path)
		st.StatusMapping = optString(m, "statusMapping", p, fieldwork.CodeWorkflowStatusMapped, path)
		if v, ok := flowKey(m, "fieldMappings"); ok {
			st.FieldMappings = decodeMappings(v, p, fieldwork.Path(path, "fieldMappings"))
		}
		out = append(out, st)
	}
	return out
}

// decodeMappings reads a fieldMappings array at path; its problems are workf-047.
func decodeMappings(raw json.RawMessage, p bodyProblems, path string) []fieldwork.FieldMapping {
	const code = fieldwork.CodeWorkflowMapping
	list, ok := items(raw, p, code, path)
	if !ok {
		return nil
	}
	out := make([]fieldwork.FieldMapping, 0, len(list))
	for i, item := range list {
		ipath := fieldwork.Path(path, i)
		m, ok := object(item, mappingKeys, p, code, ipath)
		if !ok {
			continue
		}
		var fm fieldwork.FieldMapping
		for _, f := range []struct {
			key string
			dst *string
		}{{"targetField", &fm.TargetField}, {"sourceType", &fm.SourceType}, {"sourceField", &fm.SourceField}} {
			if v := optString(m, f.key, p, code, ipath); v != nil {
				*f.dst = *v
			}
		}
		fm.SourceStepID = optString(m, "sourceStepId", p, code, ipath)
		if v, ok := flowKey(m, "sourceStep"); ok {
			var n int
			if json.Unmarshal(v, &n) != nil {
				p.add(code, fieldwork.Path(ipath, "sourceStep"), "must be an integer")
			}
			fm.SourceStep = &n
		}
		out = append(out, fm)
	}
	return out
}

// WorkflowPagination is the `pagination` of the workflow lists (SPEC §6.2).
type WorkflowPagination struct {
	CurrentPage int `json:"current_page"`
	PerPage     int `json:"per_page"`
	Total       int `json:"total"`
	LastPage    int `json:"last_page"`
}

// WorkflowListAnswer answers GET /internal/workflows: the workflows under `data`.
type WorkflowListAnswer struct {
	Envelope
	Data       []*fieldwork.Workflow `json:"data"`
	Pagination WorkflowPagination    `json:"pagination"`
}

// WorkflowSearch echoes the search: the query and the filters sent.
type WorkflowSearch struct {
	Query   string         `json:"query"`
	Filters map[string]any `json:"filters"`
}

// WorkflowSearchAnswer answers GET /internal/workflows/search.
type WorkflowSearchAnswer struct {
	WorkflowListAnswer
	Search WorkflowSearch `json:"search"`
	Source string         `json:"source"`
}

// WorkflowUsage counts what uses a workflow.
type WorkflowUsage struct {
	Activities int `json:"activities"`
}

// WorkflowDeleteAnswer answers DELETE /workflow/{id}.
type WorkflowDeleteAnswer struct {
	Envelope
	Usage WorkflowUsage `json:"usage"`
}

type workflowCreate struct {
	RawBody []byte
}

type workflowPath struct {
	ID      string `path:"id"`
	IfMatch string `header:"If-Match"`
}

type workflowWrite struct {
	ID      string `path:"id"`
	IfMatch string `header:"If-Match"`
	RawBody []byte
}

type workflowDelete struct {
	ID        string `path:"id"`
	IfMatch   string `header:"If-Match"`
	Force     string `query:"force"`
	Confirmed string `query:"confirmed"`
}

type workflowStepPath struct {
	ID        string `path:"id"`
	StepOrder string `path:"stepOrder"`
}

type workflowStepWrite struct {
	ID        string `path:"id"`
	StepOrder string `path:"stepOrder"`
	RawBody   []byte
}

type workflowList struct {
	Page  string `query:"page"`
	Limit string `query:"limit"`
	Name  string `query:"name"`
}

type workflowSearchQuery struct {
	Page          string `query:"page"`
	Limit         string `query:"limit"`
	Q             string `query:"q"`
	CreatedBy     string `query:"createdBy"`
	StepsCountMin string `query:"stepsCountMin"`
	StepsCountMax string `query:"stepsCountMax"`
}

// workflowPaging parses page (default 1) and limit (1–100, default 10, -1 = all up to 2000);
// problems are workf-030.
func workflowPaging(pageS, limitS string) (page, limit int, err error) {
	if limitS == "-1" {
		page, _, err = paging(pageS, "", workflowLimitAll, workflowLimitAll, fieldwork.CodeWorkflowInvalid)
		return page, workflowLimitAll, err
	}
	return paging(pageS, limitS, workflowLimitDefault, workflowLimitMax, fieldwork.CodeWorkflowInvalid)
}

// workflowPage lists one page of the workflows matching f.
func (s *Server) workflowPage(ctx context.Context, c *fieldwork.Caller, f fieldwork.WorkflowFilter, page, limit int, message string) (WorkflowListAnswer, error) {
	f.Offset, f.Limit = (page-1)*limit, limit
	wfs, total, err := s.Service.FindWorkflows(ctx, c, f)
	if err != nil {
		return WorkflowListAnswer{}, err
	}
	return WorkflowListAnswer{
		Envelope: envelope(http.StatusOK, message),
		Data:     wfs,
		Pagination: WorkflowPagination{CurrentPage: page, PerPage: limit, Total: total,
			LastPage: max(1, (total+limit-1)/limit)},
	}, nil
}

func (s *Server) listWorkflows(ctx context.Context, c *fieldwork.Caller, in *workflowList) (*Out[WorkflowListAnswer], error) {
	page, limit, err := workflowPaging(in.Page, in.Limit)
	if err != nil {
		return nil, err
	}
	var f fieldwork.WorkflowFilter
	if in.Name != "" {
		f.Name = &in.Name
	}
	a, err := s.workflowPage(ctx, c, f, page, limit, msgWorkflows)
	if err != nil {
		return nil, err
	}
	return reply(http.StatusOK, a), nil
}

// searchWorkflows answers GET /internal/workflows/search: q matches the name or any step's
// flowName (case-insensitive substring); createdBy, stepsCountMin and stepsCountMax filter.
// `source` is the official constant.
func (s *Server) searchWorkflows(ctx context.Context, c *fieldwork.Caller, in *workflowSearchQuery) (*Out[WorkflowSearchAnswer], error) {
	var fe fieldwork.FieldErrors
	page, limit, err := workflowPaging(in.Page, in.Limit)
	if err != nil {
		return nil, err
	}
	var f fieldwork.WorkflowFilter
	filters := map[string]any{}
	q := strings.TrimSpace(in.Q)
	if utf8.RuneCountInString(q) > workflowQueryMax {
		fe.Add("q", "must be at most %d characters", workflowQueryMax)
	} else if q != "" {
		f.Q = &q
	}
	if in.CreatedBy != "" {
		f.CreatedBy = &in.CreatedBy
		filters["createdBy"] = in.CreatedBy
	}
	for _, p := range []struct {
		key string
		raw string
		dst **int
	}{{"stepsCountMin", in.StepsCountMin, &f.StepsCountMin}, {"stepsCountMax", in.StepsCountMax, &f.StepsCountMax}} {
		if p.raw == "" {
			continue
		}
		n, err := strconv.Atoi(p.raw)
		if err != nil || n < 1 || n > fieldwork.WorkflowMaxSteps {
			fe.Add(p.key, "must be an integer from 1 to %d", fieldwork.WorkflowMaxSteps)
			continue
		}
		*p.dst = &n
		filters[p.key] = n
	}
	if f.StepsCountMin != nil && f.StepsCountMax != nil && *f.StepsCountMin > *f.StepsCountMax {
		fe.Add("stepsCountMin", "must not be greater than stepsCountMax")
	}
	if err := fe.Err(fieldwork.CodeWorkflowInvalid); err != nil {
		return nil, err
	}
	a, err := s.workflowPage(ctx, c, f, page, limit, msgWorkflowSearch)
	if err != nil {
		return nil, err
	}
	return reply(http.StatusOK, WorkflowSearchAnswer{a, WorkflowSearch{Query: q, Filters: filters}, "mongodb_text_search"}), nil
}

func (s *Server) createWorkflow(ctx context.Context, c *fieldwork.Caller, in *workflowCreate) (*Out[DataBody[*fieldwork.Workflow]], error) {
	body, err := decodeWorkflowBody(in.RawBody)
	if err != nil {
		return nil, err
	}
	w, err := s.Service.CreateWorkflow(ctx, c, body)
	if err != nil {
		return nil, err
	}
	out := reply(http.StatusCreated, DataBody[*fieldwork.Workflow]{envelope(http.StatusCreated, msgWorkflowCreated), w})
	out.ETag = etag(w.Version)
	return out, nil
}

func (s *Server) getWorkflow(ctx context.Context, c *fieldwork.Caller, in *workflowPath) (*Out[DataBody[*fieldwork.Workflow]], error) {
	w, err := s.Service.FindWorkflow(ctx, c, in.ID)
	if err != nil {
		return nil, err
	}
	out := reply(http.StatusOK, DataBody[*fieldwork.Workflow]{envelope(http.StatusOK, msgWorkflowRead), w})
	out.ETag = etag(w.Version)
	return out, nil
}

// checkWorkflowID answers a malformed workflow id as a missing workflow before anything else
// of the request is looked at, so ids cannot be probed (SPEC §1.3).
func checkWorkflowID(id string) error {
	if !fieldwork.ValidID(id) {
		return fieldwork.NotFound(fieldwork.CodeWorkflowNotFound, "Workflow not found")
	}
	return nil
}

func (s *Server) putWorkflow(ctx context.Context, c *fieldwork.Caller, in *workflowWrite) (*Out[DataBody[*fieldwork.Workflow]], error) {
	if err := checkWorkflowID(in.ID); err != nil {
		return nil, err
	}
	body, err := decodeWorkflowBody(in.RawBody)
	if err != nil {
		return nil, err
	}
	w, err := s.Service.UpdateWorkflow(ctx, c, in.ID, body, ifMatch(in.IfMatch))
	if err != nil {
		return nil, err
	}
	out := reply(http.StatusOK, DataBody[*fieldwork.Workflow]{envelope(http.StatusOK, msgWorkflowUpdated), w})
	out.ETag = etag(w.Version)
	return out, nil
}

func (s *Server) deleteWorkflow(ctx context.Context, c *fieldwork.Caller, in *workflowDelete) (*Out[WorkflowDeleteAnswer], error) {
	if err := checkWorkflowID(in.ID); err != nil {
		return nil, err
	}
	var fe fieldwork.FieldErrors
	force := boolParam(&fe, "force", in.Force)
	confirmed := boolParam(&fe, "confirmed", in.Confirmed)
	if err := fe.Err(fieldwork.CodeWorkflowInvalid); err != nil {
		return nil, err
	}
	usage, err := s.Service.DeleteWorkflow(ctx, c, in.ID, force, confirmed, ifMatch(in.IfMatch))
	if err != nil {
		return nil, err
	}
	return reply(http.StatusOK, WorkflowDeleteAnswer{envelope(http.StatusOK, msgWorkflowDeleted), WorkflowUsage{usage}}), nil
}

// stepOrder parses {stepOrder}: a non-negative integer, else 400 workf-003. A number too large
// for an int names no step: it is returned as -1, which the service answers with 404.
func stepOrder(s string) (int, error) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, fieldwork.InvalidField(fieldwork.CodeWorkflowName, "stepOrder", "must be a non-negative integer")
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1, nil
	}
	return n, nil
}

func (s *Server) getFieldMappingData(ctx context.Context, c *fieldwork.Caller, in *workflowStepPath) (*Out[DataBody[*fieldwork.FieldMappingData]], error) {
	if err := checkWorkflowID(in.ID); err != nil {
		return nil, err
	}
	order, err := stepOrder(in.StepOrder)
	if err != nil {
		return nil, err
	}
	d, err := s.Service.WorkflowFieldMappingData(ctx, c, in.ID, order)
	if err != nil {
		return nil, err
	}
	return reply(http.StatusOK, DataBody[*fieldwork.FieldMappingData]{envelope(http.StatusOK, msgMappingData), d}), nil
}

func (s *Server) validateFieldMappings(ctx context.Context, c *fieldwork.Caller, in *workflowStepWrite) (*Out[DataBody[*fieldwork.MappingValidation]], error) {
	if err := checkWorkflowID(in.ID); err != nil {
		return nil, err
	}
	order, err := stepOrder(in.StepOrder)
	if err != nil {
		return nil, err
	}
	m, err := objectKeys(in.RawBody)
	if err != nil {
		return nil, err
	}
	p := bodyProblems{}
	for _, k := range flowSortedKeys(m) {
		if k != "fieldMappings" {
			p.add(fieldwork.CodeWorkflowMapping, k, "is not allowed")
		}
	}
	var mappings []fieldwork.FieldMapping
	if raw, ok := flowKey(m, "fieldMappings"); ok {
		mappings = decodeMappings(raw, p, "fieldMappings")
	} else {
		p.add(fieldwork.CodeWorkflowMapping, "fieldMappings", "is required")
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	v, err := s.Service.ValidateWorkflowFieldMappings(ctx, c, in.ID, order, mappings)
	if err != nil {
		return nil, err
	}
	return reply(http.StatusOK, DataBody[*fieldwork.MappingValidation]{envelope(http.StatusOK, msgMappingValidated), v}), nil
}
