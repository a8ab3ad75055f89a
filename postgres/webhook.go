package postgres

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fieldwork-dev/fieldwork"
)

var (
	errWebhookNotFound = fieldwork.NotFound("webhk-033", fieldwork.MsgNotFound)
	// errEventNotFound never reaches a client: the service gives such a delivery up.
	errEventNotFound = fieldwork.NotFound("event-032", fieldwork.MsgNotFound)
)

// codeWebhookInvalid is the failedCode of a webhook PostgreSQL cannot store (see storable).
const codeWebhookInvalid = "webhk-032"

// FindWebhooks returns the organization's webhooks, oldest first.
func (tx *Tx) FindWebhooks(ctx context.Context) ([]*fieldwork.Webhook, error) {
	rows, err := tx.tx.Query(ctx, `SELECT secret, doc FROM webhooks WHERE organization_id = $1
		ORDER BY created_time, id`, tx.org)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*fieldwork.Webhook
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// FindWebhookByID returns one webhook.
func (tx *Tx) FindWebhookByID(ctx context.Context, id fieldwork.ID) (*fieldwork.Webhook, error) {
	w, err := scanWebhook(tx.tx.QueryRow(ctx, `SELECT secret, doc FROM webhooks WHERE organization_id = $1 AND id = $2`, tx.org, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errWebhookNotFound
	}
	return w, err
}

func scanWebhook(row pgx.Row) (*fieldwork.Webhook, error) {
	var secret string
	var doc []byte
	if err := row.Scan(&secret, &doc); err != nil {
		return nil, err
	}
	var w fieldwork.Webhook
	if err := decode(doc, &w); err != nil {
		return nil, err
	}
	w.Secret = secret
	return &w, nil
}

// CreateWebhook inserts a webhook and its subscriptions.
func (tx *Tx) CreateWebhook(ctx context.Context, w *fieldwork.Webhook) error {
	if _, err := tx.tx.Exec(ctx, `INSERT INTO webhooks (organization_id, id, secret, created_time, doc) VALUES ($1, $2, $3, $4, $5)`,
		tx.org, w.ID, w.Secret, w.CreatedTime.UnixMicro(), mustJSON(w)); err != nil {
		return storable(err, codeWebhookInvalid)
	}
	return tx.subscribe(ctx, w)
}

// UpdateWebhook replaces a webhook and its subscriptions.
func (tx *Tx) UpdateWebhook(ctx context.Context, w *fieldwork.Webhook) error {
	if err := tx.exec(ctx, errWebhookNotFound, `UPDATE webhooks SET secret = $3, doc = $4 WHERE organization_id = $1 AND id = $2`,
		tx.org, w.ID, w.Secret, mustJSON(w)); err != nil {
		return storable(err, codeWebhookInvalid)
	}
	if err := tx.exec(ctx, nil, `DELETE FROM webhook_events WHERE organization_id = $1 AND webhook_id = $2`, tx.org, w.ID); err != nil {
		return err
	}
	return tx.subscribe(ctx, w)
}

func (tx *Tx) subscribe(ctx context.Context, w *fieldwork.Webhook) error {
	if len(w.Events) == 0 {
		return nil
	}
	return tx.exec(ctx, nil, `INSERT INTO webhook_events (organization_id, event_type, webhook_id)
		SELECT $1, t, $3 FROM unnest($2::text[]) AS t ON CONFLICT DO NOTHING`, tx.org, w.Events, w.ID)
}

// DeleteWebhook removes a webhook, its subscriptions, its deliveries and its attempt log.
func (tx *Tx) DeleteWebhook(ctx context.Context, id fieldwork.ID) error {
	if err := tx.exec(ctx, errWebhookNotFound, `DELETE FROM webhooks WHERE organization_id = $1 AND id = $2`, tx.org, id); err != nil {
		return err
	}
	for _, table := range []string{"webhook_events", "webhook_deliveries", "webhook_attempts"} {
		if err := tx.exec(ctx, nil, `DELETE FROM `+table+` WHERE organization_id = $1 AND webhook_id = $2`, tx.org, id); err != nil {
			return err
		}
	}
	return nil
}

// deliveryColumns are the columns scanDelivery reads.
const deliveryColumns = `webhook_id, event_sequence, state, attempts, next_attempt_time, first_attempt_time, created_time`

func scanDelivery(row pgx.Row) (*fieldwork.Delivery, error) {
	var d fieldwork.Delivery
	var next, first, created int64
	if err := row.Scan(&d.WebhookID, &d.EventSequence, &d.State, &d.Attempts, &next, &first, &created); err != nil {
		return nil, err
	}
	d.NextAttemptTime, d.CreatedTime = fromMicro(next), fromMicro(created)
	if first != 0 {
		d.FirstAttemptTime = fromMicro(first)
	}
	return &d, nil
}

// ClaimDeliveries locks the due deliveries with SELECT … FOR UPDATE SKIP LOCKED and moves them
// to the end of the lease in the same statement. A concurrent claim (another instance) skips
// the rows this one has locked instead of waiting for them; once this one commits, they are no
// longer due, and PostgreSQL re-checks that condition on any row it locks after the commit.
func (tx *Tx) ClaimDeliveries(ctx context.Context, now, leaseUntil time.Time, lease string, limit int) ([]*fieldwork.Delivery, error) {
	rows, err := tx.tx.Query(ctx, `UPDATE webhook_deliveries d SET next_attempt_time = $3, lease = $4
		FROM (SELECT webhook_id, event_sequence FROM webhook_deliveries
			WHERE organization_id = $1 AND state = 'pending' AND next_attempt_time <= $2
			ORDER BY next_attempt_time, event_sequence LIMIT $5
			FOR UPDATE SKIP LOCKED) due
		WHERE d.organization_id = $1 AND d.webhook_id = due.webhook_id AND d.event_sequence = due.event_sequence
		RETURNING d.webhook_id, d.event_sequence, d.state, d.attempts, d.next_attempt_time, d.first_attempt_time, d.created_time`,
		tx.org, now.UnixMicro(), leaseUntil.UnixMicro(), lease, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*fieldwork.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// RETURNING promises no order: event order, as SQLite's store gives.
	slices.SortFunc(out, func(a, b *fieldwork.Delivery) int {
		return cmp.Or(cmp.Compare(a.EventSequence, b.EventSequence), cmp.Compare(a.WebhookID, b.WebhookID))
	})
	return out, nil
}

// CompleteDelivery stores the delivery's state after an attempt and logs the attempt, if the
// lease still holds it.
func (tx *Tx) CompleteDelivery(ctx context.Context, d *fieldwork.Delivery, lease string, a *fieldwork.DeliveryAttempt) error {
	first := int64(0)
	if !d.FirstAttemptTime.IsZero() {
		first = d.FirstAttemptTime.UnixMicro()
	}
	if err := tx.exec(ctx, fieldwork.ErrDeliveryNotHeld(), `UPDATE webhook_deliveries
		SET state = $5, attempts = $6, next_attempt_time = $7, first_attempt_time = $8, lease = ''
		WHERE organization_id = $1 AND webhook_id = $2 AND event_sequence = $3 AND lease = $4`,
		tx.org, d.WebhookID, d.EventSequence, lease, d.State, d.Attempts, d.NextAttemptTime.UnixMicro(), first); err != nil {
		return err
	}
	_, err := tx.tx.Exec(ctx, `INSERT INTO webhook_attempts (organization_id, id, webhook_id, attempt_time, doc) VALUES ($1, $2, $3, $4, $5)`,
		tx.org, a.ID, a.WebhookID, a.AttemptTime.UnixMicro(), mustJSON(a))
	return storable(err, codeWebhookInvalid)
}

// ReleaseDelivery makes a claimed delivery due at due, if the lease still holds it.
func (tx *Tx) ReleaseDelivery(ctx context.Context, d *fieldwork.Delivery, lease string, due time.Time) error {
	return tx.exec(ctx, nil, `UPDATE webhook_deliveries SET next_attempt_time = $5, lease = ''
		WHERE organization_id = $1 AND webhook_id = $2 AND event_sequence = $3 AND lease = $4 AND state = 'pending'`,
		tx.org, d.WebhookID, d.EventSequence, lease, due.UnixMicro())
}

// FindEvent returns the event with that sequence.
func (tx *Tx) FindEvent(ctx context.Context, sequence int64) (*fieldwork.Event, error) {
	if err := tx.flush(ctx); err != nil {
		return nil, err
	}
	var e fieldwork.Event
	if err := tx.getDoc(ctx, errEventNotFound, &e, `SELECT doc FROM events WHERE organization_id = $1 AND sequence = $2`, tx.org, sequence); err != nil {
		return nil, err
	}
	return &e, nil
}

// FindDeliveryAttempts returns a webhook's attempts, newest first, and how many there are.
func (tx *Tx) FindDeliveryAttempts(ctx context.Context, webhookID fieldwork.ID, offset, limit int) ([]*fieldwork.DeliveryAttempt, int, error) {
	total, err := tx.count(ctx, `SELECT count(*) FROM webhook_attempts WHERE organization_id = $1 AND webhook_id = $2`, tx.org, webhookID)
	if err != nil {
		return nil, 0, err
	}
	attempts, err := docs[fieldwork.DeliveryAttempt](ctx, tx, `SELECT doc FROM webhook_attempts WHERE organization_id = $1 AND webhook_id = $2
		ORDER BY attempt_time DESC, id DESC`+limitOffset(limit, offset), tx.org, webhookID)
	return attempts, total, err
}

// FindDueDeliveryOrganizations returns the organizations with deliveries due at now, the
// longest overdue first. It is one of the store's documented global queries: a plain read of
// every organization's queue (the partial index webhook_deliveries_due), without locks; the
// deliveries are then claimed in a transaction of each organization. limit bounds the rows
// read, so one organization's backlog may fill them: it is claimed first, then the next.
func (s *Store) FindDueDeliveryOrganizations(ctx context.Context, now time.Time, limit int) ([]fieldwork.ID, error) {
	rows, err := s.pool.Query(ctx, `SELECT organization_id FROM webhook_deliveries
		WHERE state = 'pending' AND next_attempt_time <= $1 ORDER BY next_attempt_time LIMIT $2`, now.UnixMicro(), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []fieldwork.ID
	for rows.Next() {
		var id fieldwork.ID
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, rows.Err()
}

// CountPendingDeliveries counts every organization's pending deliveries (a documented global
// query, for the queue depth metric).
func (s *Store) CountPendingDeliveries(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'`).Scan(&n)
	return n, err
}
