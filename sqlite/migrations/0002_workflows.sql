-- +goose Up
CREATE TABLE workflows (
    organization_id TEXT    NOT NULL REFERENCES organizations (id),
    id              TEXT    NOT NULL,
    name_lower      TEXT    NOT NULL,
    created_by      TEXT    NOT NULL,
    steps_count     INTEGER NOT NULL,
    search_text     TEXT    NOT NULL, -- lower(name) and each step's lower(flowName), newline-separated
    created_time    INTEGER NOT NULL,
    doc             TEXT    NOT NULL,
    PRIMARY KEY (organization_id, id),
    UNIQUE (organization_id, name_lower)
);
CREATE INDEX workflows_created ON workflows (organization_id, created_time, id);

-- One row per (workflow, step flow), to find the workflows that use a flow.
CREATE TABLE workflow_flows (
    organization_id TEXT NOT NULL,
    flow_id         TEXT NOT NULL,
    workflow_id     TEXT NOT NULL,
    PRIMARY KEY (organization_id, flow_id, workflow_id)
);

-- +goose Down
-- Forward-only.
