package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/fieldwork-dev/fieldwork"
)

// taskRoutes registers SPEC §5.
func (s *Server) taskRoutes() {
	handle(s, withBody[taskDoc](s, op("POST", "/task", "createTask", "Tasks")), s.createTask)
	handle(s, withBody[bulkCreateDoc](s, bulk(op("POST", "/tasks/bulk", "createTasks", "Tasks"))), s.createTasks)
	handle(s, op("GET", "/tasks", "listTasks", "Tasks"), s.listTasks)
	handle(s, op("GET", "/task/{taskId}", "getTask", "Tasks"), s.getTask)
	handle(s, withBody[taskDoc](s, op("PUT", "/task/{taskId}", "replaceTask", "Tasks")), s.taskWriter(fieldwork.ChangePut))
	handle(s, withBody[taskDoc](s, op("PATCH", "/task/{taskId}", "updateTask", "Tasks")), s.taskWriter(fieldwork.ChangePatch))
	handle(s, op("DELETE", "/task/{taskId}", "deleteTask", "Tasks"), s.deleteTask)
	handle(s, withBody[assignDoc](s, op("PUT", "/task/{taskId}/assign", "assignTask", "Tasks")), s.taskWriter(fieldwork.ChangeAssign))
	handle(s, withBody[assignDoc](s, op("POST", "/task/{taskId}/assign", "assignTaskPost", "Tasks")), s.taskWriter(fieldwork.ChangeAssign))
	handle(s, withBody[moveDoc](s, op("PUT", "/task/{taskId}/move", "moveTask", "Tasks")), s.taskWriter(fieldwork.ChangeMove))
	handle(s, withBody[taskDoc](s, op("POST", "/task/{taskId}/done", "completeTask", "Tasks")), s.taskWriter(fieldwork.ChangeDone))
	handle(s, op("GET", "/task/{taskId}/histories", "listTaskHistories", "Tasks"), s.listHistories)
	handle(s, withBody[bulkItemsDoc](s, bulk(op("PUT", "/tasks/bulk", "replaceTasks", "Tasks"))), s.bulkWriter(fieldwork.ChangePut))
	handle(s, withBody[bulkItemsDoc](s, bulk(op("PATCH", "/tasks/bulk", "updateTasks", "Tasks"))), s.bulkWriter(fieldwork.ChangePatch))
	handle(s, withBody[bulkItemsDoc](s, bulk(op("DELETE", "/tasks/bulk", "deleteTasks", "Tasks"))), s.bulkDelete)
	handle(s, withBody[bulkItemsDoc](s, bulk(op("PUT", "/tasks/bulk/assign", "assignTasks", "Tasks"))), s.bulkWriter(fieldwork.ChangeAssign))
	handle(s, withBody[bulkItemsDoc](s, bulk(op("PUT", "/tasks/bulk/move", "moveTasks", "Tasks"))), s.bulkWriter(fieldwork.ChangeMove))
}

// taskDoc documents a task body: the fixed keys plus the flow's component values.
type taskDoc struct {
	Flow               string   `json:"flow,omitempty" doc:"Flow name (required on create unless flowId is sent)"`
	FlowID             string   `json:"flowId,omitempty"`
	HubID              string   `json:"hubId,omitempty"`
	StartTime          string   `json:"startTime,omitempty"`
	EndTime            string   `json:"endTime,omitempty"`
	Assignee           []string `json:"assignee,omitempty" doc:"Emails; a comma-separated string is accepted too"`
	OrderIndex         float64  `json:"orderIndex,omitempty"`
	RefID              string   `json:"refId,omitempty"`
	CreatedFrom        string   `json:"createdFrom,omitempty" enum:"WEB,API,Automation,Mobile"`
	Title              string   `json:"title,omitempty"`
	Content            string   `json:"content,omitempty"`
	Label              string   `json:"label,omitempty"`
	ExpectedCoordinate string   `json:"expectedCoordinate,omitempty"`
	Status             string   `json:"status,omitempty" enum:"UNASSIGNED,ONGOING,DONE"`
	DoneCoordinate     string   `json:"doneCoordinate,omitempty"`
	DoneFrom           string   `json:"doneFrom,omitempty" enum:"WEB,MOBILE,System"`
	_                  struct{} `additionalProperties:"true"`
}

type assignDoc struct {
	Assignee []string `json:"assignee" doc:"Emails; a comma-separated string is accepted too; [] unassigns"`
}

type moveDoc struct {
	HubID string `json:"hubId"`
}

