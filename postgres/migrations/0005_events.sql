-- +goose Up
-- The transactional outbox (SPEC §8): one row per committed task change, written in the
-- change's transaction.
--
-- organization_state.event_sequence is the organization's last event number. A writer raises
-- it with UPDATE … RETURNING: the row lock that takes is held until commit, so the writers of
-- one organization are numbered in commit order and a reader never sees n+1 before n; a
-- rolled-back writer leaves no gap. No sequence or serial (they are neither per organization
-- nor gap-free, and stay off distributed engines: docs/scaling.md).
--
-- doc is JSON, not JSONB: an event is written once and read whole, never queried inside, so
-- the cheaper type that keeps the text as written serves.
ALTER TABLE organization_state ADD COLUMN event_sequence BIGINT NOT NULL DEFAULT 0;

CREATE TABLE events (
    organization_id TEXT COLLATE "C" NOT NULL,
    sequence        BIGINT           NOT NULL,
    id              TEXT COLLATE "C" NOT NULL,
    doc             JSON             NOT NULL,
    PRIMARY KEY (organization_id, sequence)
);

-- +goose Down
-- Forward-only: migrations are never rolled back.
