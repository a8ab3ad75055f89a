package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fieldwork-dev/fieldwork"
)

// Seeding writes many tasks straight through SQL, for speed, but each row exactly as the
// stores write it: the document is the stored form of a fieldwork.Task (Task.EncodeStored),
// cloned from tasks the API created, and every column is derived from the task as the stores'
// taskArgs derive it (TestSeedRowsMatchStore compares the two). No histories or events are
// written (the API reads neither for lists).
//
// The shape, by row number i (0 = newest): groups of four rows, an activity master with its two
// steps and one plain task; created every 30 s going back in time from the seeding's start (1M
// rows span 347 days); steps and plain tasks UNASSIGNED, ONGOING, DONE in turn; assigned ones
// spread over the 100 workers; the master's derived keys by the roll-up of its steps.

const seedInterval = 30 * time.Second

// seedTemplates are the tasks the seeded ones are cloned from.
type seedTemplates struct {
	master, child, plain *fieldwork.Task
	users                map[string]*fieldwork.User // by email
	origin               time.Time                  // the creation time of row 0
}

// loadTemplates creates an activity and a plain task through the API, reads their stored
// documents, and lists the workers.
func loadTemplates(ctx context.Context, c *client, db *database, fx *fixture, org string) (*seedTemplates, error) {
	masterID, subIDs, err := createActivity(ctx, c, fx.activityBody(2))
	if err != nil {
		return nil, err
	}
	raw, err := c.do(ctx, "POST", "/task", fx.taskBody(), 201, true)
	if err != nil {
		return nil, err
	}
	var created struct {
		Task struct {
			ID string `json:"_id"`
		} `json:"task"`
	}
	if err := json.Unmarshal(raw, &created); err != nil {
		return nil, err
	}
	tm := &seedTemplates{users: map[string]*fieldwork.User{}, origin: time.Now().UTC().Truncate(time.Second)}
	for _, x := range []struct {
		id  string
		dst **fieldwork.Task
	}{{masterID, &tm.master}, {subIDs[0], &tm.child}, {created.Task.ID, &tm.plain}} {
		var doc string
		if err := db.raw.queryRow(ctx, []any{&doc}, `SELECT `+docExpr(db.engine, "doc")+` FROM tasks WHERE organization_id = $1 AND id = $2`,
			org, x.id); err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, []byte(doc)); err != nil {
			return nil, err
		}
		*x.dst = new(fieldwork.Task)
		if err := json.Unmarshal(buf.Bytes(), *x.dst); err != nil {
			return nil, err
		}
	}
	raw, err = c.do(ctx, "GET", "/users?limit=1000", nil, 200, true)
	if err != nil {
		return nil, err
	}
	var users struct {
		Data []*fieldwork.User `json:"data"`
	}
	if err := json.Unmarshal(raw, &users); err != nil {
		return nil, err
	}
	for _, u := range users.Data {
		tm.users[u.Email] = u
	}
	if len(tm.users) < workers {
		return nil, fmt.Errorf("templates: %d users listed, want at least %d", len(tm.users), workers)
	}
	return tm, nil
}

// clone copies a task deeply enough for group to change it: its value maps are copied, the
// values themselves and the hub and workflow it points to are shared, never changed.
func clone(t *fieldwork.Task) *fieldwork.Task {
	out := *t
	out.Values, out.Mapped = maps.Clone(t.Values), maps.Clone(t.Mapped)
	out.Assignee = slices.Clone(t.Assignee)
	return &out
}

