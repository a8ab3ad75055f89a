-- +goose Up
-- The PostgreSQL form of sqlite/migrations/0007_task_changes.sql (issue 6).
--
-- organization_state.task_changes counts every write of a task of the organization (create,
-- update, delete). It moves with each change, where task_data_version (Unix seconds) may not,
-- so the server can tell that nothing changed since it counted a list: the cached totals of
-- page-number lists are keyed by it.
ALTER TABLE organization_state ADD COLUMN task_changes BIGINT NOT NULL DEFAULT 0;

-- task_assignees.task_created_time is its task's createdTime, which never changes, so that the
-- tasks of an assignee can be read newest first from one index (GET /tasks?assignee=…, whose
-- default sort is createdTime) instead of probing the organization's tasks one by one (35 ms
-- at 1M tasks, docs/scaling.md).
ALTER TABLE task_assignees ADD COLUMN task_created_time BIGINT NOT NULL DEFAULT 0;
UPDATE task_assignees a SET task_created_time = t.created_time FROM tasks t
    WHERE t.organization_id = a.organization_id AND t.id = a.task_id;
CREATE INDEX task_assignees_created ON task_assignees (organization_id, email, task_created_time, task_id);

-- +goose Down
-- Forward-only: migrations are never rolled back.
