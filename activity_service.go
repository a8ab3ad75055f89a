package fieldwork

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

var (
	errActivityNotFound = NotFound("activ-033", "Activity not found")
	errActivityWorkflow = NotFound("activ-034", "Workflow not found")
)

// ActivityInput is a parsed POST /activity body.
type activityBody struct {
	WorkflowID *string
	HubID      *string
	RefID      *string
	Tasks      []map[string]json.RawMessage
}

// parseActivityBody reads the top level of an activity body; tasks[i] stay raw objects.
func parseActivityBody(body map[string]json.RawMessage, allowRefID bool) (*activityBody, error) {
	var fe FieldErrors
	b := &activityBody{}
	str := func(k string, dst **string) {
		v, ok := body[k]
		if !ok || isNull(v) {
			return
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			fe.Add(k, "must be a string")
			return
		}
		*dst = &s
	}
	str("workflowId", &b.WorkflowID)
	str("hubId", &b.HubID)
	if allowRefID {
		str("refId", &b.RefID)
	}
	for k := range body {
		switch k {
		case "workflowId", "hubId", "tasks":
		case "refId":
			if !allowRefID {
				fe.Add(k, "is not allowed")
			}
		default:
			fe.Add(k, "is not allowed")
		}
	}
	if b.WorkflowID == nil || *b.WorkflowID == "" {
		if _, sent := body["workflowId"]; !sent || len(fe) == 0 {
			e := Invalid("activ-032", FieldError{Field: "workflowId", Message: "The workflowId field is required."})
			e.Message = "The workflowId field is required."
			return nil, e
		}
	}
	if v, ok := body["tasks"]; !ok || isNull(v) {
		fe.Add("tasks", "is required")
	} else {
		var raw []json.RawMessage
		if err := json.Unmarshal(v, &raw); err != nil {
			fe.Add("tasks", "must be an array with one task per step")
		}
		for i, r := range raw {
			var m map[string]json.RawMessage
			if len(r) == 0 || r[0] != '{' || json.Unmarshal(r, &m) != nil {
				fe.Add(Path("tasks", i), "must be an object")
				m = map[string]json.RawMessage{}
			}
			b.Tasks = append(b.Tasks, m)
		}
	}
	return b, fe.Err("activ-032")
}

// CreateActivity creates an activity from a workflow (SPEC §7.1): every check first, then the
// master, one child per step, the roll-up and every history in ONE transaction.
func (s *Service) CreateActivity(ctx context.Context, c *Caller, body map[string]json.RawMessage) (*Task, error) {
	return s.createActivity(ctx, c, body, false)
}

func (s *Service) createActivity(ctx context.Context, c *Caller, body map[string]json.RawMessage, allowRefID bool) (*Task, error) {
	if err := requirePlanner(c); err != nil {
		return nil, err
	}
	b, err := parseActivityBody(body, allowRefID)
	if err != nil {
		return nil, err
	}
	if !ValidID(*b.WorkflowID) {
		return nil, errActivityWorkflow
	}
	var master *Task
	err = s.update(ctx, c.OrgID(), func(tx Tx) (err error) {
		master, err = s.createActivityTx(ctx, tx, c, b)
		return err
	})
	if err != nil && ErrorCode(err) == EINTERNAL {
		return nil, &Error{Code: EINTERNAL, FailedCode: "activ-036", Message: "Activity creation failed", Cause: err}
	}
	return master, err
}

