-- +goose Up
-- The PostgreSQL form of sqlite/migrations/0004_idempotency.sql: idempotency keys (SPEC §1.9),
-- one row per organization and key, written in the same transaction as the objects its request
-- created. key_hash identifies the client's key (never stored), status is 0 until the request
-- has its answer, body is that answer sealed with a cipher key derived from the client's key
-- (see fieldwork.IdempotencyRecord). A row older than 24 h is dead: it is replaced when its key
-- comes back, and may be deleted at any time.
--
-- The primary key is the claim: a second transaction inserting the same key waits on it until
-- the first ends, then fails (the store maps idempotency_keys_pkey to idem-032) or succeeds.
CREATE TABLE idempotency_keys (
    organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
    key_hash        TEXT COLLATE "C" NOT NULL,
    fingerprint     TEXT COLLATE "C" NOT NULL,
    status          INTEGER          NOT NULL DEFAULT 0,
    body            BYTEA,
    created_time    BIGINT           NOT NULL,
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (organization_id, key_hash)
);
-- To delete dead rows by age.
CREATE INDEX idempotency_keys_created ON idempotency_keys (organization_id, created_time);

-- +goose Down
-- Forward-only.
