-- +goose Up
-- Activity lists sort by title and status (SPEC §7.5).
ALTER TABLE tasks ADD COLUMN title_sort TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX tasks_type_updated ON tasks (organization_id, task_type, updated_time, id);
CREATE INDEX tasks_title ON tasks (organization_id, title_sort, id);
CREATE INDEX tasks_status_id ON tasks (organization_id, status, id);

-- +goose Down
-- Forward-only.
