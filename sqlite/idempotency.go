package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/fieldwork-dev/fieldwork"
)

// errIdempotencyNotFound never reaches a client: the service looks keys up itself.
var errIdempotencyNotFound = fieldwork.NotFound("req-033", fieldwork.MsgNotFound)

// FindIdempotencyKey returns the record of a key, expired or not.
func (tx *Tx) FindIdempotencyKey(ctx context.Context, keyHash string) (*fieldwork.IdempotencyRecord, error) {
	r := fieldwork.IdempotencyRecord{KeyHash: keyHash}
	var created int64
	err := tx.tx.QueryRowContext(ctx, `SELECT fingerprint, status, body, created_time FROM idempotency_keys WHERE organization_id = $1 AND key_hash = $2`,
		tx.org, keyHash).Scan(&r.Fingerprint, &r.Status, &r.Body, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errIdempotencyNotFound
	} else if err != nil {
		return nil, err
	}
	r.CreatedTime = fromMicro(created)
	return &r, nil
}

// CreateIdempotencyKey claims a key; a held key is idem-032. (Write transactions are
// serialized on one connection, so a concurrent claim cannot even start before this
// transaction ends.)
func (tx *Tx) CreateIdempotencyKey(ctx context.Context, r *fieldwork.IdempotencyRecord) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO idempotency_keys (organization_id, key_hash, fingerprint, status, body, created_time) VALUES ($1, $2, $3, $4, $5, $6)`,
		tx.org, r.KeyHash, r.Fingerprint, r.Status, r.Body, r.CreatedTime.UnixMicro())
	if isUnique(err) {
		return fieldwork.ErrIdempotencyInProgress()
	}
	return err
}

// CompleteIdempotencyKey stores the answer of the request that claimed the key.
func (tx *Tx) CompleteIdempotencyKey(ctx context.Context, keyHash string, status int, body []byte) error {
	return tx.exec(ctx, errIdempotencyNotFound, `UPDATE idempotency_keys SET status = $3, body = $4 WHERE organization_id = $1 AND key_hash = $2`,
		tx.org, keyHash, status, body)
}

// DeleteIdempotencyKey removes the key's record if it was created before createdBefore.
func (tx *Tx) DeleteIdempotencyKey(ctx context.Context, keyHash string, createdBefore time.Time) error {
	return tx.exec(ctx, nil, `DELETE FROM idempotency_keys WHERE organization_id = $1 AND key_hash = $2 AND created_time < $3`,
		tx.org, keyHash, createdBefore.UnixMicro())
}