type bulkCreateDoc struct {
	Background bool      `json:"background,omitempty"`
	Tasks      []taskDoc `json:"tasks" maxItems:"2000"`
}

type bulkItemDoc struct {
	ID string   `json:"_id"`
	_  struct{} `additionalProperties:"true"`
}

type bulkItemsDoc struct {
	Tasks []bulkItemDoc `json:"tasks" maxItems:"2000"`
}

// TaskBody answers with one task under `task` and `data`.
type TaskBody struct {
	Envelope
	Task *fieldwork.Task `json:"task"`
	Data *fieldwork.Task `json:"data"`
}

type taskPath struct {
	TaskID  string `path:"taskId"`
	IfMatch string `header:"If-Match"`
}

type taskWrite struct {
	TaskID  string `path:"taskId"`
	IfMatch string `header:"If-Match"`
	RawBody []byte
}

type rawBody struct {
	RawBody []byte
}

// fixedKeys lists the keys of the fixed-shape bodies (assign, move); other bodies are open.
var fixedKeys = map[fieldwork.TaskChange][]string{
	fieldwork.ChangeAssign: {"assignee"},
	fieldwork.ChangeMove:   {"hubId"},
}

// fixedShape refuses unknown keys in an assign or move body.
func fixedShape(kind fieldwork.TaskChange, body map[string]json.RawMessage) error {
	allowed, ok := fixedKeys[kind]
	if !ok {
		return nil
	}
	var fe fieldwork.FieldErrors
	for k := range body {
		if !contains(allowed, k) {
			fe.Add(k, "is not allowed")
		}
	}
	return fe.Err("task-032")
}

// taskObject decodes an open task body.
func taskObject(raw []byte) (map[string]json.RawMessage, error) {
	var body map[string]json.RawMessage
	if err := decodeObject(raw, &body, "task-032", false); err != nil {
		return nil, err
	}
	return body, nil
}

func taskReply(status int, message string, t *fieldwork.Task) *Out[TaskBody] {
	out := reply(status, TaskBody{envelope(status, message), t, t})
	out.ETag = etag(t.Version)
	return out
}

func (s *Server) createTask(ctx context.Context, c *fieldwork.Caller, in *rawBody) (*Out[TaskBody], error) {
	body, err := taskObject(in.RawBody)
	if err != nil {
		return nil, err
	}
	t, err := s.Service.CreateTask(ctx, c, body)
	if err != nil {
		return nil, err
	}
	return taskReply(http.StatusCreated, msgTaskCreated, t), nil
}

func (s *Server) getTask(ctx context.Context, c *fieldwork.Caller, in *taskPath) (*Out[TaskBody], error) {
	t, err := s.Service.FindTask(ctx, c, in.TaskID)
	if err != nil {
		return nil, err
	}
	return taskReply(http.StatusOK, msgSuccess, t), nil
}

func (s *Server) taskWriter(kind fieldwork.TaskChange) func(context.Context, *fieldwork.Caller, *taskWrite) (*Out[TaskBody], error) {
	return func(ctx context.Context, c *fieldwork.Caller, in *taskWrite) (*Out[TaskBody], error) {
		body, err := taskObject(in.RawBody)
		if err != nil {
			return nil, err
		}
		if err := fixedShape(kind, body); err != nil {
			return nil, err
		}
		t, err := s.Service.UpdateTask(ctx, c, in.TaskID, kind, body, ifMatch(in.IfMatch))
		if err != nil {
			return nil, err
		}
		return taskReply(http.StatusOK, msgSuccess, t), nil
	}
}

func (s *Server) deleteTask(ctx context.Context, c *fieldwork.Caller, in *taskPath) (*Out[TaskBody], error) {
	t, err := s.Service.DeleteTask(ctx, c, in.TaskID, ifMatch(in.IfMatch))
	if err != nil {
		return nil, err
	}
	out := taskReply(http.StatusOK, msgSuccess, t)
	out.ETag = ""
	return out, nil
}

// BulkItem is one item of a bulk answer.
type BulkItem struct {
	Status     bool     `json:"status"`
	Message    string   `json:"message"`
	ID         *string  `json:"_id,omitempty"`
	RefID      *string  `json:"refId,omitempty"`
	Index      int      `json:"index"`
	FailedCode string   `json:"failedCode,omitempty"`
	Errors     []string `json:"errors,omitempty"`
}

// BulkBody is the answer of the bulk routes (SPEC §1.2: no `data`).
type BulkBody struct {
	Envelope
	Success int        `json:"success"`
	Failed  int        `json:"failed"`
	Tasks   []BulkItem `json:"tasks"`
}

