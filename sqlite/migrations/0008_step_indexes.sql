-- +goose Up
-- An activity's steps (parentId) and a workflow's tasks, in creation order from one index, as on
-- PostgreSQL (whose 0001 already ends these indexes in created_time, id): without created_time
-- in them SQLite preferred to walk the organization's creation-time index to the few matching
-- rows (every row of the organization for a list of an activity's two steps at 1M tasks:
-- 1.3 pages/s, cmd/fieldwork-bench).
DROP INDEX tasks_parent;
CREATE INDEX tasks_parent ON tasks (organization_id, parent_id, created_time, id);
DROP INDEX tasks_workflow;
CREATE INDEX tasks_workflow ON tasks (organization_id, workflow_id, created_time, id);

-- +goose Down
-- Forward-only: migrations are never rolled back.
