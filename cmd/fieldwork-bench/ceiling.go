package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/fieldwork-dev/fieldwork"
)

// The raw ceiling of a write: the rows one API call wrote, written again by the same number of
// concurrent workers straight through the driver, one transaction per API call: no HTTP, no
// JSON, no validation, no reads. The rows are captured from the database right after a real API
// call (every task row it inserted or changed, with its assignee rows, and every history entry
// and outbox event it appended), so the ceiling writes exactly what the server writes, only
// with fresh ids, and with the statements the store uses: a row each, except on PostgreSQL the
// history entries and events, which the store writes in one statement at its commit.

const taskCols = `organization_id, id, flow, flow_id, hub_id, status, task_type, parent_id, workflow_id,
	routing_result_id, done_by, search_text, start_time, end_time, done_time, created_time, updated_time, order_index,
	doc, title_sort`

// taskRow is one row of tasks, as stored.
type taskRow struct {
	org, id, flow                           string
	flowID                                  sql.NullString
	hubID, status, taskType                 string
	parentID, workflowID, routingID, doneBy sql.NullString
	searchText                              string
	start, end, doneTime, created, updated  int64
	orderIndex                              float64
	doc, titleSort                          string
	inserted                                bool     // the call created the task (else changed it)
	assignees                               []string // its assignee rows, when the call wrote them
	writesAssignees                         bool
}

type historyRow struct {
	taskID, id string
	createdAt  int64
	doc        string
}

type eventRow struct {
	id, doc string
}

// callRows are the rows one API call wrote: one transaction of the ceiling.
type callRows struct {
	tasks     []*taskRow
	histories []historyRow
	events    []eventRow
}

// docExpr reads a JSON document column as text on both engines.
func docExpr(engine, col string) string {
	if engine == "postgres" {
		return col + "::text"
	}
	return col
}

// mark is where the database stands before an API call: what the call writes comes after it.
type mark struct {
	sequence int64
	at       int64 // Unix microseconds
}

func markNow(ctx context.Context, db *database, org string) (mark, error) {
	var seq int64
	err := db.raw.queryRow(ctx, []any{&seq}, `SELECT event_sequence FROM organization_state WHERE organization_id = $1`, org)
	// History times are the server's clock in microseconds; step past the current one.
	time.Sleep(2 * time.Millisecond)
	return mark{sequence: seq, at: time.Now().UnixMicro()}, err
}