// bulkItems decodes `{tasks: [object…]}` with at most 2000 items.
func bulkItems(raw []byte) ([]map[string]json.RawMessage, error) {
	var b struct {
		Background *bool              `json:"background"`
		Tasks      *[]json.RawMessage `json:"tasks"`
	}
	if err := decodeObject(raw, &b, "task-032", false); err != nil {
		return nil, err
	}
	if b.Tasks == nil {
		return nil, fieldwork.InvalidField("task-032", "tasks", "is required")
	}
	if len(*b.Tasks) == 0 || len(*b.Tasks) > 2000 {
		return nil, fieldwork.InvalidField("task-032", "tasks", "must hold 1 to 2000 items")
	}
	items := make([]map[string]json.RawMessage, len(*b.Tasks))
	for i, r := range *b.Tasks {
		var m map[string]json.RawMessage
		if len(r) == 0 || r[0] != '{' || json.Unmarshal(r, &m) != nil {
			items[i] = nil // reported per item
			continue
		}
		items[i] = m
	}
	return items, nil
}

// bulkResult turns one item's outcome into its answer row.
func (s *Server) bulkResult(ctx context.Context, i int, okMsg string, t *fieldwork.Task, id *string, err error) BulkItem {
	if err == nil {
		item := BulkItem{Status: true, Message: okMsg, ID: &t.ID, Index: i}
		if okMsg == msgTaskCreated {
			item.RefID = t.RefID
		}
		return item
	}
	return s.failedItem(ctx, i, id, err)
}

// abortBulk reports whether an item's failure must fail the whole bulk request: an internal
// error inside a transaction shared by every item (an Idempotency-Key makes one) may have left
// partial writes that only rolling back the whole transaction removes.
func abortBulk(ctx context.Context, err error) bool {
	return fieldwork.ErrorCode(err) == fieldwork.EINTERNAL && fieldwork.JoinsTransaction(ctx)
}

// failedItem is the answer row of a bulk item that failed with err.
func (s *Server) failedItem(ctx context.Context, i int, id *string, err error) BulkItem {
	ae := toAPIError(s.Logger, requestIDFrom(ctx), err)
	return BulkItem{Status: false, Message: ae.body.Message, ID: id, Index: i, FailedCode: ae.body.FailedCode, Errors: ae.body.Errors}
}

func bulkAnswer(status int, items []BulkItem) *Out[BulkBody] {
	b := BulkBody{Envelope: envelope(status, msgSuccess), Tasks: items}
	for _, it := range items {
		if it.Status {
			b.Success++
		} else {
			b.Failed++
		}
	}
	return reply(status, b)
}

var errBulkItem = fieldwork.InvalidField("task-032", "tasks", "each item must be an object")

// requireTaskWriter refuses a whole bulk request when the caller's role may not write tasks
// at all (SPEC §1.7: 403 auth-003, as POST /activities/bulk answers); refusals that depend on
// the item stay in its row.
func requireTaskWriter(c *fieldwork.Caller) error {
	if !c.User.IsPlanner() {
		return fieldwork.ErrForbidden()
	}
	return nil
}

func (s *Server) createTasks(ctx context.Context, c *fieldwork.Caller, in *rawBody) (*Out[BulkBody], error) {
	items, err := bulkItems(in.RawBody)
	if err != nil {
		return nil, err
	}
	if err := requireTaskWriter(c); err != nil {
		return nil, err
	}
	out := make([]BulkItem, len(items))
	for i, body := range items {
		var t *fieldwork.Task
		var err error = errBulkItem
		if body != nil {
			t, err = s.Service.CreateTask(ctx, c, body)
		}
		if abortBulk(ctx, err) {
			return nil, err
		}
		out[i] = s.bulkResult(ctx, i, msgTaskCreated, t, nil, err)
		if err != nil {
			var ref string
			if body != nil && json.Unmarshal(body["refId"], &ref) == nil && ref != "" {
				out[i].RefID = &ref
			}
		}
	}
	return bulkAnswer(http.StatusCreated, out), nil
}

func itemID(body map[string]json.RawMessage) (string, *string) {
	var id string
	if body == nil || json.Unmarshal(body["_id"], &id) != nil || id == "" {
		return "", nil
	}
	return id, &id
}

var errBulkID = fieldwork.InvalidField("task-032", "_id", "is required")

