package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/fieldwork-dev/fieldwork"
)

// activityRoutes registers SPEC §7.
func (s *Server) activityRoutes() {
	handle(s, withBody[activityDoc](s, op("POST", "/activity", "createActivity", "Activities")), s.createActivity)
	handle(s, withBody[activityDoc](s, op("POST", "/internal/activity", "createActivityInternal", "Activities")), s.createActivity)
	handle(s, withBody[bulkActivitiesDoc](s, bulk(op("POST", "/activities/bulk", "createActivities", "Activities"))), s.createActivities)
	handle(s, op("GET", "/activities", "listActivities", "Activities"), s.listActivities)
	handle(s, op("GET", "/activities/workflow/{workflowId}", "listWorkflowActivities", "Activities"), s.listActivities)
	handle(s, op("GET", "/activity/{id}", "getActivity", "Activities"), s.getActivity)
	handle(s, op("DELETE", "/activity/{id}", "deleteActivity", "Activities"), s.deleteActivity)
}

// activityDoc documents POST /activity.
type activityDoc struct {
	WorkflowID string    `json:"workflowId"`
	HubID      string    `json:"hubId,omitempty"`
	Tasks      []taskDoc `json:"tasks" doc:"One task body per workflow step, in step order"`
}

type bulkActivityDoc struct {
	WorkflowID string    `json:"workflowId"`
	HubID      string    `json:"hubId,omitempty"`
	Tasks      []taskDoc `json:"tasks"`
	RefID      string    `json:"refId,omitempty"`
}

type bulkActivitiesDoc struct {
	Activities []bulkActivityDoc `json:"activities" maxItems:"500"`
}

// ActivityBody answers with a master under `data`.
type ActivityBody struct {
	Envelope
	Data *activityView `json:"data"`
}

// activityView is a master, optionally with its children.
type activityView struct {
	*fieldwork.Task
	Children []*fieldwork.Task `json:"children,omitempty"`
}

// MarshalJSON adds `children` to the master's object.
func (v *activityView) MarshalJSON() ([]byte, error) {
	b, err := v.Task.MarshalJSON()
	if err != nil || v.Children == nil {
		return b, err
	}
	children, err := json.Marshal(v.Children)
	if err != nil {
		return nil, err
	}
	out := append(b[:len(b)-1:len(b)-1], `,"children":`...)
	out = append(out, children...)
	return append(out, '}'), nil
}

// withoutSteps returns a copy of the master whose workflow snapshot omits its steps, as the
// create answer shows it (SPEC §7.1).
func withoutSteps(m *fieldwork.Task) *fieldwork.Task {
	cp := *m
	if m.Workflow != nil {
		wf := *m.Workflow
		wf.Steps = nil
		cp.Workflow = &wf
	}
	return &cp
}

func (s *Server) createActivity(ctx context.Context, c *fieldwork.Caller, in *rawBody) (*Out[ActivityBody], error) {
	var body map[string]json.RawMessage
	if err := decodeObject(in.RawBody, &body, "activ-032", false); err != nil {
		return nil, err
	}
	m, err := s.Service.CreateActivity(ctx, c, body)
	if err != nil {
		return nil, err
	}
	return reply(http.StatusCreated, ActivityBody{envelope(http.StatusCreated, "Activity created successfully"), &activityView{Task: withoutSteps(m)}}), nil
}

// BulkActivitiesBody is the answer of POST /activities/bulk.
type BulkActivitiesBody struct {
	Envelope
	Success    int        `json:"success"`
	Failed     int        `json:"failed"`
	Activities []BulkItem `json:"activities"`
}

func (s *Server) createActivities(ctx context.Context, c *fieldwork.Caller, in *rawBody) (*Out[BulkActivitiesBody], error) {
	var b struct {
		Activities *[]json.RawMessage `json:"activities"`
	}
	if err := decodeObject(in.RawBody, &b, "activ-032", true); err != nil {
		return nil, err
	}
	if b.Activities == nil || len(*b.Activities) == 0 || len(*b.Activities) > 500 {
		return nil, fieldwork.InvalidField("activ-032", "activities", "must hold 1 to 500 activities")
	}
	items := make([]map[string]json.RawMessage, len(*b.Activities))
	for i, r := range *b.Activities {
		if len(r) == 0 || r[0] != '{' || json.Unmarshal(r, &items[i]) != nil {
			items[i] = nil
		}
	}
	results, err := s.Service.CreateActivities(ctx, c, items)
	if err != nil {
		return nil, err
	}
	body := BulkActivitiesBody{Envelope: envelope(http.StatusCreated, msgSuccess), Activities: make([]BulkItem, len(results))}
	for i, r := range results {
		if items[i] == nil {
			r.Err = fieldwork.InvalidField("activ-032", "activities", "each item must be an object")
		}
		if abortBulk(ctx, r.Err) {
			return nil, r.Err
		}
		var item BulkItem
		if r.Err == nil {
			item = BulkItem{Status: true, Message: "Activity created successfully", ID: &r.Master.ID, Index: i}
			body.Success++
		} else {
			item = s.failedItem(ctx, i, nil, r.Err)
			body.Failed++
		}
		item.RefID = r.RefID
		body.Activities[i] = item
	}
	return reply(http.StatusCreated, body), nil
}