func (s *Service) createActivityTx(ctx context.Context, tx Tx, c *Caller, b *activityBody) (*Task, error) {
	wf, err := tx.FindWorkflowByID(ctx, *b.WorkflowID)
	if ErrorCode(err) == ENOTFOUND {
		return nil, errActivityWorkflow
	} else if err != nil {
		return nil, err
	}
	if len(b.Tasks) != len(wf.Steps) {
		return nil, InvalidField("activ-032", "tasks", "must have %d items, one per workflow step (got %d)", len(wf.Steps), len(b.Tasks))
	}
	now := s.now()
	var fe FieldErrors
	patches := make([]*TaskPatch, len(wf.Steps))
	values := make([]map[string]json.RawMessage, len(wf.Steps))
	for i, st := range wf.Steps {
		prefix := Path("tasks", i)
		p, pe := ParseTaskBody(b.Tasks[i], prefix)
		fe = append(fe, pe...)
		if p.TaskType && p.TaskTypeValue != TaskTypeActivityChild {
			fe.Add(Path(prefix, "taskType"), "must be activityChild")
		}
		for _, k := range []struct {
			sent bool
			key  string
		}{{p.ParentID, "parentId"}, {p.SubID, "subId"}, {p.WorkflowID, "workflowId"}} {
			if k.sent {
				fe.Add(Path(prefix, k.key), "cannot be set on an activity step")
			}
		}
		if p.Flow != nil && !strings.EqualFold(*p.Flow, st.FlowName) {
			fe.Add(Path(prefix, "flow"), "must be the step's flow (%s)", st.FlowName)
		}
		if p.FlowID != nil && *p.FlowID != st.FlowID {
			fe.Add(Path(prefix, "flowId"), "must be the step's flow (%s)", st.FlowID)
		}
		patches[i], values[i] = p, p.Values
	}
	written := ApplyCreationMappings(wf.Steps, values)

	// Steps usually share one hub: look each hub up once, not once per step.
	hubs := map[ID]*Hub{}
	findHub := func(hubID *string, prefix string) (*Hub, error) {
		if hubID != nil {
			if h, ok := hubs[*hubID]; ok {
				return h, nil
			}
		}
		h, err := hubFor(ctx, tx, c, hubID, prefix)
		if err == nil {
			hubs[h.ID] = h
		}
		return h, err
	}
	// The steps' flows in one read.
	flowIDs := make([]ID, len(wf.Steps))
	for i, st := range wf.Steps {
		flowIDs[i] = st.FlowID
	}
	found, err := tx.FindFlowsByIDs(ctx, flowIDs)
	if err != nil {
		return nil, err
	}
	flows := make(map[ID]*Flow, len(found))
	for _, f := range found {
		flows[f.ID] = f
	}
	children := make([]*Task, len(wf.Steps))
	for i, st := range wf.Steps {
		prefix := Path("tasks", i)
		p := patches[i]
		flow := flows[st.FlowID]
		if flow == nil {
			fe.Add(Path(prefix, "flow"), "the step's flow no longer exists")
			continue
		}
		hubID := p.HubID
		if hubID == nil || *hubID == "" {
			hubID = b.HubID
		}
		hub, err := findHub(hubID, prefix)
		if err != nil {
			var e *Error
			if asError(err, &e) && e.Code == EINVALID {
				fe = append(fe, e.Fields...)
				continue
			}
			return nil, err
		}
		child, ve := buildTask(c, p, flow, hub, prefix, now)
		fe = append(fe, ve...)
		child.TaskType = TaskTypeActivityChild
		child.StepOrder = ptr(st.Order)
		child.WorkflowID = ptr(wf.ID)
		if len(written[i]) > 0 {
			child.Mapped = written[i]
		}
		emails := []string{}
		if p.Has("assignee") {
			if p.Assignee != nil {
				emails = *p.Assignee
			}
		} else if st.AssigneeID != nil && *st.AssigneeID != "" {
			u, err := tx.FindUserByID(ctx, *st.AssigneeID)
			if ErrorCode(err) == ENOTFOUND {
				fe.Add(Path(prefix, "assignee"), "the step's default assignee no longer exists")
			} else if err != nil {
				return nil, err
			} else {
				emails = []string{u.Email}
			}
		}
		users, ae, err := resolveAssignees(ctx, tx, emails, hub.ID, Path(prefix, "assignee"))
		if err != nil {
			return nil, err
		}
		fe = append(fe, ae...)
		setAssignees(child, users, c.User.Email, now)
		children[i] = child
	}
	if err := fe.Err("activ-032"); err != nil {
		return nil, err
	}

	master := &Task{
		ID: NewID(now), OrganizationID: c.OrgID(), Flow: ActivityFlowName, TaskType: TaskTypeActivityMaster,
		Title: ptr(wf.Name), WorkflowID: ptr(wf.ID), Workflow: wf.Snapshot(),
		HubID: children[0].HubID, Hub: children[0].Hub, CreatedFrom: children[0].CreatedFrom,
		CreatedBy: c.User.Email, UpdatedBy: c.User.Email, CreatedTime: NewTime(now), UpdatedTime: NewTime(now),
		Version: 1, OrderIndex: float64(now.UnixMicro() / 10), RefID: b.RefID,
	}
	if b.HubID != nil && *b.HubID != "" {
		hub, err := findHub(b.HubID, "")
		if err != nil {
			return nil, relabel(err, "activ-032")
		}
		master.HubID, master.Hub = hub.ID, hub.Ref()
	}
	for _, ch := range children {
		ch.ParentID = ptr(master.ID)
		master.SubID = append(master.SubID, ch.ID)
	}
	ComputeRollup(children, wf.Steps).Apply(master)
	if err := tx.CreateTask(ctx, master); err != nil {
		return nil, err
	}
	if err := s.recordChange(ctx, tx, c.User, nil, master, ActionCreate, nil); err != nil {
		return nil, err
	}
	for _, ch := range children {
		if err := tx.CreateTask(ctx, ch); err != nil {
			return nil, err
		}
		if err := s.recordChange(ctx, tx, c.User, nil, ch, ActionCreate, nil); err != nil {
			return nil, err
		}
	}
	return master, nil
}