func (s *Server) bulkWriter(kind fieldwork.TaskChange) func(context.Context, *fieldwork.Caller, *rawBody) (*Out[BulkBody], error) {
	return func(ctx context.Context, c *fieldwork.Caller, in *rawBody) (*Out[BulkBody], error) {
		items, err := bulkItems(in.RawBody)
		if err != nil {
			return nil, err
		}
		if err := requireTaskWriter(c); err != nil {
			return nil, err
		}
		out := make([]BulkItem, len(items))
		for i, body := range items {
			id, idp := itemID(body)
			var t *fieldwork.Task
			var err error = errBulkID
			if body == nil {
				err = errBulkItem
			} else if id != "" {
				delete(body, "_id")
				if err = fixedShape(kind, body); err == nil {
					t, err = s.Service.UpdateTask(ctx, c, id, kind, body, nil)
				}
			}
			if abortBulk(ctx, err) {
				return nil, err
			}
			out[i] = s.bulkResult(ctx, i, msgSuccess, t, idp, err)
		}
		return bulkAnswer(http.StatusOK, out), nil
	}
}

func (s *Server) bulkDelete(ctx context.Context, c *fieldwork.Caller, in *rawBody) (*Out[BulkBody], error) {
	items, err := bulkItems(in.RawBody)
	if err != nil {
		return nil, err
	}
	if err := requireTaskWriter(c); err != nil {
		return nil, err
	}
	out := make([]BulkItem, len(items))
	for i, body := range items {
		id, idp := itemID(body)
		var t *fieldwork.Task
		var err error = errBulkID
		if body == nil {
			err = errBulkItem
		} else if id != "" {
			t, err = s.Service.DeleteTask(ctx, c, id, nil)
		}
		if abortBulk(ctx, err) {
			return nil, err
		}
		out[i] = s.bulkResult(ctx, i, msgSuccess, t, idp, err)
	}
	return bulkAnswer(http.StatusOK, out), nil
}

// taskListQuery is the query of GET /tasks (SPEC §5.3).
type taskListQuery struct {
	Status          string `query:"status"`
	Flow            string `query:"flow"`
	FlowID          string `query:"flowId"`
	HubID           string `query:"hubId"`
	Assignee        string `query:"assignee"`
	DoneBy          string `query:"doneBy"`
	Active          string `query:"active"`
	IsVisit         string `query:"isVisit"`
	RoutingResultID string `query:"routingResultId"`
	TimeBy          string `query:"timeBy"`
	TimeFrom        string `query:"timeFrom"`
	TimeTo          string `query:"timeTo"`
	Fields          string `query:"fields"`
	SortBy          string `query:"sortBy"`
	SortOrder       string `query:"sortOrder"`
	Page            string `query:"page"`
	Limit           string `query:"limit"`
	LazyLoad        string `query:"lazyLoad"`
	Cursor          string `query:"cursor"`
	TaskType        string `query:"taskType"`
	ParentID        string `query:"parentId"`
	WorkflowID      string `query:"workflowId"`
	Q               string `query:"q"`
}

// TaskListBody is the answer of GET /tasks.
type TaskListBody struct {
	Envelope
	Tasks       Paginator[any] `json:"tasks"`
	Metadata    TaskMetadata   `json:"metadata"`
	DataVersion string         `json:"dataVersion"`
}

// TaskMetadata carries the list counts (null in keyset mode).
type TaskMetadata struct {
	Counting       TaskCounting `json:"counting"`
	SourceDataTask string       `json:"sourceDataTask"`
}

// TaskCounting counts DONE and ONGOING tasks among the matches.
type TaskCounting struct {
	DoneTotal    *int `json:"doneTotal"`
	OngoingTotal *int `json:"ongoingTotal"`
}

var (
	taskStatuses = []string{fieldwork.StatusUnassigned, fieldwork.StatusOngoing, fieldwork.StatusDone}
	taskTypes    = []string{fieldwork.TaskTypeTask, fieldwork.TaskTypeActivityMaster, fieldwork.TaskTypeActivityChild, fieldwork.TaskTypeTaskMaster, fieldwork.TaskTypeTaskChild}
)

