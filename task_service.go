package fieldwork

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

var errTaskNotFound = NotFound("task-033", MsgNotFound)

// Transition refusals (SPEC §5.2).
var (
	errNotAssigned = Errorf(EINVALID, "task-032", "The task is not assigned")
	errAlreadyDone = Errorf(EINVALID, "task-032", "The task is already DONE")
	errEndPassed   = Errorf(EINVALID, "task-032", "The task's endTime has passed")
)

// CheckChangeable refuses any change but read and delete of a DONE task (SPEC §5.2).
func CheckChangeable(t *Task) error {
	if t.Status == StatusDone {
		return errAlreadyDone
	}
	return nil
}

// CheckDone tells whether t may become DONE at now (SPEC §5.2): it must be assigned, not
// already DONE, and its endTime must not have passed.
func CheckDone(t *Task, now time.Time) error {
	switch {
	case t.Status == StatusDone:
		return errAlreadyDone
	case t.Status == StatusUnassigned || len(t.Assignee) == 0:
		return errNotAssigned
	case !t.EndTime.IsZero() && now.After(t.EndTime.Time):
		return errEndPassed
	}
	return nil
}

// canSeeTask reports whether the caller may see the task (SPEC §1.7): hub-restricted users
// only their hubs, Field Users only tasks assigned to them.
func canSeeTask(c *Caller, t *Task) bool {
	if !c.User.CanAccessHub(t.HubID) {
		return false
	}
	if c.User.IsFieldUser() && !assigned(t, c.User.Email) {
		return false
	}
	return true
}

func assigned(t *Task, email string) bool {
	for _, a := range t.Assignee {
		if strings.EqualFold(a, email) {
			return true
		}
	}
	return false
}

// findVisibleTask loads a task the caller may see, else task-033.
func findVisibleTask(ctx context.Context, tx Tx, c *Caller, id ID) (*Task, error) {
	if !ValidID(id) {
		return nil, errTaskNotFound
	}
	t, err := tx.FindTaskByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if !canSeeTask(c, t) {
		return nil, errTaskNotFound
	}
	return t, nil
}

// FindTask returns a task the caller may see, with its histories oldest first.
func (s *Service) FindTask(ctx context.Context, c *Caller, id ID) (*Task, error) {
	var t *Task
	err := s.view(ctx, c.OrgID(), func(tx Tx) (err error) {
		if t, err = findVisibleTask(ctx, tx, c, id); err != nil {
			return err
		}
		t.Histories, _, err = tx.FindHistories(ctx, id, false, 0, 0)
		if t.Histories == nil {
			t.Histories = []*History{}
		}
		return err
	})
	return t, err
}

// FindTaskHistories returns a page of a visible task's histories, newest first.
func (s *Service) FindTaskHistories(ctx context.Context, c *Caller, id ID, offset, limit int) ([]*History, int, error) {
	var hs []*History
	var total int
	err := s.view(ctx, c.OrgID(), func(tx Tx) (err error) {
		if _, err = findVisibleTask(ctx, tx, c, id); err != nil {
			return err
		}
		hs, total, err = tx.FindHistories(ctx, id, true, offset, limit)
		return err
	})
	return hs, total, err
}

// TaskPage is one page of a task list.
type TaskPage struct {
	Tasks []*Task
	// Counts are nil in keyset mode.
	Counts *TaskCounts
	// NextCursor is the last _id of the page when more tasks follow (keyset mode).
	NextCursor  *string
	DataVersion int64
}

