-- +goose Up
-- The PostgreSQL form of sqlite/migrations/0008_step_indexes.sql: nothing to do. SQLite's
-- tasks_parent and tasks_workflow now end in (created_time, id), as PostgreSQL's have since
-- 0001; this file keeps the two engines' migration numbers equal.
SELECT 1;

-- +goose Down
-- Forward-only: migrations are never rolled back.
