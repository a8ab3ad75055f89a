-- +goose Up
-- The PostgreSQL form of sqlite/migrations/0002_workflows.sql.
CREATE TABLE workflows (
    organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
    id              TEXT COLLATE "C" NOT NULL,
    name_lower      TEXT COLLATE "C" NOT NULL,
    created_by      TEXT COLLATE "C" NOT NULL,
    steps_count     INTEGER          NOT NULL,
    search_text     TEXT COLLATE "C" NOT NULL, -- lower(name) and each step's lower(flowName), newline-separated
    created_time    BIGINT           NOT NULL,
    doc             JSONB            NOT NULL,
    PRIMARY KEY (organization_id, id),
    CONSTRAINT workflows_name UNIQUE (organization_id, name_lower)
);
CREATE INDEX workflows_created ON workflows (organization_id, created_time, id);

-- One row per (workflow, step flow), to find the workflows that use a flow.
CREATE TABLE workflow_flows (
    organization_id TEXT COLLATE "C" NOT NULL,
    flow_id         TEXT COLLATE "C" NOT NULL,
    workflow_id     TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (organization_id, flow_id, workflow_id)
);

-- +goose Down
-- Forward-only.
