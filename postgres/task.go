package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fieldwork-dev/fieldwork"
)

var errTaskNotFound = fieldwork.NotFound("task-033", fieldwork.MsgNotFound)

// codeTaskInvalid is the failedCode of a task PostgreSQL cannot store (see storable).
const codeTaskInvalid = "task-032"

// sortColumns maps the API's sortBy values to columns; each has an index led by
// organization_id and ending in id, which also serves the keyset cursor.
var sortColumns = map[string]string{
	"createdTime": "created_time",
	"updatedTime": "updated_time",
	"startTime":   "start_time",
	"endTime":     "end_time",
	"doneTime":    "done_time",
	"orderIndex":  "order_index",
	"status":      "status",
	"title":       "title_sort",
	"_id":         "id",
}

// sortValue is the column value of t for the sort key, as stored.
func sortValue(t *fieldwork.Task, sortBy string) any {
	switch sortBy {
	case "updatedTime":
		return micro(t.UpdatedTime)
	case "startTime":
		return micro(t.StartTime)
	case "endTime":
		return micro(t.EndTime)
	case "doneTime":
		return micro(t.DoneTime)
	case "orderIndex":
		return t.OrderIndex
	case "status":
		return t.Status
	case "title":
		return titleSort(t)
	case "_id":
		return t.ID
	}
	return micro(t.CreatedTime)
}

func micro(t fieldwork.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// titleSort is the sort key of a task's title: lower-cased, "" when none.
func titleSort(t *fieldwork.Task) string {
	if t.Title == nil {
		return ""
	}
	return strings.ToLower(*t.Title)
}

func taskSearchText(t *fieldwork.Task) string {
	var parts []string
	for _, p := range []*string{t.Title, t.Content, t.Label} {
		if p != nil {
			parts = append(parts, strings.ToLower(*p))
		}
	}
	return strings.Join(parts, "\n")
}

// FindTaskByID returns one task. In an Update transaction it locks the row until commit
// (FOR UPDATE): READ COMMITTED alone would let two transactions read the same version and the
// later write lose the earlier one. The activity roll-up relies on it: every change of a child
// locks its master before reading the children, so roll-ups of one activity run one after the
// other, each seeing the children committed before it.
//
// A row it has locked is read once per transaction: while the transaction has not written it,
// later calls decode the document read the first time (an activity's master, asked for by the
// step-order check and by the roll-up of a done, costs one round trip).
func (tx *Tx) FindTaskByID(ctx context.Context, id fieldwork.ID) (*fieldwork.Task, error) {
	var t fieldwork.Task
	if row, ok := tx.locked[id]; ok {
		return &t, decode(row.doc, &t)
	}
	query := `SELECT doc FROM tasks WHERE organization_id = $1 AND id = $2`
	if tx.lockRows {
		query += ` FOR UPDATE`
	}
	var doc []byte
	err := tx.tx.QueryRow(ctx, query, tx.org, id).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errTaskNotFound
	} else if err != nil {
		return nil, err
	}
	if err := decode(doc, &t); err != nil {
		return nil, err
	}
	if tx.lockRows {
		if tx.locked == nil {
			tx.locked = map[fieldwork.ID]lockedTask{}
		}
		tx.locked[id] = lockedTask{doc: doc, assignees: fieldwork.AssigneeKey(&t)}
	}
	return &t, nil
}

// lockedTask is a task row an Update transaction read and locked: its document, and the key
// of its task_assignees rows.
type lockedTask struct {
	doc       []byte
	assignees string
}

