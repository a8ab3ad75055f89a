package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldwork-dev/fieldwork"
)

// engines are SQLite, and PostgreSQL when FIELDWORK_TEST_POSTGRES names one (make test
// starts one; under CI=true its absence fails).
func engines(t *testing.T) []string {
	if os.Getenv("FIELDWORK_TEST_POSTGRES") != "" {
		return []string{"sqlite", "postgres"}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("CI=true but FIELDWORK_TEST_POSTGRES is not set")
	}
	return []string{"sqlite"}
}

// TestSmoke runs every phase of the tool on tiny sizes and durations: it proves the tool runs
// end to end on each engine (the real binary, the fixture, the captured ceilings, the seeding,
// every scenario without a failed operation, the report), not what the figures are.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server")
	}
	cfg := &config{engines: engines(t), pgDSN: os.Getenv("FIELDWORK_TEST_POSTGRES"), duration: 100 * time.Millisecond,
		warmup: 30 * time.Millisecond, runs: 1, concurrency: 4, small: 400, large: 2000, others: 1, othersSize: 400,
		log: io.Discard, command: "go test ./cmd/fieldwork-bench"}
	if testing.Verbose() {
		cfg.log = os.Stderr
	}
	rep, err := measureAll(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	per := map[string]int{}
	for _, res := range rep.results {
		per[res.engine]++
		if res.failed > 0 || len(res.sat) != 1 || res.sat[0] <= 0 || res.rss <= 0 {
			t.Errorf("%s %s %s: %d failed (first: %v), throughput %v, RSS %d", res.engine, res.phase, res.name, res.failed,
				res.firstErr, res.sat, res.rss)
		}
		if strings.HasPrefix(res.name, "create") || strings.HasPrefix(res.name, "complete") {
			if len(res.ceil) != 1 || res.ceil[0] <= 0 {
				t.Errorf("%s %s: no ceiling measured", res.engine, res.name)
			}
		}
	}
	// 6 write and read scenarios (the request floor included), then 11 list scenarios at each
	// of the two sizes.
	for _, e := range cfg.engines {
		if per[e] != 6+2*11 {
			t.Errorf("%s: %d scenarios measured, want %d", e, per[e], 6+2*11)
		}
	}
	md := rep.markdown()
	for _, want := range []string{"| create activity, 10 steps |", "cost at 2k relative to 400 tasks", "API / ceiling", "(floor bound "} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	path := t.TempDir() + "/benchmarks.md"
	if err := os.WriteFile(path, []byte("# Benchmarks\n\nprose\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second write replaces the first section
		if err := writeSection(path, md); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(path)
	if strings.Count(string(b), beginMarker) != 1 || !strings.HasPrefix(string(b), "# Benchmarks\n\nprose\n") {
		t.Errorf("written file:\n%s", b)
	}
}

// TestSeedRowsMatchStore: a seeded row and its assignee rows are exactly what the store
// writes for the same task (every column, the document byte for byte).
func TestSeedRowsMatchStore(t *testing.T) {
	for _, engine := range engines(t) {
		t.Run(engine, func(t *testing.T) {
			ctx := t.Context()
			db, err := openDatabase(ctx, engine, t.TempDir(), os.Getenv("FIELDWORK_TEST_POSTGRES"), false)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(db.drop)
			st, err := db.openStore(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			org, _, _, err := fieldwork.NewService(st).CreateOrganization(ctx, "Seeds", "owner@seeds.test", "")
			if err != nil {
				t.Fatal(err)
			}
			tm := testTemplates()
			for _, task := range tm.group(org.ID, 0) {
				if err := st.Update(ctx, org.ID, func(tx fieldwork.Tx) error { return tx.CreateTask(ctx, task) }); err != nil {
					t.Fatal(err)
				}
				byStore, err := readTask(ctx, db, org.ID, task.ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, q := range []string{`DELETE FROM tasks WHERE id = $1`, `DELETE FROM task_assignees WHERE task_id = $1`} {
					if err := db.raw.exec(ctx, q, task.ID); err != nil {
						t.Fatal(err)
					}
				}
				if err := writeRows(ctx, db, [][]any{seedRow(engine, task)}, assigneeRows(task)); err != nil {
					t.Fatal(err)
				}
				bySeed, err := readTask(ctx, db, org.ID, task.ID)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(fmt.Sprintf("%+v", *byStore), fmt.Sprintf("%+v", *bySeed)); diff != "" {
					t.Errorf("%s %s: seeded row differs from the store's (-store +seed):\n%s", task.TaskType, task.Status, diff)
				}
			}
		})
	}
}

// testTemplates are templates like the ones the API makes, with workers to assign.
func testTemplates() *seedTemplates {
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	flowID, wfID := fieldwork.NewID(now), fieldwork.NewID(now)
	hub := &fieldwork.HubRef{ID: fieldwork.NewID(now), Name: "Jakarta"}
	values := map[string]json.RawMessage{"recipientName": json.RawMessage(`"Ana"`), "parcelCount": json.RawMessage(`2`)}
	base := fieldwork.Task{Flow: "Drop 1", FlowID: &flowID, HubID: hub.ID, Hub: hub, Status: fieldwork.StatusUnassigned,
		TaskType: fieldwork.TaskTypeTask, Assignee: []string{}, CreatedFrom: "API", CreatedBy: "owner@seeds.test",
		UpdatedBy: "owner@seeds.test", Version: 1, Values: values}
	child := base
	child.TaskType, child.WorkflowID, child.StepOrder = fieldwork.TaskTypeActivityChild, &wfID, ptr(0)
	master := base
	master.Flow, master.FlowID, master.TaskType, master.WorkflowID = fieldwork.ActivityFlowName, nil, fieldwork.TaskTypeActivityMaster, &wfID
	master.Title, master.Values = ptr("Pickup and delivery"), nil
	tm := &seedTemplates{master: &master, child: &child, plain: &base, users: map[string]*fieldwork.User{}, origin: now}
	for i := range workers {
		e := workerEmail(i)
		tm.users[e] = &fieldwork.User{ID: fieldwork.NewID(now), Name: e, Email: e, HubID: []string{}, RoleID: fieldwork.NewID(now)}
	}
	return tm
}
