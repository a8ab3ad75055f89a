-- +goose Up
-- Every table leads its primary key and indexes with organization_id (SPEC §10). Times are
-- stored as Unix microseconds (UTC); each object's full JSON form is kept in `doc`, and the
-- columns beside it exist to filter, sort and enforce uniqueness.

CREATE TABLE organizations (
    id           TEXT    NOT NULL PRIMARY KEY,
    name         TEXT    NOT NULL,
    created_time INTEGER NOT NULL
);

CREATE TABLE roles (
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    id              TEXT NOT NULL,
    name            TEXT NOT NULL,
    doc             TEXT NOT NULL,
    PRIMARY KEY (organization_id, id)
);

CREATE TABLE users (
    organization_id TEXT    NOT NULL REFERENCES organizations (id),
    id              TEXT    NOT NULL,
    email           TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    role_id         TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    hub_ids         TEXT    NOT NULL, -- ",id1,id2," for substring matching; "" = all hubs
    created_time    INTEGER NOT NULL,
    doc             TEXT    NOT NULL,
    PRIMARY KEY (organization_id, id),
    UNIQUE (organization_id, email)
);

CREATE TABLE tokens (
    organization_id TEXT    NOT NULL REFERENCES organizations (id),
    id              TEXT    NOT NULL,
    user_id         TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    hash            TEXT    NOT NULL,
    revoked         INTEGER NOT NULL DEFAULT 0,
    expires_at      INTEGER, -- NULL = never
    created_time    INTEGER NOT NULL,
    PRIMARY KEY (organization_id, id)
);
-- The one global lookup: a request's organization is known only once its token is.
CREATE UNIQUE INDEX tokens_hash ON tokens (hash);
CREATE INDEX tokens_user ON tokens (organization_id, user_id);

CREATE TABLE hubs (
    organization_id TEXT    NOT NULL REFERENCES organizations (id),
    id              TEXT    NOT NULL,
    name_lower      TEXT    NOT NULL,
    created_time    INTEGER NOT NULL,
    updated_time    INTEGER NOT NULL,
    doc             TEXT    NOT NULL,
    PRIMARY KEY (organization_id, id),
    UNIQUE (organization_id, name_lower)
);

CREATE TABLE flows (
    organization_id TEXT    NOT NULL REFERENCES organizations (id),
    id              TEXT    NOT NULL,
    name_lower      TEXT    NOT NULL,
    order_index     INTEGER NOT NULL,
    created_time    INTEGER NOT NULL,
    updated_time    INTEGER NOT NULL,
    doc             TEXT    NOT NULL,
    PRIMARY KEY (organization_id, id),
    UNIQUE (organization_id, name_lower)
);

CREATE TABLE tasks (
    organization_id   TEXT    NOT NULL REFERENCES organizations (id),
    id                TEXT    NOT NULL,
    flow              TEXT    NOT NULL,
    flow_id           TEXT,
    hub_id            TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    task_type         TEXT    NOT NULL,
    parent_id         TEXT,
    workflow_id       TEXT,
    routing_result_id TEXT,
    done_by           TEXT,
    search_text       TEXT    NOT NULL, -- lower(title || content || label), for q
    start_time        INTEGER NOT NULL, -- 0 = none
    end_time          INTEGER NOT NULL,
    done_time         INTEGER NOT NULL, -- 0 = not done
    created_time      INTEGER NOT NULL,
    updated_time      INTEGER NOT NULL,
    order_index       REAL    NOT NULL,
    doc               TEXT    NOT NULL,
    PRIMARY KEY (organization_id, id)
);
CREATE INDEX tasks_created ON tasks (organization_id, created_time, id);
CREATE INDEX tasks_updated ON tasks (organization_id, updated_time, id);
CREATE INDEX tasks_status_created ON tasks (organization_id, status, created_time, id);
CREATE INDEX tasks_start ON tasks (organization_id, start_time, id);
CREATE INDEX tasks_end ON tasks (organization_id, end_time, id);
CREATE INDEX tasks_done ON tasks (organization_id, done_time, id);
CREATE INDEX tasks_order ON tasks (organization_id, order_index, id);
CREATE INDEX tasks_parent ON tasks (organization_id, parent_id);
CREATE INDEX tasks_hub_created ON tasks (organization_id, hub_id, created_time, id);
CREATE INDEX tasks_flow_created ON tasks (organization_id, flow_id, created_time, id);
CREATE INDEX tasks_workflow ON tasks (organization_id, workflow_id);

CREATE TABLE task_assignees (
    organization_id TEXT NOT NULL,
    email           TEXT NOT NULL,
    task_id         TEXT NOT NULL,
    PRIMARY KEY (organization_id, email, task_id)
);
CREATE INDEX task_assignees_task ON task_assignees (organization_id, task_id);

CREATE TABLE task_histories (
    organization_id TEXT    NOT NULL,
    task_id         TEXT    NOT NULL,
    id              TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    doc             TEXT    NOT NULL,
    PRIMARY KEY (organization_id, task_id, id)
);

-- Per-organization counters that survive deletions (dataVersion of GET /tasks).
CREATE TABLE organization_state (
    organization_id  TEXT    NOT NULL PRIMARY KEY,
    task_data_version INTEGER NOT NULL DEFAULT 0
);

-- +goose Down
-- Forward-only: migrations are never rolled back.