// FindTasks lists the tasks the caller may see that match f. With keyset true, f.Cursor is
// resolved from cursorID (an _id of a visible task, else task-032) and no totals are counted.
func (s *Service) FindTasks(ctx context.Context, c *Caller, f TaskFilter, keyset bool, cursorID string) (*TaskPage, error) {
	if len(c.User.HubID) > 0 {
		f.HubIDs = c.User.HubID
	}
	page := &TaskPage{Tasks: []*Task{}}
	if c.User.IsFieldUser() {
		if f.Assignee != nil && !strings.EqualFold(*f.Assignee, c.User.Email) {
			f.IDs = []ID{} // another worker's tasks: nothing visible
		}
		f.Assignee = &c.User.Email
	}
	err := s.view(ctx, c.OrgID(), func(tx Tx) error {
		if cursorID != "" {
			cur, err := findVisibleTask(ctx, tx, c, cursorID)
			if ErrorCode(err) == ENOTFOUND {
				return InvalidField("task-032", "cursor", "does not name a task of this list")
			} else if err != nil {
				return err
			}
			f.Cursor = cur
		}
		var err error
		if keyset {
			f.Offset = 0
			lim := f.Limit
			f.Limit = lim + 1
			if page.Tasks, err = tx.FindTasks(ctx, f); err != nil {
				return err
			}
			if len(page.Tasks) > lim {
				page.Tasks = page.Tasks[:lim]
				page.NextCursor = &page.Tasks[lim-1].ID
			}
		} else {
			if page.Tasks, err = tx.FindTasks(ctx, f); err != nil {
				return err
			}
		}
		var changes int64
		if page.DataVersion, changes, err = tx.TaskVersion(ctx); err != nil || keyset {
			return err
		}
		// Counted once per filter and change of the organization's tasks (task_count.go).
		counts, err := s.counts.get(ctx, c.OrgID(), f, changes, func() (TaskCounts, error) { return tx.CountTasks(ctx, f) })
		page.Counts = &counts
		return err
	})
	if page.Tasks == nil {
		page.Tasks = []*Task{}
	}
	return page, err
}

// flowOf resolves the flow named by a body's `flow` (name) or `flowId`.
func flowOf(ctx context.Context, tx Tx, p *TaskPatch, prefix string) (*Flow, error) {
	var f *Flow
	var err error
	switch {
	case p.Flow != nil && *p.Flow != "":
		f, err = tx.FindFlowByName(ctx, *p.Flow)
		if err == nil && p.FlowID != nil && *p.FlowID != f.ID {
			return nil, InvalidField("task-032", Path(prefix, "flowId"), "does not match flow")
		}
	case p.FlowID != nil && *p.FlowID != "":
		if !ValidID(*p.FlowID) {
			return nil, InvalidField("task-032", Path(prefix, "flowId"), "does not exist")
		}
		f, err = tx.FindFlowByID(ctx, *p.FlowID)
	default:
		return nil, InvalidField("task-032", Path(prefix, "flow"), "is required")
	}
	if ErrorCode(err) == ENOTFOUND {
		field := "flow"
		if p.Flow == nil {
			field = "flowId"
		}
		return nil, InvalidField("task-032", Path(prefix, field), "does not exist")
	}
	return f, err
}

// hubFor resolves a hub id the caller may use.
func hubFor(ctx context.Context, tx Tx, c *Caller, hubID *string, prefix string) (*Hub, error) {
	if hubID == nil || *hubID == "" {
		return nil, InvalidField("task-032", Path(prefix, "hubId"), "is required")
	}
	if !ValidID(*hubID) || !c.User.CanAccessHub(*hubID) {
		return nil, InvalidField("task-032", Path(prefix, "hubId"), "does not exist")
	}
	h, err := tx.FindHubByID(ctx, *hubID)
	if ErrorCode(err) == ENOTFOUND {
		return nil, InvalidField("task-032", Path(prefix, "hubId"), "does not exist")
	}
	return h, err
}

// resolveAssignees checks that every email is an active user with access to the hub and
// returns the users in the order given, or the problems (task-036 for tasks, activ-032 in an
// activity body).
func resolveAssignees(ctx context.Context, tx Tx, emails []string, hubID ID, field string) ([]*User, FieldErrors, error) {
	if len(emails) == 0 {
		return nil, nil, nil
	}
	users, err := tx.FindUsersByEmails(ctx, emails)
	if err != nil {
		return nil, nil, err
	}
	byEmail := map[string]*User{}
	for _, u := range users {
		byEmail[u.Email] = u
	}
	var fe FieldErrors
	out := make([]*User, 0, len(emails))
	for _, e := range emails {
		u := byEmail[e]
		switch {
		case u == nil:
			fe.Add(field, "%s is not a user of the organization", e)
		case u.Status != UserActive:
			fe.Add(field, "%s is not an active user", e)
		case !u.CanAccessHub(hubID):
			fe.Add(field, "%s has no access to the task's hub", e)
		default:
			out = append(out, u)
		}
	}
	return out, fe, nil
}

