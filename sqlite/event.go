package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/fieldwork-dev/fieldwork"
)

// AppendEvent numbers the event with the organization's next sequence, stores it and fans it
// out: one UPDATE … RETURNING of the organization's counter, one INSERT, and one INSERT …
// SELECT of its deliveries on the subscriptions' primary key. SQLite runs one write
// transaction at a time, so numbers follow commit order.
// (Writers run one at a time: nothing is gained by deferring it to the commit.)
func (tx *Tx) AppendEvent(ctx context.Context, e *fieldwork.Event, due time.Time) error {
	var seq int64
	err := tx.queryRowContext(ctx, `UPDATE organization_state SET event_sequence = event_sequence + 1
		WHERE organization_id = $1 RETURNING event_sequence`, tx.org).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("AppendEvent: organization %s has no state row", tx.org)
	} else if err != nil {
		return err
	}
	e.OrganizationID, e.Sequence = tx.org, seq
	if _, err = tx.execContext(ctx, `INSERT INTO events (organization_id, sequence, id, doc) VALUES ($1, $2, $3, $4)`,
		tx.org, seq, e.ID, mustJSON(e)); err != nil {
		return err
	}
	_, err = tx.execContext(ctx, `INSERT INTO webhook_deliveries
		(organization_id, webhook_id, event_sequence, state, next_attempt_time, created_time)
		SELECT organization_id, webhook_id, $3, 'pending', $4, $4 FROM webhook_events
		WHERE organization_id = $1 AND event_type = $2`,
		tx.org, e.Type, seq, due.UnixMicro())
	return err
}

// FindEvents returns the events after a sequence, in sequence order.
func (tx *Tx) FindEvents(ctx context.Context, after int64, limit int) ([]*fieldwork.Event, error) {
	return docs[fieldwork.Event](ctx, tx, `SELECT doc FROM events WHERE organization_id = $1 AND sequence > $2
		ORDER BY sequence`+limitOffset(limit, 0), tx.org, after)
}