// relabel gives a validation error another failedCode (a task rule reused in an activity).
func relabel(err error, failedCode string) error {
	var e *Error
	if asError(err, &e) && e.Code == EINVALID {
		cp := *e
		cp.FailedCode = failedCode
		return &cp
	}
	return err
}

// loadChildren returns an activity's children in step order (missing ones are nil).
func loadChildren(ctx context.Context, tx Tx, master *Task) ([]*Task, error) {
	if len(master.SubID) == 0 {
		return nil, nil
	}
	found, err := tx.FindTasks(ctx, TaskFilter{IDs: master.SubID})
	if err != nil {
		return nil, err
	}
	byID := make(map[ID]*Task, len(found))
	for _, t := range found {
		byID[t.ID] = t
	}
	out := make([]*Task, len(master.SubID))
	for i, id := range master.SubID {
		out[i] = byID[id]
	}
	return out, nil
}

// checkStepOrder refuses to complete a child while the previous step's child is not DONE,
// unless the snapshot is not sequential (SPEC §7.4).
func checkStepOrder(ctx context.Context, tx Tx, child *Task) error {
	if child.ParentID == nil || child.StepOrder == nil || *child.StepOrder == 0 {
		return nil
	}
	master, err := tx.FindTaskByID(ctx, *child.ParentID)
	if err != nil {
		return err
	}
	if master.Workflow != nil && !master.Workflow.Sequential {
		return nil
	}
	order := *child.StepOrder
	if order-1 >= len(master.SubID) {
		return nil
	}
	prev, err := tx.FindTaskByID(ctx, master.SubID[order-1])
	if err != nil {
		return err
	}
	if prev.Status == StatusDone {
		return nil
	}
	name := prev.Flow
	if master.Workflow != nil && order-1 < len(master.Workflow.Steps) {
		name = master.Workflow.Steps[order-1].FlowName
	}
	msg := fmt.Sprintf("Previous step %q must be done first", name)
	if prev.Title != nil && *prev.Title != "" {
		msg = fmt.Sprintf("Previous step %q (%s) must be done first", name, *prev.Title)
	}
	return Errorf(EINVALID, "activ-037", "%s", msg)
}