func (tx *Tx) taskWhere(f fieldwork.TaskFilter) (string, []any) {
	w := newWhere(tx.org)
	if f.IDs != nil {
		w.in("id", f.IDs)
	}
	if len(f.Status) > 0 {
		w.in("status", f.Status)
	}
	if len(f.Flow) > 0 {
		w.in("flow", f.Flow)
	}
	if len(f.FlowID) > 0 {
		w.in("flow_id", f.FlowID)
	}
	if f.HubID != nil {
		w.add("hub_id = ?", *f.HubID)
	}
	if f.HubIDs != nil {
		if len(f.HubIDs) == 0 {
			w.add("1 = 0")
		} else {
			w.in("hub_id", f.HubIDs)
		}
	}
	if f.Assignee != nil {
		w.add("id IN (SELECT task_id FROM task_assignees WHERE organization_id = $1 AND email = ?)", strings.ToLower(*f.Assignee))
	}
	if f.DoneBy != nil {
		w.add("(done_by = ? OR done_by IN (SELECT email FROM users WHERE organization_id = $1 AND lower(name) = ?))",
			strings.ToLower(*f.DoneBy), strings.ToLower(*f.DoneBy))
	}
	if f.ActiveAt != nil {
		at := f.ActiveAt.UnixMicro()
		w.add("start_time <= ? AND end_time >= ?", at, at)
	}
	if f.VisitAt != nil {
		w.add("end_time >= ?", f.VisitAt.UnixMicro())
	}
	if f.RoutingResultID != nil {
		w.add("routing_result_id = ?", *f.RoutingResultID)
	}
	if f.TimeFrom != nil || f.TimeTo != nil {
		col := map[string]string{"startTime": "start_time", "doneTime": "done_time"}[f.TimeBy]
		if col == "" {
			col = "created_time"
		}
		from, to := f.TimeBounds()
		if from != nil {
			w.add(col+" >= ?", *from)
		}
		if to != nil {
			w.add(col+" <= ?", *to)
		}
	}
	if len(f.TaskType) > 0 {
		w.in("task_type", f.TaskType)
	}
	if f.ParentID != nil {
		w.add("parent_id = ?", *f.ParentID)
	}
	if f.WorkflowID != nil {
		w.add("workflow_id = ?", *f.WorkflowID)
	}
	if f.Q != nil {
		w.add(`search_text LIKE ? ESCAPE '\'`, likeEscape(*f.Q))
	}
	if f.Cursor != nil {
		col := sortColumns[f.SortBy]
		if col == "" {
			col = "created_time"
		}
		op := ">"
		if f.SortDesc {
			op = "<"
		}
		// A row comparison, which PostgreSQL answers with one range scan of the sort index.
		w.add("("+col+", id) "+op+" (?, ?)", sortValue(f.Cursor, f.SortBy), f.Cursor.ID)
	}
	return w.sql()
}

// FindTasks returns one page of the tasks matching f in its sort order, ties broken by id.
func (tx *Tx) FindTasks(ctx context.Context, f fieldwork.TaskFilter) ([]*fieldwork.Task, error) {
	col := sortColumns[f.SortBy]
	if col == "" {
		col = "created_time"
	}
	dir := " ASC"
	if f.SortDesc {
		dir = " DESC"
	}
	if f.Assignee != nil && col == "created_time" {
		return tx.findAssigneeTasks(ctx, f, dir)
	}
	cond, args := tx.taskWhere(f)
	order := ` ORDER BY ` + col + dir + `, id` + dir
	if f.RangeSortedElsewhere() {
		// The page's ids from the range's covering index (migration 0009), then their rows,
		// joined in that order. A narrow range is sorted by an expression no index matches, so
		// that the planner reads the range rather than walking the sort index.
		inner := order
		if f.NarrowRange() {
			inner = ` ORDER BY COALESCE(` + col + `, ` + col + `)` + dir + `, id` + dir
		}
		return docs[fieldwork.Task](ctx, tx, `SELECT t.doc FROM (SELECT id, `+col+` AS k FROM tasks WHERE `+cond+inner+
			limitOffset(f.Limit, f.Offset)+`) AS p CROSS JOIN tasks t WHERE t.organization_id = $1 AND t.id = p.id
			ORDER BY p.k`+dir+`, p.id`+dir, args...)
	}
	return docs[fieldwork.Task](ctx, tx, `SELECT doc FROM tasks WHERE `+cond+order+limitOffset(f.Limit, f.Offset), args...)
}

// findAssigneeTasks lists an assignee's tasks in creation order from the assignee index
// (organization_id, email, task_created_time, task_id): one ordered range of it, and one
// primary-key read per task of the page, however many tasks the assignee has. (Probing the
// organization's creation-time index for the assignee's tasks instead reads a hundred index
// entries per task found when the assignee has 1 % of them.)
func (tx *Tx) findAssigneeTasks(ctx context.Context, f fieldwork.TaskFilter, dir string) ([]*fieldwork.Task, error) {
	cursor := f.Cursor
	f.Cursor = nil
	w := tx.assigneeWhere(f)
	if cursor != nil {
		op := ">"
		if f.SortDesc {
			op = "<"
		}
		v := micro(cursor.CreatedTime)
		w.add("(task_created_time, task_id) "+op+" (?, ?)", v, cursor.ID)
	}
	cond, args := w.sql()
	return docs[fieldwork.Task](ctx, tx, `SELECT doc FROM `+assigneeJoin+` WHERE `+cond+
		` ORDER BY task_created_time`+dir+`, task_id`+dir+limitOffset(f.Limit, f.Offset), args...)
}