// group builds the four tasks of group g of organization org (rows 4g … 4g+3).
func (tm *seedTemplates) group(org string, g int) []*fieldwork.Task {
	var out []*fieldwork.Task
	i := 4 * g
	at := func(i int) time.Time { return tm.origin.Add(-time.Duration(i) * seedInterval) }
	master := clone(tm.master)
	master.OrganizationID = org
	master.ID = fieldwork.NewID(at(i))
	master.CreatedTime, master.UpdatedTime = fieldwork.NewTime(at(i)), fieldwork.NewTime(at(i))
	master.OrderIndex = float64(at(i).UnixMicro() / 10)
	master.SubID = nil
	var children []*fieldwork.Task
	for k := 1; k <= 3; k++ {
		tpl := tm.child
		if k == 3 {
			tpl = tm.plain
		}
		t := clone(tpl)
		n := i + k
		now := at(n)
		t.OrganizationID = org
		t.ID = fieldwork.NewID(now)
		t.CreatedTime, t.UpdatedTime = fieldwork.NewTime(now), fieldwork.NewTime(now)
		t.OrderIndex = float64(now.UnixMicro() / 10)
		t.StartTime, t.EndTime = fieldwork.NewTime(now.Add(2*time.Hour)), fieldwork.NewTime(now.Add(10*time.Hour))
		title := fmt.Sprintf("Recipient %d", n)
		t.Title = &title
		t.Values["recipientName"] = json.RawMessage(fmt.Sprintf("%q", title))
		switch n % 3 {
		case 1, 2: // ONGOING, DONE
			u := tm.users[workerEmail(int(hash(org, n)%workers))]
			t.Status = fieldwork.StatusOngoing
			t.Assignee = []string{u.Email}
			t.AssignedTo = &fieldwork.AssignedTo{ID: u.ID, Name: u.Name, Email: u.Email, HubID: u.HubID, RoleID: u.RoleID}
			t.AssignedBy = ptr("owner@bench.test")
			t.AssignedTime = fieldwork.NewTime(now.Add(time.Minute))
			if n%3 == 2 {
				t.Status = fieldwork.StatusDone
				t.DoneBy, t.DoneFrom = ptr(u.Email), ptr("MOBILE")
				t.DoneTime = fieldwork.NewTime(now.Add(3 * time.Hour))
				t.Values["signedBy"] = json.RawMessage(`"Ibu Sari"`)
			}
			t.UpdatedTime = fieldwork.NewTime(now.Add(3 * time.Hour))
			t.Version = 3
		}
		if k < 3 {
			t.ParentID = &master.ID
			master.SubID = append(master.SubID, t.ID)
			children = append(children, t)
		}
		out = append(out, t)
	}
	var steps []fieldwork.Step
	if master.Workflow != nil {
		steps = master.Workflow.Steps
	}
	fieldwork.ComputeRollup(children, steps).Apply(master)
	return append([]*fieldwork.Task{master}, out...)
}

func ptr[T any](v T) *T { return &v }

// hash spreads row n of org over the workers.
func hash(org string, n int) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(org); i++ {
		h = (h ^ uint64(org[i])) * 1099511628211
	}
	return (h ^ uint64(n)) * 1099511628211 >> 7
}

// seedRow returns the column values of a task in taskCols order, as the stores derive them.
func seedRow(engine string, t *fieldwork.Task) []any {
	doc, err := t.EncodeStored()
	if err != nil {
		panic(err)
	}
	var d any = string(doc)
	if engine == "postgres" {
		d = doc
	}
	micro := func(x fieldwork.Time) int64 {
		if x.IsZero() {
			return 0
		}
		return x.UnixMicro()
	}
	var parts []string
	for _, p := range []*string{t.Title, t.Content, t.Label} {
		if p != nil {
			parts = append(parts, strings.ToLower(*p))
		}
	}
	title := ""
	if t.Title != nil {
		title = strings.ToLower(*t.Title)
	}
	return []any{t.OrganizationID, t.ID, t.Flow, nullable(t.FlowID), t.HubID, t.Status, t.TaskType, nullable(t.ParentID),
		nullable(t.WorkflowID), nil, nullable(t.DoneBy), strings.Join(parts, "\n"), micro(t.StartTime), micro(t.EndTime),
		micro(t.DoneTime), micro(t.CreatedTime), micro(t.UpdatedTime), t.OrderIndex, d, title}
}

// assigneeRows returns the task_assignees rows of a task, as the stores derive them.
func assigneeRows(t *fieldwork.Task) [][]any {
	var out [][]any
	for _, e := range t.Assignee {
		out = append(out, []any{t.OrganizationID, strings.ToLower(e), t.ID, t.CreatedTime.UnixMicro()})
	}
	return out
}