type activityListQuery struct {
	WorkflowPath string `path:"workflowId"`
	Page         string `query:"page"`
	PageSize     string `query:"pageSize"`
	Limit        string `query:"limit"`
	Sort         string `query:"sort"`
	Order        string `query:"order"`
	Status       string `query:"status"`
	WorkflowID   string `query:"workflowId"`
	HubID        string `query:"hubId"`
	Fields       string `query:"fields"`
}

// ActivityList is the `data` of the activity lists (SPEC §7.5).
type ActivityList struct {
	Activities  []any `json:"activities"`
	Total       int   `json:"total"`
	CurrentPage int   `json:"currentPage"`
	LastPage    int   `json:"lastPage"`
	PerPage     int   `json:"perPage"`
}

func (s *Server) listActivities(ctx context.Context, c *fieldwork.Caller, in *activityListQuery) (*Out[DataBody[ActivityList]], error) {
	const failed = "activ-032"
	var fe fieldwork.FieldErrors
	size := in.PageSize
	if size == "" {
		size = in.Limit
	}
	page, perPage, err := paging(in.Page, size, 15, 1000, failed)
	if err != nil {
		return nil, err
	}
	f := fieldwork.TaskFilter{Offset: (page - 1) * perPage, Limit: perPage}
	f.SortBy = oneOf(&fe, "sort", in.Sort, "updatedTime", "updatedTime", "createdTime", "startTime", "endTime", "status", "title", "_id")
	f.SortDesc = oneOf(&fe, "order", strings.ToLower(in.Order), "desc", "asc", "desc") == "desc"
	for _, st := range splitList(in.Status) {
		if !contains(taskStatuses, st) {
			fe.Add("status", "must be one of: %s", strings.Join(taskStatuses, ", "))
			break
		}
		f.Status = append(f.Status, st)
	}
	if err := fe.Err(failed); err != nil {
		return nil, err
	}
	wf := in.WorkflowID
	if in.WorkflowPath != "" {
		wf = in.WorkflowPath
	}
	if wf != "" {
		f.WorkflowID = &wf
	}
	if in.HubID != "" {
		f.HubID = &in.HubID
	}
	masters, total, err := s.Service.FindActivities(ctx, c, f)
	if err != nil {
		return nil, err
	}
	list := ActivityList{Activities: project(masters, in.Fields, "organizationId"), Total: total,
		CurrentPage: page, LastPage: max(1, (total+perPage-1)/perPage), PerPage: perPage}
	return reply(http.StatusOK, DataBody[ActivityList]{envelope(200, msgSuccess), list}), nil
}

type activityPath struct {
	ID      string `path:"id"`
	Fields  string `query:"fields"`
	Expand  string `query:"expand"`
	IfMatch string `header:"If-Match"`
}

func (s *Server) getActivity(ctx context.Context, c *fieldwork.Caller, in *activityPath) (*Out[ActivityAnswer], error) {
	expand := false
	for _, e := range splitList(in.Expand) {
		if e != "children" {
			return nil, fieldwork.InvalidField("activ-032", "expand", "must be children")
		}
		expand = true
	}
	m, children, err := s.Service.FindActivity(ctx, c, in.ID, expand)
	if err != nil {
		return nil, err
	}
	var data any = &activityView{Task: m, Children: children}
	if in.Fields != "" {
		p := projectOne(data, append(splitList(in.Fields), "_id", "organizationId", "children"))
		data = p
	}
	out := reply(http.StatusOK, ActivityAnswer{envelope(200, msgSuccess), data})
	out.ETag = etag(m.Version)
	return out, nil
}

func (s *Server) deleteActivity(ctx context.Context, c *fieldwork.Caller, in *activityPath) (*Out[Envelope], error) {
	if err := s.Service.DeleteActivity(ctx, c, in.ID, ifMatch(in.IfMatch)); err != nil {
		return nil, err
	}
	return reply(http.StatusOK, envelope(200, "Activity deleted successfully")), nil
}
