package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fieldwork-dev/fieldwork"
)

// AppendEvent queues the event: it is numbered, stored and fanned out by flush, with the
// transaction's task counters, in one statement just before the transaction commits (see
// flush). Taking the organization's counter row at the end, instead of at the first change,
// keeps concurrent writers of one organization from queueing on it for the whole of each
// other's transactions: they wait only for each other's last statement and commit.
func (tx *Tx) AppendEvent(_ context.Context, e *fieldwork.Event, due time.Time) error {
	e.OrganizationID = tx.org
	tx.events = append(tx.events, pendingEvent{e, due})
	return nil
}

// pendingEvent is an event AppendEvent queued, and when its deliveries are due.
type pendingEvent struct {
	e   *fieldwork.Event
	due time.Time
}

// flush writes what the transaction queued for the organization's counter row, in one
// statement: the task writes noted by touchTasks (the task data version raised, task_changes
// counted), and the events appended, numbered after the organization's last one (its
// event_sequence), each stored with its number and fanned out to the webhooks subscribed to
// its type (an INSERT … SELECT on the subscriptions' primary key). The UPDATE locks the row
// until the transaction ends, so a concurrent writer of the same organization waits, then
// numbers its events after this one's: numbers follow commit order, and a rolled-back
// transaction gives its numbers back. The history entries queued by AddHistory ride in the
// same statement: a 10-step activity's eleven entries cost no round trip of their own.
func (tx *Tx) flush(ctx context.Context) error {
	if tx.touches == 0 && len(tx.events) == 0 && len(tx.histories) == 0 {
		return nil
	}
	n := len(tx.events)
	ids, types, heads, tails, dues := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]int64, n)
	for i, p := range tx.events {
		// Each document is written with the number the UPDATE gives: encoded here around it.
		// The first "sequence" key of the encoding is the event's own (Data, the one member
		// holding a client's text, comes after it).
		p.e.Sequence = 0
		doc := mustJSON(p.e)
		k := bytes.Index(doc, []byte(`"sequence":0`))
		if k < 0 {
			return fmt.Errorf("AppendEvent: no sequence in the encoded event %s", p.e.ID)
		}
		ids[i], types[i], dues[i] = string(p.e.ID), p.e.Type, p.due.UnixMicro()
		heads[i], tails[i] = string(doc[:k+len(`"sequence":`)]), string(doc[k+len(`"sequence":0`):])
	}
	m := len(tx.histories)
	hTasks, hIDs, hTimes, hDocs := make([]string, m), make([]string, m), make([]int64, m), make([]string, m)
	for i, h := range tx.histories {
		hTasks[i], hIDs[i], hTimes[i], hDocs[i] = string(h.TaskID), string(h.ID), h.CreatedAt.UnixMicro(), string(mustJSON(h))
	}
	var base int64
	err := tx.tx.QueryRow(ctx, `WITH s AS (
			UPDATE organization_state SET event_sequence = event_sequence + $2,
				task_data_version = GREATEST(task_data_version, $3), task_changes = task_changes + $4
			WHERE organization_id = $1 RETURNING event_sequence - $2 AS base),
		x AS (
			SELECT * FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[])
				WITH ORDINALITY AS x (id, type, head, tail, due, n)),
		e AS (
			INSERT INTO events (organization_id, sequence, id, doc)
			SELECT $1, s.base + x.n, x.id, (x.head || (s.base + x.n) || x.tail)::json FROM s, x),
		d AS (
			INSERT INTO webhook_deliveries (organization_id, webhook_id, event_sequence, state, next_attempt_time, created_time)
			SELECT w.organization_id, w.webhook_id, s.base + x.n, 'pending', x.due, x.due
			FROM s, x JOIN webhook_events w ON w.organization_id = $1 AND w.event_type = x.type),
		h AS (
			INSERT INTO task_histories (organization_id, task_id, id, created_at, doc)
			SELECT $1, h.task_id, h.id, h.created_at, h.doc::jsonb
			FROM unnest($10::text[], $11::text[], $12::bigint[], $13::text[]) AS h (task_id, id, created_at, doc))
		SELECT base FROM s`,
		tx.org, int64(n), tx.touchedAt, tx.touches, ids, types, heads, tails, dues, hTasks, hIDs, hTimes, hDocs).Scan(&base)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("flush: organization %s has no state row", tx.org)
	} else if err != nil {
		return storable(err, "task-032")
	}
	for i, p := range tx.events {
		p.e.Sequence = base + int64(i) + 1
	}
	tx.events, tx.histories, tx.touches, tx.touchedAt = nil, nil, 0, 0
	return nil
}

// FindEvents returns the events after a sequence, in sequence order.
func (tx *Tx) FindEvents(ctx context.Context, after int64, limit int) ([]*fieldwork.Event, error) {
	if err := tx.flush(ctx); err != nil {
		return nil, err
	}
	return docs[fieldwork.Event](ctx, tx, `SELECT doc FROM events WHERE organization_id = $1 AND sequence > $2
		ORDER BY sequence`+limitOffset(limit, 0), tx.org, after)
}