// setAssignees applies an assignment to t: status, assignee, assignedTo/By/Time.
func setAssignees(t *Task, users []*User, actor string, now time.Time) {
	t.Assignee = make([]string, len(users))
	for i, u := range users {
		t.Assignee[i] = u.Email
	}
	if len(users) == 0 {
		t.Status = StatusUnassigned
		t.AssignedTo, t.AssignedBy, t.AssignedTime = nil, nil, Time{}
		return
	}
	t.Status = StatusOngoing
	u := users[0]
	t.AssignedTo = &AssignedTo{ID: u.ID, Name: u.Name, Email: u.Email, HubID: u.HubID, RoleID: u.RoleID}
	t.AssignedBy = ptr(actor)
	t.AssignedTime = NewTime(now)
}

// applyValues validates component values against the flow and writes them to t. replace
// clears every component value not sent (PUT). It also copies showAs values and enforces the
// page0 required components.
func applyValues(t *Task, f *Flow, p *TaskPatch, replace bool, prefix string) FieldErrors {
	vals, fe := f.CheckValues(p.Values, prefix)
	if replace || t.Values == nil {
		t.Values = map[string]json.RawMessage{}
	}
	for k, v := range vals {
		if isNull(v) {
			delete(t.Values, k)
			continue
		}
		t.Values[k] = v
	}
	for _, sf := range []struct {
		sent bool
		v    *string
		dst  **string
	}{{p.Has("title"), p.Title, &t.Title}, {p.Has("content"), p.Content, &t.Content},
		{p.Has("label"), p.Label, &t.Label}, {p.Has("expectedCoordinate"), p.ExpectedCoordinate, &t.ExpectedCoordinate}} {
		if sf.sent {
			*sf.dst = sf.v
		}
	}
	for key, v := range f.ShowAsValues(t.Values) {
		v := v
		switch key {
		case "title":
			t.Title = &v
		case "content":
			t.Content = &v
		case "label":
			t.Label = &v
		case "expectedCoordinate":
			t.ExpectedCoordinate = &v
		}
	}
	fe = append(fe, f.MissingRequired(t.Values, func(page string) bool { return page == "page0" }, prefix)...)
	return fe
}

// CreateTask creates one task from a body (SPEC §5.1, §5.3), with its history, in one
// transaction.
func (s *Service) CreateTask(ctx context.Context, c *Caller, body map[string]json.RawMessage) (*Task, error) {
	if err := requirePlanner(c); err != nil {
		return nil, err
	}
	var t *Task
	err := s.update(ctx, c.OrgID(), func(tx Tx) (err error) {
		t, err = s.createTask(ctx, tx, c, body)
		return err
	})
	return t, err
}

func (s *Service) createTask(ctx context.Context, tx Tx, c *Caller, body map[string]json.RawMessage) (*Task, error) {
	p, fe := ParseTaskBody(body, "")
	if p.TaskType && p.TaskTypeValue != TaskTypeTask {
		fe.Add("taskType", "must be task (activities are created with POST /activity)")
	}
	for _, k := range []struct {
		sent bool
		key  string
	}{{p.ParentID, "parentId"}, {p.SubID, "subId"}, {p.WorkflowID, "workflowId"}} {
		if k.sent {
			fe.Add(k.key, "cannot be set on a task")
		}
	}
	if err := fe.Err("task-032"); err != nil {
		return nil, err
	}
	flow, err := flowOf(ctx, tx, p, "")
	if err != nil {
		return nil, err
	}
	hub, err := hubFor(ctx, tx, c, p.HubID, "")
	if err != nil {
		return nil, err
	}
	now := s.now()
	t, fe := buildTask(c, p, flow, hub, "", now)
	if err := fe.Err("task-032"); err != nil {
		return nil, err
	}
	if p.Assignee != nil {
		users, ae, err := resolveAssignees(ctx, tx, *p.Assignee, hub.ID, "assignee")
		if err != nil {
			return nil, err
		} else if err := ae.Err("task-036"); err != nil {
			return nil, err
		}
		setAssignees(t, users, c.User.Email, now)
	}
	if err := tx.CreateTask(ctx, t); err != nil {
		return nil, err
	}
	if err := s.recordChange(ctx, tx, c.User, nil, t, ActionCreate, nil); err != nil {
		return nil, err
	}
	return t, nil
}