// assigneeJoin is the FROM of a list of an assignee's tasks: USING merges organization_id, and
// every other column name of the two tables differs.
const assigneeJoin = `tasks JOIN task_assignees USING (organization_id)`

// assigneeWhere is the WHERE of f (which has an assignee) over assigneeJoin: the assignee's
// rows of task_assignees, each joined to its task, and f's other conditions on the task.
func (tx *Tx) assigneeWhere(f fieldwork.TaskFilter) *where {
	email := strings.ToLower(*f.Assignee)
	f.Assignee = nil
	cond, args := tx.taskWhere(f)
	w := &where{conds: []string{cond, "task_id = id"}, args: args}
	w.add("email = ?", email)
	return w
}

// CountTasks counts the tasks matching f (cursor ignored), and the DONE and ONGOING ones.
func (tx *Tx) CountTasks(ctx context.Context, f fieldwork.TaskFilter) (fieldwork.TaskCounts, error) {
	f.Cursor = nil
	from := "tasks"
	cond, args := tx.taskWhere(f)
	if f.Assignee != nil {
		// From the assignee's rows: scanning the organization's tasks for them took 400 ms at
		// 1M tasks on SQLite.
		from = assigneeJoin
		cond, args = tx.assigneeWhere(f).sql()
	}
	var c fieldwork.TaskCounts
	err := tx.tx.QueryRow(ctx, `SELECT count(*),
		count(*) FILTER (WHERE status = 'DONE'),
		count(*) FILTER (WHERE status = 'ONGOING')
		FROM `+from+` WHERE `+cond, args...).Scan(&c.Total, &c.Done, &c.Ongoing)
	return c, err
}

