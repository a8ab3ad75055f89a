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

// AppendEvent numbers the event with the organization's next sequence, stores it and fans it
// out to the subscribed webhooks, in one statement (one round trip, on every task change):
// the UPDATE of the organization's counter, the INSERT of the event, the INSERT … SELECT of its
// deliveries on the subscriptions' primary key. The UPDATE locks the organization's counter
// row until the transaction ends, so a concurrent writer of the same organization waits, then
// reads the number this one committed: numbers follow commit order, and a rolled-back
// transaction gives its number back.
func (tx *Tx) AppendEvent(ctx context.Context, e *fieldwork.Event, due time.Time) (int, error) {
	// The document is written with the number the UPDATE gives: encoded here around it. The
	// first "sequence" key of the encoding is the event's own (Data, the one member holding a
	// client's text, comes after it).
	e.OrganizationID, e.Sequence = tx.org, 0
	doc := mustJSON(e)
	i := bytes.Index(doc, []byte(`"sequence":0`))
	if i < 0 {
		return 0, fmt.Errorf("AppendEvent: no sequence in the encoded event %s", e.ID)
	}
	head, tail := doc[:i+len(`"sequence":`)], doc[i+len(`"sequence":0`):]
	var seq int64
	var deliveries int
	err := tx.tx.QueryRow(ctx, `WITH s AS (
			UPDATE organization_state SET event_sequence = event_sequence + 1
			WHERE organization_id = $1 RETURNING event_sequence),
		e AS (
			INSERT INTO events (organization_id, sequence, id, doc)
			SELECT $1, event_sequence, $2, ($3::text || event_sequence || $4::text)::json FROM s
			RETURNING sequence),
		d AS (
			INSERT INTO webhook_deliveries (organization_id, webhook_id, event_sequence, state, next_attempt_time, created_time)
			SELECT w.organization_id, w.webhook_id, e.sequence, 'pending', $6, $6 FROM webhook_events w, e
			WHERE w.organization_id = $1 AND w.event_type = $5
			RETURNING 1)
		SELECT sequence, (SELECT count(*) FROM d) FROM e`,
		tx.org, e.ID, string(head), string(tail), e.Type, due.UnixMicro()).Scan(&seq, &deliveries)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("AppendEvent: organization %s has no state row", tx.org)
	} else if err != nil {
		return 0, storable(err, "task-032")
	}
	e.Sequence = seq
	return deliveries, nil
}

// FindEvents returns the events after a sequence, in sequence order.
func (tx *Tx) FindEvents(ctx context.Context, after int64, limit int) ([]*fieldwork.Event, error) {
	return docs[fieldwork.Event](ctx, tx, `SELECT doc FROM events WHERE organization_id = $1 AND sequence > $2
		ORDER BY sequence`+limitOffset(limit, 0), tx.org, after)
}