// buildTask constructs, without storing, an unassigned task of the flow and hub from a
// parsed body: defaults (times from the flow's configurations, orderIndex, createdFrom),
// the fixed keys sent and the component values. It returns the value problems.
func buildTask(c *Caller, p *TaskPatch, flow *Flow, hub *Hub, prefix string, now time.Time) (*Task, FieldErrors) {
	startH, endH := flow.Adjustments()
	t := &Task{
		ID: NewID(now), OrganizationID: c.OrgID(), Flow: flow.Name, FlowID: &flow.ID,
		HubID: hub.ID, Hub: hub.Ref(), Status: StatusUnassigned, TaskType: TaskTypeTask,
		Assignee: []string{}, CreatedFrom: "API", CreatedBy: c.User.Email, UpdatedBy: c.User.Email,
		CreatedTime: NewTime(now), UpdatedTime: NewTime(now), Version: 1,
		OrderIndex: float64(now.UnixMicro() / 10),
		StartTime:  NewTime(now.Add(hours(startH))), EndTime: NewTime(now.Add(hours(endH))),
	}
	var fe FieldErrors
	if p.StartTime != nil {
		t.StartTime = NewTime(*p.StartTime)
	}
	if p.EndTime != nil {
		t.EndTime = NewTime(*p.EndTime)
	}
	if t.StartTime.After(t.EndTime.Time) && (p.StartTime == nil || p.EndTime == nil) {
		fe.Add(Path(prefix, "endTime"), "must not be before startTime")
	}
	if p.OrderIndex != nil {
		t.OrderIndex = *p.OrderIndex
	}
	t.RefID = p.RefID
	if p.CreatedFrom != nil {
		t.CreatedFrom = *p.CreatedFrom
	}
	fe = append(fe, applyValues(t, flow, p, true, prefix)...)
	return t, fe
}

func hours(h float64) time.Duration { return time.Duration(h * float64(time.Hour)) }

// TaskChange is the kind of write UpdateTask performs.
type TaskChange int

// Kinds of task writes.
const (
	ChangePut TaskChange = iota
	ChangePatch
	ChangeAssign
	ChangeMove
	ChangeDone
)

// UpdateTask applies one change to a task in one transaction: PUT (full replacement), PATCH,
// assign, move or done, with the §5.2 lifecycle and a history entry per effect.
func (s *Service) UpdateTask(ctx context.Context, c *Caller, id ID, kind TaskChange, body map[string]json.RawMessage, ifMatch *int) (*Task, error) {
	var t *Task
	err := s.update(ctx, c.OrgID(), func(tx Tx) (err error) {
		t, err = s.updateTask(ctx, tx, c, id, kind, body, ifMatch)
		return err
	})
	return t, err
}