// afterChildChange runs, in the child's transaction, what a child change implies for its
// activity: the field mappings reading from a child that just became DONE (SPEC §7.3), then
// the master's roll-up (SPEC §7.2), each recorded with the child change as its cause.
func (s *Service) afterChildChange(ctx context.Context, tx Tx, child *Task, becameDone bool, action string) error {
	master, err := tx.FindTaskByID(ctx, *child.ParentID)
	if err != nil {
		return err
	}
	children, err := loadChildren(ctx, tx, master)
	if err != nil {
		return err
	}
	var steps []Step
	if master.Workflow != nil {
		steps = master.Workflow.Steps
	}
	now := s.now()
	if becameDone && child.StepOrder != nil {
		for _, m := range RuntimeMappings(steps, *child.StepOrder, child, children) {
			before := children[m.TargetStep]
			after := cloneTask(before)
			if after.Values == nil {
				after.Values = map[string]json.RawMessage{}
			}
			if after.Mapped == nil {
				after.Mapped = map[string]json.RawMessage{}
			}
			after.Values[m.TargetField], after.Mapped[m.TargetField] = m.Value, m.Value
			after.Version, after.UpdatedBy, after.UpdatedTime = before.Version+1, "System", NewTime(now)
			if err := tx.UpdateTask(ctx, after); err != nil {
				return err
			}
			if err := s.recordChange(ctx, tx, nil, before, after, ActionMapping, &Cause{TaskID: child.ID, Action: ActionDone}); err != nil {
				return err
			}
			children[m.TargetStep] = after
		}
	}
	present := children[:0:0]
	for _, ch := range children {
		if ch != nil {
			present = append(present, ch)
		}
	}
	next := cloneTask(master)
	ComputeRollup(present, steps).Apply(next)
	diff := taskDiff(master, next)
	if len(diff) == 0 {
		return nil
	}
	next.Version, next.UpdatedBy, next.UpdatedTime = master.Version+1, "System", NewTime(now)
	if err := tx.UpdateTask(ctx, next); err != nil {
		return err
	}
	s.rollups.Add(1) // counted per attempt: a retried transaction may count twice
	return s.record(ctx, tx, nil, master, next, diff, ActionRollup, &Cause{TaskID: child.ID, Action: action})
}

// deleteChildren deletes an activity's children (its master is deleted by the caller).
func (s *Service) deleteChildren(ctx context.Context, tx Tx, c *Caller, master *Task) error {
	children, err := loadChildren(ctx, tx, master)
	if err != nil {
		return err
	}
	for _, ch := range children {
		if ch == nil {
			continue
		}
		if err := tx.DeleteTask(ctx, ch.ID, s.now()); err != nil {
			return err
		}
		if err := s.recordChange(ctx, tx, c.User, ch, nil, ActionDelete, &Cause{TaskID: master.ID, Action: ActionDelete}); err != nil {
			return err
		}
	}
	return nil
}

// masterEditable are the keys a PUT/PATCH may change on a master; masterProtected those it
// must leave as they are (SPEC §7.2). Other keys are ignored.
var masterProtected = []string{"status", "subStatus", "assignee", "startTime", "endTime", "flow", "flowId",
	"workflowId", "workflow", "subId", "tasks", "hubId", "taskType", "parentId", "stepOrder"}

// updateMaster applies a PUT/PATCH to an activity master: only title/name, content, label,
// orderIndex and refId may change; assign, move and done are refused.
func (s *Service) updateMaster(ctx context.Context, tx Tx, c *Caller, m *Task, kind TaskChange, body map[string]json.RawMessage) (*Task, error) {
	if kind != ChangePut && kind != ChangePatch {
		return nil, Errorf(EINVALID, "activ-047", "Assign, move and done are not allowed on an activity master; change its steps")
	}
	cur := taskFields(m)
	var fe FieldErrors
	for _, k := range masterProtected {
		v, ok := body[k]
		if !ok || sameMasterValue(k, v, m, cur[k]) {
			continue
		}
		fe.Add(k, "is derived from the activity's steps or fixed, and cannot be changed")
	}
	if err := fe.Err("activ-046"); err != nil {
		return nil, err
	}
	p, pe := ParseTaskBody(body, "")
	var te FieldErrors
	for _, f := range pe {
		if !contains(masterProtected, f.Field) {
			te = append(te, f)
		}
	}
	if err := te.Err("task-032"); err != nil {
		return nil, err
	}
	n := cloneTask(m)
	if v, ok := body["name"]; ok && !p.Has("title") {
		var name *string
		if err := json.Unmarshal(v, &name); err != nil {
			return nil, InvalidField("task-032", "name", "must be a string")
		}
		n.Title = name
	}
	for _, f := range []struct {
		key string
		v   *string
		dst **string
	}{{"title", p.Title, &n.Title}, {"content", p.Content, &n.Content}, {"label", p.Label, &n.Label}, {"refId", p.RefID, &n.RefID}} {
		if p.Has(f.key) {
			*f.dst = f.v
		}
	}
	if p.OrderIndex != nil {
		n.OrderIndex = *p.OrderIndex
	}
	diff := taskDiff(m, n)
	if len(diff) == 0 {
		return m, nil
	}
	now := s.now()
	n.Version, n.UpdatedBy, n.UpdatedTime = m.Version+1, c.User.Email, NewTime(now)
	action := ActionPatch
	if kind == ChangePut {
		action = ActionPut
	}
	if err := tx.UpdateTask(ctx, n); err != nil {
		return nil, err
	}
	return n, s.record(ctx, tx, c.User, m, n, diff, action, nil)
}

