package fieldwork_test

import (
	"context"
	"testing"
	"time"

	"github.com/fieldwork-dev/fieldwork"
	"github.com/fieldwork-dev/fieldwork/internal/testdb"
)

// TestTaskListCountsFollowWrites: the page-number counts of GET /tasks are cached, yet follow
// every task write at once, even writes made straight through the store (no history, no
// event) within the same second, on every engine.
func TestTaskListCountsFollowWrites(t *testing.T) {
	for _, engine := range testdb.Engines() {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			st := testdb.Open(t, engine)
			svc := fieldwork.NewService(st)
			org, owner, _, err := svc.CreateOrganization(ctx, "Acme", "owner@acme.test", "")
			if err != nil {
				t.Fatal(err)
			}
			caller := &fieldwork.Caller{User: owner}
			now := time.Now()
			newTask := func() *fieldwork.Task {
				return &fieldwork.Task{ID: fieldwork.NewID(now), OrganizationID: org.ID, Flow: "Delivery",
					Status: fieldwork.StatusUnassigned, TaskType: fieldwork.TaskTypeTask, Assignee: []string{},
					CreatedFrom: "API", CreatedBy: owner.Email, UpdatedBy: owner.Email,
					CreatedTime: fieldwork.NewTime(now), UpdatedTime: fieldwork.NewTime(now), Version: 1}
			}
			write := func(fn func(tx fieldwork.Tx) error) {
				t.Helper()
				if err := st.Update(ctx, org.ID, fn); err != nil {
					t.Fatal(err)
				}
			}
			check := func(step string, total, done int) {
				t.Helper()
				for range 2 { // the second answer comes from the cache
					page, err := svc.FindTasks(ctx, caller, fieldwork.TaskFilter{Limit: 20}, false, "")
					if err != nil {
						t.Fatal(err)
					}
					if page.Counts.Total != total || page.Counts.Done != done {
						t.Fatalf("%s: total %d, done %d; want %d, %d", step, page.Counts.Total, page.Counts.Done, total, done)
					}
				}
			}
			tasks := []*fieldwork.Task{newTask(), newTask(), newTask()}
			write(func(tx fieldwork.Tx) error {
				for _, task := range tasks {
					if err := tx.CreateTask(ctx, task); err != nil {
						return err
					}
				}
				return nil
			})
			check("three tasks", 3, 0)
			write(func(tx fieldwork.Tx) error { return tx.CreateTask(ctx, newTask()) })
			check("a fourth", 4, 0)
			done := *tasks[0]
			done.Status = fieldwork.StatusDone
			write(func(tx fieldwork.Tx) error { return tx.UpdateTask(ctx, &done) })
			check("one done", 4, 1)
			write(func(tx fieldwork.Tx) error { return tx.DeleteTask(ctx, tasks[1].ID, now) })
			check("one deleted", 3, 1)
		})
	}
}
