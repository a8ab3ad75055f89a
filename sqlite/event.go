package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/fieldwork-dev/fieldwork"
)

// AppendEvent numbers the event with the organization's next sequence and stores it: one
// UPDATE … RETURNING of the organization's counter, one INSERT. SQLite runs one write
// transaction at a time, so numbers follow commit order.
func (tx *Tx) AppendEvent(ctx context.Context, e *fieldwork.Event) error {
	var seq int64
	err := tx.queryRowContext(ctx, `UPDATE organization_state SET event_sequence = event_sequence + 1
		WHERE organization_id = $1 RETURNING event_sequence`, tx.org).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("AppendEvent: organization %s has no state row", tx.org)
	} else if err != nil {
		return err
	}
	e.OrganizationID, e.Sequence = tx.org, seq
	_, err = tx.execContext(ctx, `INSERT INTO events (organization_id, sequence, id, doc) VALUES ($1, $2, $3, $4)`,
		tx.org, seq, e.ID, mustJSON(e))
	return err
}

// FindEvents returns the events after a sequence, in sequence order.
func (tx *Tx) FindEvents(ctx context.Context, after int64, limit int) ([]*fieldwork.Event, error) {
	return docs[fieldwork.Event](ctx, tx, `SELECT doc FROM events WHERE organization_id = $1 AND sequence > $2
		ORDER BY sequence`+limitOffset(limit, 0), tx.org, after)
}