func nullable(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

// seedSample remembers some seeded tasks, for the read loads to pick from: a list query in
// cursor mode continues after a task of that very list, as a client paging through it does.
type seedSample struct {
	tasks []sampled
}

// sampled is what the read loads need to know of a seeded task.
type sampled struct {
	id, status, assignee string
	start                time.Time
	children             []string // of a master
}

// pick returns a random sampled task for which ok holds.
func (s *seedSample) pick(rng *rand.Rand, ok func(sampled) bool) sampled {
	for {
		if t := s.tasks[rng.IntN(len(s.tasks))]; ok(t) {
			return t
		}
	}
}

// seed writes the rows [from, to) of organization org (in groups of four) and raises the
// organization's task data version. It keeps about one id in every keepEvery in sample.
// Batches are made by one goroutine per core and written by one writer.
func seed(ctx context.Context, db *database, tm *seedTemplates, org string, from, to int, sample *seedSample, keepEvery int) error {
	const batch = 2000 // groups
	type rows struct{ tasks, assignees [][]any }
	starts := make(chan int)
	made := make(chan rows, 2)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range runtime.NumCPU() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(from), uint64(w)))
			for g0 := range starts {
				var r rows
				for g := g0; g < min(g0+batch, to/4); g++ {
					for _, t := range tm.group(org, g) {
						r.tasks = append(r.tasks, seedRow(db.engine, t))
						r.assignees = append(r.assignees, assigneeRows(t)...)
						if sample != nil && rng.IntN(keepEvery) == 0 {
							s := sampled{id: t.ID, status: t.Status, start: t.StartTime.Time, children: t.SubID}
							if len(t.Assignee) > 0 {
								s.assignee = t.Assignee[0]
							}
							mu.Lock()
							sample.tasks = append(sample.tasks, s)
							mu.Unlock()
						}
					}
				}
				made <- r
			}
		}()
	}
	go func() {
		defer close(starts)
		for g0 := from / 4; g0 < to/4; g0 += batch {
			select {
			case starts <- g0:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(made) }()
	var err error
	for r := range made {
		if err == nil {
			err = writeRows(ctx, db, r.tasks, r.assignees)
		}
	}
	if err != nil {
		return err
	}
	// The organization's counters, as the store's writes would have left them.
	return db.raw.exec(ctx, `UPDATE organization_state SET task_data_version = CASE WHEN task_data_version < $2 THEN $2 ELSE task_data_version END,
		task_changes = task_changes + $3 WHERE organization_id = $1`, org, time.Now().Unix(), int64(to/4*4-from/4*4))
}

// withoutIndexes runs fn with the secondary indexes of tasks and task_assignees dropped, and
// creates them again after it, from the DDL the migrations made: building an index once over
// millions of rows is much faster than updating it row by row.
func withoutIndexes(ctx context.Context, db *database, fn func() error) error {
	q := `SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('tasks', 'task_assignees') AND sql IS NOT NULL`
	drop := `DROP INDEX %s`
	if db.engine == "postgres" {
		q = `SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename IN ('tasks', 'task_assignees')
			AND indexname NOT IN (SELECT conname FROM pg_constraint)`
	}
	var ddl []string
	if err := db.raw.(queryer).query(ctx, q, nil, func(scan func(...any) error) error {
		var s string
		if err := scan(&s); err != nil {
			return err
		}
		ddl = append(ddl, s)
		return nil
	}); err != nil {
		return err
	}
	for _, d := range ddl {
		// "CREATE [UNIQUE] INDEX name ON …": the name is the word before ON.
		f := strings.Fields(d)
		name := f[slices.Index(f, "ON")-1]
		if err := db.raw.exec(ctx, fmt.Sprintf(drop, name)); err != nil {
			return err
		}
	}
	err := fn()
	for _, d := range ddl {
		if e := db.raw.exec(ctx, d); e != nil && err == nil {
			err = e
		}
	}
	return err
}

// writeRows inserts task and assignee rows in one transaction: COPY on PostgreSQL, one
// prepared INSERT per row on SQLite.
func writeRows(ctx context.Context, db *database, tasks, assignees [][]any) error {
	cols := strings.Fields(strings.ReplaceAll(taskCols, ",", " "))
	switch r := db.raw.(type) {
	case *postgresRaw:
		return pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"tasks"}, cols, pgx.CopyFromRows(tasks)); err != nil {
				return err
			}
			_, err := tx.CopyFrom(ctx, pgx.Identifier{"task_assignees"}, []string{"organization_id", "email", "task_id", "task_created_time"},
				pgx.CopyFromRows(assignees))
			return err
		})
	case *sqliteRaw:
		tx, err := r.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if err := insertAll(ctx, tx, `INSERT INTO tasks (`+taskCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
			$12, $13, $14, $15, $16, $17, $18, $19, $20)`, tasks); err != nil {
			return err
		}
		if err := insertAll(ctx, tx, `INSERT INTO task_assignees (organization_id, email, task_id, task_created_time) VALUES ($1, $2, $3, $4)`,
			assignees); err != nil {
			return err
		}
		return tx.Commit()
	}
	return fmt.Errorf("seed: unknown database")
}

func insertAll(ctx context.Context, tx *sql.Tx, query string, rows [][]any) error {
	st, err := tx.PrepareContext(ctx, query)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, r := range rows {
		if _, err := st.ExecContext(ctx, r...); err != nil {
			return err
		}
	}
	return nil
}

// analyze settles the database after a bulk load, so that the measurements after it do not pay
// for it: on PostgreSQL the planner's statistics are refreshed, as autovacuum would, and a
// checkpoint writes out the pages the load dirtied (else the checkpointer writes them during
// the measurements); on SQLite the write-ahead log is checkpointed into the database file and
// truncated (readers otherwise look every page up in a log of gigabytes). SQLite gets no
// ANALYZE: the server never runs it.
func analyze(ctx context.Context, db *database) error {
	if db.engine == "postgres" {
		if err := db.raw.exec(ctx, "VACUUM ANALYZE"); err != nil {
			return err
		}
		return db.raw.exec(ctx, "CHECKPOINT")
	}
	return db.raw.exec(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
}
