-- +goose Up
-- The PostgreSQL form of sqlite/migrations/0001_init.sql: the same tables, columns and keys.
--
-- Every table leads its primary key and indexes with organization_id (SPEC §10), so the schema
-- can be distributed by organization (Citus: organizations by id, every other table by
-- organization_id). Times are BIGINT Unix microseconds (UTC), 0 where unset; each object's full
-- JSON form is kept in `doc`, and the columns beside it exist to filter, sort and enforce
-- uniqueness. No sequences: every id is made by the application.
--
-- `doc` is JSONB, so that flow values inside tasks can be queried and indexed. JSONB keeps the
-- meaning of a document, not its spelling (object keys come back sorted by length, then bytes),
-- so flows.doc is JSON, an exact copy of the text: the Store contract keeps the spelling of a
-- flow's raw configurations and component options, which clients wrote and read back.
--
-- Every text column is COLLATE "C": comparisons, sorts, the keyset cursor and lower() then
-- behave as in SQLite (byte order of UTF-8, lower() of ASCII letters only), whatever the
-- database's default collation is.
--
-- Unique constraints are named: the store maps a unique violation to the domain error by the
-- name of the constraint (hubs_name → hub-034, …).

CREATE TABLE organizations (
    id           TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    name         TEXT COLLATE "C" NOT NULL,
    created_time BIGINT           NOT NULL
);

CREATE TABLE roles (
    organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
    id              TEXT COLLATE "C" NOT NULL,
    name            TEXT COLLATE "C" NOT NULL,
    doc             JSONB            NOT NULL,
    PRIMARY KEY (organization_id, id)
);

CREATE TABLE users (
    organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
    id              TEXT COLLATE "C" NOT NULL,
    email           TEXT COLLATE "C" NOT NULL,
    name            TEXT COLLATE "C" NOT NULL,
    role_id         TEXT COLLATE "C" NOT NULL,
    status          TEXT COLLATE "C" NOT NULL,
    hub_ids         TEXT COLLATE "C" NOT NULL, -- ",id1,id2," for substring matching; "" = all hubs
    created_time    BIGINT           NOT NULL,
    doc             JSONB            NOT NULL,
    PRIMARY KEY (organization_id, id),
    CONSTRAINT users_email UNIQUE (organization_id, email)
);

CREATE TABLE tokens (
    organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
    id              TEXT COLLATE "C" NOT NULL,
    user_id         TEXT COLLATE "C" NOT NULL,
    name            TEXT COLLATE "C" NOT NULL,
    hash            TEXT COLLATE "C" NOT NULL,
    revoked         BOOLEAN          NOT NULL DEFAULT false,
    expires_at      BIGINT, -- NULL = never
    created_time    BIGINT           NOT NULL,
    PRIMARY KEY (organization_id, id)
);
-- The one global lookup: a request's organization is known only once its token is.
CREATE UNIQUE INDEX tokens_hash ON tokens (hash);
CREATE INDEX tokens_user ON tokens (organization_id, user_id);

CREATE TABLE hubs (
    organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
    id              TEXT COLLATE "C" NOT NULL,
    name_lower      TEXT COLLATE "C" NOT NULL,
    created_time    BIGINT           NOT NULL,
    updated_time    BIGINT           NOT NULL,
    doc             JSONB            NOT NULL,
    PRIMARY KEY (organization_id, id),
    CONSTRAINT hubs_name UNIQUE (organization_id, name_lower)
);

CREATE TABLE flows (
    organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
    id              TEXT COLLATE "C" NOT NULL,
    name_lower      TEXT COLLATE "C" NOT NULL,
    order_index     BIGINT           NOT NULL,
    created_time    BIGINT           NOT NULL,
    updated_time    BIGINT           NOT NULL,
    doc             JSON             NOT NULL, -- JSON, not JSONB: see above
    PRIMARY KEY (organization_id, id),
    CONSTRAINT flows_name UNIQUE (organization_id, name_lower)
);

CREATE TABLE tasks (
    organization_id   TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
    id                TEXT COLLATE "C" NOT NULL,
    flow              TEXT COLLATE "C" NOT NULL,
    flow_id           TEXT COLLATE "C",
    hub_id            TEXT COLLATE "C" NOT NULL,
    status            TEXT COLLATE "C" NOT NULL,
    task_type         TEXT COLLATE "C" NOT NULL,
    parent_id         TEXT COLLATE "C",
    workflow_id       TEXT COLLATE "C",
    routing_result_id TEXT COLLATE "C",
    done_by           TEXT COLLATE "C",
    search_text       TEXT COLLATE "C" NOT NULL, -- lower(title || content || label), for q
    start_time        BIGINT           NOT NULL, -- 0 = none
    end_time          BIGINT           NOT NULL,
    done_time         BIGINT           NOT NULL, -- 0 = not done
    created_time      BIGINT           NOT NULL,
    updated_time      BIGINT           NOT NULL,
    order_index       DOUBLE PRECISION NOT NULL,
    doc               JSONB            NOT NULL,
    PRIMARY KEY (organization_id, id)
);
-- One index per sort key, ending in id for the keyset cursor; the filters of GET /tasks that
-- narrow the most lead the others (SPEC §5.3).
CREATE INDEX tasks_created ON tasks (organization_id, created_time, id);
CREATE INDEX tasks_updated ON tasks (organization_id, updated_time, id);
CREATE INDEX tasks_status_created ON tasks (organization_id, status, created_time, id);
CREATE INDEX tasks_start ON tasks (organization_id, start_time, id);
CREATE INDEX tasks_end ON tasks (organization_id, end_time, id);
CREATE INDEX tasks_done ON tasks (organization_id, done_time, id);
CREATE INDEX tasks_order ON tasks (organization_id, order_index, id);
CREATE INDEX tasks_parent ON tasks (organization_id, parent_id, created_time, id);
CREATE INDEX tasks_hub_created ON tasks (organization_id, hub_id, created_time, id);
CREATE INDEX tasks_flow_created ON tasks (organization_id, flow_id, created_time, id);
CREATE INDEX tasks_workflow ON tasks (organization_id, workflow_id, created_time, id);
-- Beyond SQLite's: the flow-name and doneBy filters.
CREATE INDEX tasks_flow_name_created ON tasks (organization_id, flow, created_time, id);
CREATE INDEX tasks_done_by ON tasks (organization_id, done_by);

CREATE TABLE task_assignees (
    organization_id TEXT COLLATE "C" NOT NULL,
    email           TEXT COLLATE "C" NOT NULL,
    task_id         TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (organization_id, email, task_id)
);
CREATE INDEX task_assignees_task ON task_assignees (organization_id, task_id);

CREATE TABLE task_histories (
    organization_id TEXT COLLATE "C" NOT NULL,
    task_id         TEXT COLLATE "C" NOT NULL,
    id              TEXT COLLATE "C" NOT NULL,
    created_at      BIGINT           NOT NULL,
    doc             JSONB            NOT NULL,
    PRIMARY KEY (organization_id, task_id, id)
);

-- Per-organization counters that survive deletions (dataVersion of GET /tasks).
CREATE TABLE organization_state (
    organization_id   TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    task_data_version BIGINT           NOT NULL DEFAULT 0
);

-- +goose Down
-- Forward-only: migrations are never rolled back.
