-- +goose Up
-- Webhooks and their deliveries (SPEC §9).
--
-- webhooks holds each endpoint; its signing secret sits in its own column, never in doc (doc is
-- what clients are shown). webhook_events lists the event types each webhook subscribes to, so
-- that fanning an event out is one indexed INSERT … SELECT in the event's transaction.
--
-- webhook_deliveries is the delivery queue: one row per event owed to a webhook, written in the
-- transaction that appended the event, so a committed change has its deliveries and a
-- rolled-back one none. A pending row is due at next_attempt_time; a claim moves that time to
-- the end of its lease (and writes its token in lease), so a claimed row is not due again until
-- the claimer has had time to finish, and is due again if the claimer died. Delivered and
-- failed rows stay (state says which) until an operator removes them (docs/operations.md).
--
-- webhook_attempts is the log of every attempt, as GET /webhook/{id}/deliveries shows it.
--
-- Every table leads its keys with organization_id. The exception is webhook_deliveries_due:
-- the dispatcher asks which organizations have due deliveries across all of them (then claims
-- each organization's in a transaction of that organization), and the queue depth metric
-- counts every organization's pending rows. Both indexes cover pending rows only.

CREATE TABLE webhooks (
    organization_id TEXT    NOT NULL REFERENCES organizations (id),
    id              TEXT    NOT NULL,
    secret          TEXT    NOT NULL DEFAULT '',
    created_time    INTEGER NOT NULL,
    doc             TEXT    NOT NULL,
    PRIMARY KEY (organization_id, id)
);

CREATE TABLE webhook_events (
    organization_id TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    webhook_id      TEXT NOT NULL,
    PRIMARY KEY (organization_id, event_type, webhook_id)
);

CREATE TABLE webhook_deliveries (
    organization_id    TEXT    NOT NULL,
    webhook_id         TEXT    NOT NULL,
    event_sequence     INTEGER NOT NULL,
    state              TEXT    NOT NULL, -- pending | delivered | failed
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_time  INTEGER NOT NULL, -- while claimed: the end of the lease
    first_attempt_time INTEGER NOT NULL DEFAULT 0, -- 0 = not attempted yet
    lease              TEXT    NOT NULL DEFAULT '', -- the token of the last claim
    created_time       INTEGER NOT NULL,
    PRIMARY KEY (organization_id, webhook_id, event_sequence)
);
CREATE INDEX webhook_deliveries_org_due ON webhook_deliveries (organization_id, next_attempt_time)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_time, organization_id)
    WHERE state = 'pending';

CREATE TABLE webhook_attempts (
    organization_id TEXT    NOT NULL,
    id              TEXT    NOT NULL,
    webhook_id      TEXT    NOT NULL,
    attempt_time    INTEGER NOT NULL,
    doc             TEXT    NOT NULL,
    PRIMARY KEY (organization_id, id)
);
CREATE INDEX webhook_attempts_webhook ON webhook_attempts (organization_id, webhook_id, attempt_time, id);

-- +goose Down
-- Forward-only: migrations are never rolled back.