func (s *Service) updateTask(ctx context.Context, tx Tx, c *Caller, id ID, kind TaskChange, body map[string]json.RawMessage, ifMatch *int) (*Task, error) {
	if kind != ChangeDone {
		if err := requirePlanner(c); err != nil {
			return nil, err
		}
	}
	t, err := findVisibleTask(ctx, tx, c, id)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(t.Version, ifMatch); err != nil {
		return nil, err
	}
	if t.TaskType == TaskTypeActivityMaster {
		return s.updateMaster(ctx, tx, c, t, kind, body)
	}
	if err := CheckChangeable(t); err != nil {
		return nil, err
	}
	p, fe := ParseTaskBody(body, "")
	if err := fe.Err("task-032"); err != nil {
		return nil, err
	}
	if err := checkFixedKeys(t, kind, p, body); err != nil {
		return nil, err
	}
	now := s.now()
	cur := t
	lastAction := ""
	next := func() *Task { return cloneTask(cur) }
	save := func(n *Task, action string) error {
		diff := taskDiff(cur, n)
		if len(diff) == 0 && action != ActionDone {
			return nil
		}
		n.Version = cur.Version + 1
		n.UpdatedBy = c.User.Email
		n.UpdatedTime = NewTime(now)
		if err := s.record(ctx, tx, c.User, cur, n, diff, action, nil); err != nil {
			return err
		}
		cur, lastAction = n, action
		return nil
	}

	switch kind {
	case ChangePut, ChangePatch:
		flow, err := tx.FindFlowByID(ctx, derefID(t.FlowID))
		if err != nil {
			return nil, err
		}
		n := next()
		if p.StartTime != nil {
			n.StartTime = NewTime(*p.StartTime)
		}
		if p.EndTime != nil {
			n.EndTime = NewTime(*p.EndTime)
		}
		var fe FieldErrors
		if n.StartTime.After(n.EndTime.Time) {
			fe.Add("endTime", "must not be before startTime")
		}
		if p.Has("orderIndex") && p.OrderIndex != nil {
			n.OrderIndex = *p.OrderIndex
		}
		if p.Has("refId") {
			n.RefID = p.RefID
		}
		if p.CreatedFrom != nil {
			n.CreatedFrom = *p.CreatedFrom
		}
		fe = append(fe, applyValues(n, flow, p, kind == ChangePut, "")...)
		if p.Status != nil && *p.Status != t.Status && *p.Status != StatusDone {
			fe.Add("status", "can only be set to DONE (use assign to change the assignment)")
		}
		if err := fe.Err("task-032"); err != nil {
			return nil, err
		}
		action := ActionPatch
		if kind == ChangePut {
			action = ActionPut
		}
		if err := save(n, action); err != nil {
			return nil, err
		}
		if p.HubID != nil && *p.HubID != t.HubID {
			if err := s.move(ctx, tx, c, next(), p.HubID, save); err != nil {
				return nil, err
			}
		}
		if p.Assignee != nil {
			if err := s.assign(ctx, tx, c, next(), *p.Assignee, now, save); err != nil {
				return nil, err
			}
		}
		if p.Status != nil && *p.Status == StatusDone {
			if err := s.done(ctx, tx, c, flow, next(), &TaskPatch{Values: map[string]json.RawMessage{}, Sent: map[string]bool{}}, now, save); err != nil {
				return nil, err
			}
		}
	case ChangeAssign:
		if !p.Has("assignee") {
			return nil, InvalidField("task-032", "assignee", "is required")
		}
		if p.Assignee == nil {
			return nil, InvalidField("task-032", "assignee", "must be an array of emails or a comma-separated string")
		}
		if err := s.assign(ctx, tx, c, next(), *p.Assignee, now, save); err != nil {
			return nil, err
		}
	case ChangeMove:
		if err := s.move(ctx, tx, c, next(), p.HubID, save); err != nil {
			return nil, err
		}
	case ChangeDone:
		flow, err := tx.FindFlowByID(ctx, derefID(t.FlowID))
		if err != nil {
			return nil, err
		}
		if err := s.done(ctx, tx, c, flow, next(), p, now, save); err != nil {
			return nil, err
		}
	}
	if cur == t {
		return cur, nil
	}
	if err := tx.UpdateTask(ctx, cur); err != nil {
		return nil, err
	}
	if cur.TaskType == TaskTypeActivityChild {
		if err := s.afterChildChange(ctx, tx, cur, t.Status != StatusDone && cur.Status == StatusDone, lastAction); err != nil {
			return nil, err
		}
	}
	return cur, nil
}