func nullable(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

func (tx *Tx) taskArgs(t *fieldwork.Task) []any {
	var routing any // routingResultId is an official filter; Fieldwork creates no routing results
	return []any{tx.org, t.ID, t.Flow, nullable(t.FlowID), t.HubID, t.Status, t.TaskType,
		nullable(t.ParentID), nullable(t.WorkflowID), routing, nullable(t.DoneBy), taskSearchText(t),
		micro(t.StartTime), micro(t.EndTime), micro(t.DoneTime), micro(t.CreatedTime), micro(t.UpdatedTime),
		t.OrderIndex, storedTask(t), titleSort(t)}
}

func storedTask(t *fieldwork.Task) []byte {
	b, err := t.EncodeStored()
	if err != nil {
		panic(fmt.Sprintf("postgres: encode task: %v", err))
	}
	return b
}

// CreateTask inserts a task with its assignee index rows.
func (tx *Tx) CreateTask(ctx context.Context, t *fieldwork.Task) error {
	if _, err := tx.tx.Exec(ctx, `INSERT INTO tasks (organization_id, id, flow, flow_id, hub_id, status, task_type,
		parent_id, workflow_id, routing_result_id, done_by, search_text, start_time, end_time, done_time, created_time,
		updated_time, order_index, doc, title_sort) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`,
		tx.taskArgs(t)...); err != nil {
		return storable(err, codeTaskInvalid)
	}
	if err := tx.insertAssignees(ctx, t); err != nil {
		return err
	}
	return tx.touchTasks(ctx, t.UpdatedTime.Time)
}

// UpdateTask replaces a task and its assignee index rows. The assignee rows are left as they
// are when the task was read and locked in this transaction with the same ones (a done, a
// PATCH, most roll-ups): two statements fewer.
func (tx *Tx) UpdateTask(ctx context.Context, t *fieldwork.Task) error {
	prev, read := tx.locked[t.ID]
	delete(tx.locked, t.ID)
	if err := tx.exec(ctx, errTaskNotFound, `UPDATE tasks SET flow = $3, flow_id = $4, hub_id = $5, status = $6, task_type = $7,
		parent_id = $8, workflow_id = $9, routing_result_id = $10, done_by = $11, search_text = $12, start_time = $13,
		end_time = $14, done_time = $15, created_time = $16, updated_time = $17, order_index = $18, doc = $19, title_sort = $20
		WHERE organization_id = $1 AND id = $2`, tx.taskArgs(t)...); err != nil {
		return storable(err, codeTaskInvalid)
	}
	if read && prev.assignees == fieldwork.AssigneeKey(t) {
		return tx.touchTasks(ctx, t.UpdatedTime.Time)
	}
	if _, err := tx.tx.Exec(ctx, `DELETE FROM task_assignees WHERE organization_id = $1 AND task_id = $2`, tx.org, t.ID); err != nil {
		return err
	}
	if err := tx.insertAssignees(ctx, t); err != nil {
		return err
	}
	return tx.touchTasks(ctx, t.UpdatedTime.Time)
}

// insertAssignees writes the assignee index rows of a task, all in one statement.
func (tx *Tx) insertAssignees(ctx context.Context, t *fieldwork.Task) error {
	if len(t.Assignee) == 0 {
		return nil
	}
	emails := make([]string, len(t.Assignee))
	for i, email := range t.Assignee {
		emails[i] = strings.ToLower(email)
	}
	_, err := tx.tx.Exec(ctx, `INSERT INTO task_assignees (organization_id, email, task_id, task_created_time)
		SELECT $1, email, $2, $4 FROM unnest($3::text[]) AS email ON CONFLICT DO NOTHING`, tx.org, t.ID, emails, micro(t.CreatedTime))
	return err
}

// DeleteTask removes a task and its assignee rows; its histories stay as the audit trail.
func (tx *Tx) DeleteTask(ctx context.Context, id fieldwork.ID, at time.Time) error {
	delete(tx.locked, id)
	if err := tx.exec(ctx, errTaskNotFound, `DELETE FROM tasks WHERE organization_id = $1 AND id = $2`, tx.org, id); err != nil {
		return err
	}
	if _, err := tx.tx.Exec(ctx, `DELETE FROM task_assignees WHERE organization_id = $1 AND task_id = $2`, tx.org, id); err != nil {
		return err
	}
	return tx.touchTasks(ctx, at)
}

// touchTasks notes a task write made at at: the organization's task data version is raised to
// at (Unix seconds), never lowered, and its count of task writes (task_changes) by one. The
// notes of a transaction are written once, by flush, before it commits or reads them (an
// activity's creation writes eleven tasks: one UPDATE).
func (tx *Tx) touchTasks(_ context.Context, at time.Time) error {
	tx.touches++
	tx.touchedAt = max(tx.touchedAt, at.Unix())
	return nil
}

// LatestTaskChange returns the Unix seconds of the organization's latest task change.
func (tx *Tx) LatestTaskChange(ctx context.Context) (int64, error) {
	if err := tx.flush(ctx); err != nil {
		return 0, err
	}
	var v int64
	err := tx.tx.QueryRow(ctx, `SELECT COALESCE(MAX(task_data_version), 0) FROM organization_state WHERE organization_id = $1`, tx.org).Scan(&v)
	return v, err
}

// TaskVersion returns LatestTaskChange and the organization's count of task writes in one read.
func (tx *Tx) TaskVersion(ctx context.Context) (dataVersion, changes int64, err error) {
	if err := tx.flush(ctx); err != nil {
		return 0, 0, err
	}
	err = tx.tx.QueryRow(ctx, `SELECT COALESCE(MAX(task_data_version), 0), COALESCE(MAX(task_changes), 0)
		FROM organization_state WHERE organization_id = $1`, tx.org).Scan(&dataVersion, &changes)
	return dataVersion, changes, err
}

// AddHistory appends a history entry.
func (tx *Tx) AddHistory(_ context.Context, h *fieldwork.History) error {
	tx.histories = append(tx.histories, h)
	return nil
}

// FindHistories returns a task's entries (oldest or newest first) and their total.
func (tx *Tx) FindHistories(ctx context.Context, taskID fieldwork.ID, newestFirst bool, offset, limit int) ([]*fieldwork.History, int, error) {
	if err := tx.flush(ctx); err != nil {
		return nil, 0, err
	}
	total, err := tx.count(ctx, `SELECT count(*) FROM task_histories WHERE organization_id = $1 AND task_id = $2`, tx.org, taskID)
	if err != nil {
		return nil, 0, err
	}
	dir := " ASC"
	if newestFirst {
		dir = " DESC"
	}
	hs, err := docs[fieldwork.History](ctx, tx, `SELECT doc FROM task_histories WHERE organization_id = $1 AND task_id = $2
		ORDER BY created_at`+dir+`, id`+dir+limitOffset(limit, offset), tx.org, taskID)
	return hs, total, err
}