// captureSince reads the rows written since m (nothing else may write meanwhile).
func captureSince(ctx context.Context, db *database, org string, m mark) (*callRows, error) {
	out := &callRows{}
	raw := db.raw.(queryer)
	var order []string
	created := map[string]bool{}
	assigned := map[string]bool{}
	err := raw.query(ctx, `SELECT task_id, id, created_at, `+docExpr(db.engine, "doc")+` FROM task_histories
		WHERE organization_id = $1 AND created_at >= $2 ORDER BY created_at, id`, []any{org, m.at}, func(scan func(...any) error) error {
		var h historyRow
		if err := scan(&h.taskID, &h.id, &h.createdAt, &h.doc); err != nil {
			return err
		}
		out.histories = append(out.histories, h)
		if !contains(order, h.taskID) {
			order = append(order, h.taskID)
		}
		switch {
		case strings.Contains(h.doc, `"action":"create"`) || strings.Contains(h.doc, `"action": "create"`):
			created[h.taskID] = true
		case strings.Contains(h.doc, `"action":"assign"`) || strings.Contains(h.doc, `"action": "assign"`),
			strings.Contains(h.doc, `"action":"unassign"`) || strings.Contains(h.doc, `"action": "unassign"`),
			strings.Contains(h.doc, `"action":"rollup"`) || strings.Contains(h.doc, `"action": "rollup"`):
			assigned[h.taskID] = true // a roll-up may change the master's assignee union
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := raw.query(ctx, `SELECT id, `+docExpr(db.engine, "doc")+` FROM events WHERE organization_id = $1 AND sequence > $2
		ORDER BY sequence`, []any{org, m.sequence}, func(scan func(...any) error) error {
		var e eventRow
		if err := scan(&e.id, &e.doc); err != nil {
			return err
		}
		out.events = append(out.events, e)
		return nil
	}); err != nil {
		return nil, err
	}
	for _, id := range order {
		t, err := readTask(ctx, db, org, id)
		if err != nil {
			return nil, err
		}
		t.inserted, t.writesAssignees = created[id], created[id] || assigned[id]
		out.tasks = append(out.tasks, t)
	}
	return out, nil
}

// queryer is the raw handle's query method (both engines have it).
type queryer interface {
	query(ctx context.Context, query string, args []any, scan func(scan func(...any) error) error) error
}

// readTask reads a task's row and its assignee rows as stored.
func readTask(ctx context.Context, db *database, org, id string) (*taskRow, error) {
	raw := db.raw.(queryer)
	t := &taskRow{}
	found := false
	err := raw.query(ctx, `SELECT organization_id, id, flow, flow_id, hub_id, status, task_type, parent_id, workflow_id,
		routing_result_id, done_by, search_text, start_time, end_time, done_time, created_time, updated_time, order_index, `+
		docExpr(db.engine, "doc")+`, title_sort FROM tasks WHERE organization_id = $1 AND id = $2`, []any{org, id},
		func(scan func(...any) error) error {
			found = true
			return scan(&t.org, &t.id, &t.flow, &t.flowID, &t.hubID, &t.status, &t.taskType, &t.parentID, &t.workflowID,
				&t.routingID, &t.doneBy, &t.searchText, &t.start, &t.end, &t.doneTime, &t.created, &t.updated, &t.orderIndex,
				&t.doc, &t.titleSort)
		})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("task %s not found", id)
	}
	// Replayed with the task's created time as task_created_time, as the stores write it.
	err = raw.query(ctx, `SELECT email FROM task_assignees WHERE organization_id = $1 AND task_id = $2 ORDER BY email`,
		[]any{org, id}, func(scan func(...any) error) error {
			var e string
			if err := scan(&e); err != nil {
				return err
			}
			t.assignees = append(t.assignees, e)
			return nil
		})
	return t, err
}

// replay writes the rows of a captured call in one transaction, with every task id of the
// capture replaced as ids says (ids missing from it get fresh ones, which are added).
func replay(ctx context.Context, db *database, rows *callRows, ids map[string]string) error {
	now := time.Now()
	for _, t := range rows.tasks {
		if _, ok := ids[t.id]; !ok {
			ids[t.id] = fieldwork.NewID(now)
		}
	}
	pairs := make([]string, 0, 2*len(ids))
	for from, to := range ids {
		pairs = append(pairs, from, to)
	}
	r := strings.NewReplacer(pairs...)
	doc := func(s string) any {
		s = r.Replace(s)
		if db.engine == "postgres" {
			return []byte(s)
		}
		return s
	}
	mapped := func(n sql.NullString) any {
		if !n.Valid {
			return nil
		}
		if to, ok := ids[n.String]; ok {
			return to
		}
		return n.String
	}
	org := rows.tasks[0].org
	return db.raw.tx(ctx, func(tx rawTx) error {
		for _, t := range rows.tasks {
			args := []any{t.org, ids[t.id], t.flow, mapped(t.flowID), t.hubID, t.status, t.taskType, mapped(t.parentID),
				mapped(t.workflowID), mapped(t.routingID), mapped(t.doneBy), t.searchText, t.start, t.end, t.doneTime,
				t.created, t.updated, t.orderIndex, doc(t.doc), t.titleSort}
			var err error
			if t.inserted {
				err = tx.exec(ctx, `INSERT INTO tasks (`+taskCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
					$13, $14, $15, $16, $17, $18, $19, $20)`, args...)
			} else {
				err = tx.exec(ctx, `UPDATE tasks SET flow = $3, flow_id = $4, hub_id = $5, status = $6, task_type = $7,
					parent_id = $8, workflow_id = $9, routing_result_id = $10, done_by = $11, search_text = $12, start_time = $13,
					end_time = $14, done_time = $15, created_time = $16, updated_time = $17, order_index = $18, doc = $19,
					title_sort = $20 WHERE organization_id = $1 AND id = $2`, args...)
			}
			if err != nil {
				return err
			}
			if !t.writesAssignees {
				continue
			}
			if !t.inserted {
				if err := tx.exec(ctx, `DELETE FROM task_assignees WHERE organization_id = $1 AND task_id = $2`, org, ids[t.id]); err != nil {
					return err
				}
			}
			for _, email := range t.assignees {
				if err := tx.exec(ctx, `INSERT INTO task_assignees (organization_id, email, task_id, task_created_time) VALUES ($1, $2, $3, $4)`,
					org, email, ids[t.id], t.created); err != nil {
					return err
				}
			}
		}
		if db.engine == "postgres" {
			return replayOutboxPostgres(ctx, tx, org, rows, now, func(id string) string { return ids[id] }, r.Replace)
		}
		for _, h := range rows.histories {
			if err := tx.exec(ctx, `INSERT INTO task_histories (organization_id, task_id, id, created_at, doc) VALUES ($1, $2, $3, $4, $5)`,
				org, ids[h.taskID], fieldwork.NewID(now), now.UnixMicro(), doc(h.doc)); err != nil {
				return err
			}
		}
		for _, e := range rows.events {
			var seq int64
			if err := tx.queryRow(ctx, []any{&seq}, `UPDATE organization_state SET event_sequence = event_sequence + 1
				WHERE organization_id = $1 RETURNING event_sequence`, org); err != nil {
				return err
			}
			if err := tx.exec(ctx, `INSERT INTO events (organization_id, sequence, id, doc) VALUES ($1, $2, $3, $4)`,
				org, seq, fieldwork.NewID(now), doc(e.doc)); err != nil {
				return err
			}
		}
		return tx.exec(ctx, `UPDATE organization_state SET task_data_version = CASE WHEN task_data_version < $2 THEN $2
			ELSE task_data_version END, task_changes = task_changes + $3 WHERE organization_id = $1`, org, now.Unix(), int64(len(rows.tasks)))
	})
}

// replayOutboxPostgres writes a call's history entries and events, and counts its task writes,
// in one statement, as the PostgreSQL store does at its commit (postgres.Tx.flush): the ceiling
// writes the same rows with the same statements, minus everything else. (The event documents are
// stored as captured, not rewritten around their new sequence numbers.)
func replayOutboxPostgres(ctx context.Context, tx rawTx, org string, rows *callRows, now time.Time, id func(string) string, replace func(string) string) error {
	eIDs, eDocs := make([]string, len(rows.events)), make([]string, len(rows.events))
	for i, e := range rows.events {
		eIDs[i], eDocs[i] = fieldwork.NewID(now), replace(e.doc)
	}
	n := len(rows.histories)
	hTasks, hIDs, hTimes, hDocs := make([]string, n), make([]string, n), make([]int64, n), make([]string, n)
	for i, h := range rows.histories {
		hTasks[i], hIDs[i], hTimes[i], hDocs[i] = id(h.taskID), fieldwork.NewID(now), now.UnixMicro(), replace(h.doc)
	}
	var base int64
	return tx.queryRow(ctx, []any{&base}, `WITH s AS (
			UPDATE organization_state SET event_sequence = event_sequence + $2,
				task_data_version = GREATEST(task_data_version, $3), task_changes = task_changes + $4
			WHERE organization_id = $1 RETURNING event_sequence - $2 AS base),
		e AS (
			INSERT INTO events (organization_id, sequence, id, doc)
			SELECT $1, s.base + x.n, x.id, x.doc::json FROM s, unnest($5::text[], $6::text[]) WITH ORDINALITY AS x (id, doc, n)),
		h AS (
			INSERT INTO task_histories (organization_id, task_id, id, created_at, doc)
			SELECT $1, h.task_id, h.id, h.created_at, h.doc::jsonb
			FROM unnest($7::text[], $8::text[], $9::bigint[], $10::text[]) AS h (task_id, id, created_at, doc))
		SELECT base FROM s`,
		org, int64(len(rows.events)), now.Unix(), int64(len(rows.tasks)), eIDs, eDocs, hTasks, hIDs, hTimes, hDocs)
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