// checkFixedKeys refuses keys a PUT or PATCH may not change: on a plain task `taskType`
// (other than task), `parentId`, `subId` and `workflowId` (task-032) and another flow; on an
// activity child its flow, flowId, parentId, stepOrder, workflowId and taskType (activ-048).
func checkFixedKeys(t *Task, kind TaskChange, p *TaskPatch, body map[string]json.RawMessage) error {
	if kind != ChangePut && kind != ChangePatch {
		return nil
	}
	flowDiffers := (p.Flow != nil && !strings.EqualFold(*p.Flow, t.Flow)) || (p.FlowID != nil && *p.FlowID != derefID(t.FlowID))
	if t.TaskType == TaskTypeActivityChild {
		var fe FieldErrors
		if flowDiffers {
			fe.Add("flow", "cannot be changed on an activity step")
		}
		cur := taskFields(t)
		for _, k := range []string{"parentId", "stepOrder", "workflowId", "taskType", "subId"} {
			if v, ok := body[k]; ok && !sameJSON(v, cur[k]) {
				fe.Add(k, "cannot be changed on an activity step")
			}
		}
		if err := fe.Err("activ-048"); err != nil {
			return err
		}
	} else {
		var fe FieldErrors
		if p.TaskType && p.TaskTypeValue != TaskTypeTask {
			fe.Add("taskType", "cannot be changed")
		}
		for _, k := range []struct {
			sent bool
			key  string
		}{{p.ParentID, "parentId"}, {p.SubID, "subId"}, {p.WorkflowID, "workflowId"}} {
			if k.sent {
				fe.Add(k.key, "cannot be changed")
			}
		}
		if flowDiffers {
			fe.Add("flow", "must be the task's flow (%s)", t.Flow)
		}
		if err := fe.Err("task-032"); err != nil {
			return err
		}
	}
	if kind == ChangePut {
		var fe FieldErrors
		if p.Flow == nil && p.FlowID == nil {
			fe.Add("flow", "is required")
		}
		if p.HubID == nil {
			fe.Add("hubId", "is required")
		}
		return fe.Err("task-032")
	}
	return nil
}

func derefID(p *ID) ID {
	if p == nil {
		return ""
	}
	return *p
}

func (s *Service) assign(ctx context.Context, tx Tx, c *Caller, n *Task, emails []string, now time.Time, save func(*Task, string) error) error {
	users, fe, err := resolveAssignees(ctx, tx, emails, n.HubID, "assignee")
	if err != nil {
		return err
	} else if err := fe.Err("task-036"); err != nil {
		return err
	}
	setAssignees(n, users, c.User.Email, now)
	action := ActionAssign
	if len(users) == 0 {
		action = ActionUnassign
	}
	return save(n, action)
}

func (s *Service) move(ctx context.Context, tx Tx, c *Caller, n *Task, hubID *string, save func(*Task, string) error) error {
	hub, err := hubFor(ctx, tx, c, hubID, "")
	if err != nil {
		return err
	}
	if _, fe, err := resolveAssignees(ctx, tx, n.Assignee, hub.ID, "hubId"); err != nil {
		return err
	} else if err := fe.Err("task-036"); err != nil {
		return err
	}
	n.HubID, n.Hub = hub.ID, hub.Ref()
	return save(n, ActionMove)
}

// done completes n by the rules of SPEC §5.2 with the values of pages ≥ 1 in p; an activity
// step also waits for the previous step (SPEC §7.4).
func (s *Service) done(ctx context.Context, tx Tx, c *Caller, flow *Flow, n *Task, p *TaskPatch, now time.Time, save func(*Task, string) error) error {
	if err := CheckDone(n, now); err != nil {
		return err
	}
	if !c.User.IsPlanner() && !assigned(n, c.User.Email) {
		return ErrForbidden()
	}
	if n.TaskType == TaskTypeActivityChild {
		if err := checkStepOrder(ctx, tx, n); err != nil {
			return err
		}
	}
	vals, fe := flow.CheckValues(p.Values, "")
	for k, v := range vals {
		if isNull(v) {
			delete(n.Values, k)
		} else {
			if n.Values == nil {
				n.Values = map[string]json.RawMessage{}
			}
			n.Values[k] = v
		}
	}
	fe = append(fe, flow.MissingRequired(n.Values, func(page string) bool { return page != "page0" }, "")...)
	if err := fe.Err("task-032"); err != nil {
		return err
	}
	n.Status = StatusDone
	n.DoneBy = ptr(c.User.Email)
	n.DoneTime = NewTime(now)
	n.DoneFrom = ptr("WEB")
	if p.DoneFrom != nil {
		n.DoneFrom = p.DoneFrom
	}
	n.DoneCoordinate = p.DoneCoordinate
	return save(n, ActionDone)
}

