-- +goose Up
-- The transactional outbox (SPEC §8): one row per committed task change, written in the
-- change's transaction. organization_state.event_sequence is the organization's last event
-- number; a writer raises it with UPDATE … RETURNING, which in SQLite is serialized with every
-- other write anyway. No AUTOINCREMENT: numbers are per organization and gap-free.
ALTER TABLE organization_state ADD COLUMN event_sequence INTEGER NOT NULL DEFAULT 0;

CREATE TABLE events (
    organization_id TEXT    NOT NULL,
    sequence        INTEGER NOT NULL,
    id              TEXT    NOT NULL,
    doc             TEXT    NOT NULL,
    PRIMARY KEY (organization_id, sequence)
);

-- +goose Down
-- Forward-only: migrations are never rolled back.