// sameMasterValue reports whether a sent value of a protected master key equals the current
// one (so sending a master back unchanged is accepted).
func sameMasterValue(key string, sent json.RawMessage, m *Task, cur json.RawMessage) bool {
	switch key {
	case "startTime", "endTime":
		var s string
		if json.Unmarshal(sent, &s) != nil {
			return false
		}
		t, err := ParseTime(s)
		want := m.StartTime
		if key == "endTime" {
			want = m.EndTime
		}
		return err == nil && t.Equal(want.Time)
	case "assignee":
		list, problem := ParseAssignee(sent)
		return problem == "" && reflect.DeepEqual(list, m.Assignee)
	case "flow":
		var s string
		return json.Unmarshal(sent, &s) == nil && strings.EqualFold(s, m.Flow)
	}
	return sameJSON(sent, cur)
}

// FindActivity returns an activity master the caller may see (activ-033 otherwise), with its
// children in step order when withChildren.
func (s *Service) FindActivity(ctx context.Context, c *Caller, id ID, withChildren bool) (*Task, []*Task, error) {
	var master *Task
	var children []*Task
	err := s.view(ctx, c.OrgID(), func(tx Tx) (err error) {
		master, err = findVisibleTask(ctx, tx, c, id)
		if ErrorCode(err) == ENOTFOUND || (err == nil && master.TaskType != TaskTypeActivityMaster) {
			return errActivityNotFound
		} else if err != nil {
			return err
		}
		if withChildren {
			all, err := loadChildren(ctx, tx, master)
			if err != nil {
				return err
			}
			children = []*Task{}
			for _, ch := range all {
				if ch != nil {
					children = append(children, ch)
				}
			}
		}
		return nil
	})
	return master, children, err
}

// DeleteActivity deletes a master and all its children in one transaction.
func (s *Service) DeleteActivity(ctx context.Context, c *Caller, id ID, ifMatch *int) error {
	if err := requirePlanner(c); err != nil {
		return err
	}
	return s.update(ctx, c.OrgID(), func(tx Tx) error {
		t, err := findVisibleTask(ctx, tx, c, id)
		if ErrorCode(err) == ENOTFOUND || (err == nil && t.TaskType != TaskTypeActivityMaster) {
			return errActivityNotFound
		} else if err != nil {
			return err
		}
		_, err = s.deleteTask(ctx, tx, c, id, ifMatch)
		return err
	})
}

// FindActivities lists activity masters (SPEC §7.5) with their total.
func (s *Service) FindActivities(ctx context.Context, c *Caller, f TaskFilter) ([]*Task, int, error) {
	f.TaskType = []string{TaskTypeActivityMaster}
	page, err := s.FindTasks(ctx, c, f, false, "")
	if err != nil {
		return nil, 0, err
	}
	return page.Tasks, page.Counts.Total, nil
}

// BulkActivityResult is the outcome of one item of POST /activities/bulk.
type BulkActivityResult struct {
	Master *Task
	RefID  *string
	Err    error
}

// CreateActivities creates each activity of a bulk request in its own transaction.
func (s *Service) CreateActivities(ctx context.Context, c *Caller, items []map[string]json.RawMessage) ([]BulkActivityResult, error) {
	if err := requirePlanner(c); err != nil {
		return nil, err
	}
	out := make([]BulkActivityResult, len(items))
	for i, body := range items {
		var ref string
		if v, ok := body["refId"]; ok && json.Unmarshal(v, &ref) == nil && ref != "" {
			out[i].RefID = &ref
		}
		out[i].Master, out[i].Err = s.createActivity(ctx, c, body, true)
	}
	return out, nil
}

func asError(err error, target **Error) bool { return errors.As(err, target) }

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