// DeleteTask deletes a task the caller may see and returns it as it was.
func (s *Service) DeleteTask(ctx context.Context, c *Caller, id ID, ifMatch *int) (*Task, error) {
	if err := requirePlanner(c); err != nil {
		return nil, err
	}
	var t *Task
	err := s.update(ctx, c.OrgID(), func(tx Tx) (err error) {
		t, err = s.deleteTask(ctx, tx, c, id, ifMatch)
		return err
	})
	return t, err
}

func (s *Service) deleteTask(ctx context.Context, tx Tx, c *Caller, id ID, ifMatch *int) (*Task, error) {
	t, err := findVisibleTask(ctx, tx, c, id)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(t.Version, ifMatch); err != nil {
		return nil, err
	}
	switch t.TaskType {
	case TaskTypeActivityChild:
		return nil, Errorf(EINVALID, "activ-049", "An activity step cannot be deleted alone; delete its activity")
	case TaskTypeActivityMaster:
		if err := s.deleteChildren(ctx, tx, c, t); err != nil {
			return nil, err
		}
	}
	if err := tx.DeleteTask(ctx, id, s.now()); err != nil {
		return nil, err
	}
	return t, s.recordChange(ctx, tx, c.User, t, nil, ActionDelete, nil)
}

// cloneTask deep-copies a task, without its histories.
func cloneTask(t *Task) *Task {
	out := deepCopy(t)
	out.Histories = nil
	return out
}

var actionWords = map[string]string{
	ActionCreate: "Created", ActionPut: "Updated", ActionPatch: "Updated", ActionDelete: "Deleted",
	ActionAssign: "Assigned", ActionUnassign: "Unassigned", ActionMove: "Moved", ActionDone: "Done",
	ActionRollup: "Rolled up", ActionMapping: "Mapped",
}

// recordChange is the ONE place where a committed task change is described: the task before
// and after (nil for create or delete), the action, the actor (nil = System) and the child
// change that caused it. It appends, in the change's transaction, the §5.4 history entry (the
// changed keys with their previous values and {from, to}) and the §8 outbox event (EventType
// maps the action to its type) with its webhook deliveries (SPEC §9), so all exist exactly when
// the change commits.
func (s *Service) recordChange(ctx context.Context, tx Tx, actor *User, before, after *Task, action string, cause *Cause) error {
	var d map[string]Change
	if before != nil && after != nil {
		d = taskDiff(before, after)
	}
	return s.record(ctx, tx, actor, before, after, d, action, cause)
}

// record is recordChange with the change's taskDiff already computed (nil for a create or a
// delete).
func (s *Service) record(ctx context.Context, tx Tx, actor *User, before, after *Task, diff map[string]Change, action string, cause *Cause) error {
	now := s.now()
	name, email := "System", "System"
	if actor != nil {
		name, email = actor.Name, actor.Email
	}
	if diff == nil {
		diff = map[string]Change{}
	}
	h := &History{ID: NewID(now), Action: action, Notes: actionWords[action] + " by " + name,
		ChangeData: make(map[string]any, len(diff)), Changes: diff, Actor: email, Cause: cause,
		CreatedAt: NewMicroTime(now)}
	if after != nil {
		h.TaskID = after.ID
	} else {
		h.TaskID = before.ID
	}
	for k, c := range diff {
		h.ChangeData[k] = c.From
	}
	if err := tx.AddHistory(ctx, h); err != nil {
		return err
	}
	// The event, and its webhook deliveries, in the change's transaction: a committed change
	// has them, a rolled-back one none.
	return tx.AppendEvent(ctx, NewEvent(action, before, after, now), now)
}
