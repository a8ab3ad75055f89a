-- +goose Up
-- Idempotency keys (SPEC §1.9): one row per organization and key, written in the same
-- transaction as the objects its request created. key_hash identifies the client's key (never
-- stored), status is 0 until the request has its answer, body is that answer sealed with a
-- cipher key derived from the client's key (see fieldwork.IdempotencyRecord). A row older than
-- 24 h is dead: it is replaced when its key comes back, and may be deleted at any time.
CREATE TABLE idempotency_keys (
    organization_id TEXT    NOT NULL REFERENCES organizations (id),
    key_hash        TEXT    NOT NULL,
    fingerprint     TEXT    NOT NULL,
    status          INTEGER NOT NULL DEFAULT 0,
    body            BLOB,
    created_time    INTEGER NOT NULL,
    PRIMARY KEY (organization_id, key_hash)
);
-- To delete dead rows by age.
CREATE INDEX idempotency_keys_created ON idempotency_keys (organization_id, created_time);

-- +goose Down
-- Forward-only.