// parseTaskQuery turns the query into a filter; every problem is a task-032 field error.
func parseTaskQuery(in *taskListQuery, now func() string) (f fieldwork.TaskFilter, page int, keyset bool, err error) {
	var fe fieldwork.FieldErrors
	list := func(field, v string, allowed []string) []string {
		items := splitList(v)
		for _, it := range items {
			if allowed != nil && !contains(allowed, it) {
				fe.Add(field, "must be one of: %s", strings.Join(allowed, ", "))
				return nil
			}
		}
		return items
	}
	opt := func(v string) *string {
		if v == "" {
			return nil
		}
		return &v
	}
	f.Status = list("status", in.Status, taskStatuses)
	f.Flow = list("flow", in.Flow, nil)
	f.FlowID = list("flowId", in.FlowID, nil)
	f.TaskType = list("taskType", in.TaskType, taskTypes)
	f.HubID = opt(in.HubID)
	f.Assignee = opt(in.Assignee)
	f.DoneBy = opt(in.DoneBy)
	f.RoutingResultID = opt(in.RoutingResultID)
	f.ParentID = opt(in.ParentID)
	f.WorkflowID = opt(in.WorkflowID)
	f.Q = opt(in.Q)
	if boolParam(&fe, "active", in.Active) {
		t, _ := fieldwork.ParseTime(now())
		f.ActiveAt = &t
	}
	if boolParam(&fe, "isVisit", in.IsVisit) {
		t, _ := fieldwork.ParseTime(now())
		f.VisitAt = &t
	}
	f.TimeBy = oneOf(&fe, "timeBy", in.TimeBy, "createdTime", "createdTime", "startTime", "doneTime")
	for _, tp := range []struct {
		field, v string
		dst      **time.Time
	}{{"timeFrom", in.TimeFrom, &f.TimeFrom}, {"timeTo", in.TimeTo, &f.TimeTo}} {
		if tp.v == "" {
			continue
		}
		t, err := fieldwork.ParseTime(tp.v)
		if err != nil {
			fe.Add(tp.field, "%s", err.Error())
			continue
		}
		*tp.dst = &t
	}
	f.SortBy = oneOf(&fe, "sortBy", in.SortBy, "createdTime", "createdTime", "updatedTime", "startTime", "endTime", "doneTime", "orderIndex")
	f.SortDesc = oneOf(&fe, "sortOrder", strings.ToLower(in.SortOrder), "desc", "asc", "desc") == "desc"
	keyset = boolParam(&fe, "lazyLoad", in.LazyLoad) || in.Cursor != ""
	pageS := in.Page
	if keyset {
		pageS = ""
	}
	page, limit, perr := paging(pageS, in.Limit, 20, 1000, "task-032")
	if perr != nil {
		fe = append(fe, perr.(*fieldwork.Error).Fields...)
	}
	f.Limit, f.Offset = limit, (page-1)*limit
	return f, page, keyset, fe.Err("task-032")
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (s *Server) listTasks(ctx context.Context, c *fieldwork.Caller, in *taskListQuery) (*Out[TaskListBody], error) {
	f, page, keyset, err := parseTaskQuery(in, func() string { return s.Service.Clock.Now().Format(fieldwork.TaskLayout) })
	if err != nil {
		return nil, err
	}
	res, err := s.Service.FindTasks(ctx, c, f, keyset, in.Cursor)
	if err != nil {
		return nil, err
	}
	body := TaskListBody{Envelope: envelope(200, msgSuccessDot), DataVersion: strconv.FormatInt(res.DataVersion, 10),
		Metadata: TaskMetadata{SourceDataTask: "-"}}
	data := project(res.Tasks, in.Fields)
	if keyset {
		body.Tasks = newCursorPaginator(ctx, data, f.Limit, res.NextCursor)
	} else {
		body.Tasks = newPaginator(ctx, data, page, f.Limit, res.Counts.Total)
		body.Metadata.Counting = TaskCounting{DoneTotal: intp(res.Counts.Done), OngoingTotal: intp(res.Counts.Ongoing)}
	}
	return reply(http.StatusOK, body), nil
}

type historiesQuery struct {
	TaskID string `path:"taskId"`
	Page   string `query:"page"`
	Limit  string `query:"limit"`
}

func (s *Server) listHistories(ctx context.Context, c *fieldwork.Caller, in *historiesQuery) (*Out[DataBody[Paginator[*fieldwork.History]]], error) {
	page, limit, err := paging(in.Page, in.Limit, 20, 1000, "task-032")
	if err != nil {
		return nil, err
	}
	hs, total, err := s.Service.FindTaskHistories(ctx, c, in.TaskID, (page-1)*limit, limit)
	if err != nil {
		return nil, err
	}
	return reply(http.StatusOK, DataBody[Paginator[*fieldwork.History]]{envelope(200, msgSuccess), newPaginator(ctx, hs, page, limit, total)}), nil
}
