package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fieldwork-dev/fieldwork"
)

// bench runs the phases of one engine.
type bench struct {
	cfg    *config
	engine string
	bin    string
	dir    string
	rep    *report
	srv    *server
}

// scenario is one measured load: an API operation and, for writes, its raw ceiling.
type scenario struct {
	name    string
	api     op
	ceiling op
	// before runs after the warm-up, with the warm-up's rate, to prepare what the
	// measurements will consume.
	before func(ctx context.Context, warmRate float64) error
}

// result is what a scenario measured, one value per run.
type result struct {
	engine, phase, name string
	sat, ceil, fixed    []float64
	p50, p95, p99       []time.Duration
	failed              int64
	rss                 int64 // the server's peak RSS after the scenario
	firstErr            error
}

// start starts the server on db, replacing a running one.
func (b *bench) start(ctx context.Context, db *database) (*client, error) {
	b.srv.stop()
	logPath := filepath.Join(b.dir, b.engine+"-server.log")
	var srv *server
	var err error
	if b.cfg.profile != "" {
		srv, err = startInProcess(ctx, db, logPath)
	} else {
		srv, err = startServer(ctx, b.bin, db.dsn, db.token, logPath)
	}
	if err != nil {
		return nil, err
	}
	b.srv = srv
	return newClient(srv.base, srv.token), nil
}

// measure warms up, then runs the scenario's measurements cfg.runs times.
func (b *bench) measure(ctx context.Context, phase string, s scenario) *result {
	res := &result{engine: b.engine, phase: phase, name: s.name}
	fail := func(n int64, err error) {
		res.failed += n
		if err != nil && res.firstErr == nil {
			res.firstErr = err
		}
	}
	var next, nextCeil atomic.Int64
	warm, n, err := saturate(ctx, b.cfg.concurrency, b.cfg.warmup, &next, s.api)
	fail(n, err)
	if s.before != nil {
		if err := s.before(ctx, warm); err != nil {
			fail(1, err)
			return res
		}
	}
	if b.cfg.profile != "" {
		name := strings.NewReplacer(" ", "_", "/", "_", ",", "", "(", "", ")", "", "{", "", "}", "", "+", "", "=", "").Replace(s.name)
		f, err := os.Create(filepath.Join(b.cfg.profile, b.engine+"-"+phase+"-"+name+".pprof"))
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer func() { pprof.StopCPUProfile(); f.Close() }()
		}
	}
	for r := range b.cfg.runs {
		sat, n, err := saturate(ctx, b.cfg.concurrency, b.cfg.duration, &next, s.api)
		fail(n, err)
		res.sat = append(res.sat, sat)
		if s.ceiling != nil {
			ceil, n, err := saturate(ctx, b.cfg.concurrency, b.cfg.duration, &nextCeil, s.ceiling)
			fail(n, err)
			res.ceil = append(res.ceil, ceil)
		}
		rate := max(sat/2, 1)
		lat, n, err := fixedRate(ctx, rate, b.cfg.duration, &next, s.api)
		fail(n, err)
		res.fixed = append(res.fixed, rate)
		res.p50 = append(res.p50, percentile(lat, 50))
		res.p95 = append(res.p95, percentile(lat, 95))
		res.p99 = append(res.p99, percentile(lat, 99))
		b.logf("%-6s %-34s run %d: %7.1f ops/s ceiling %7.1f, at %6.1f/s p50 %v p95 %v p99 %v", phase, s.name, r+1,
			sat, last(res.ceil), rate, res.p50[r], res.p95[r], res.p99[r])
	}
	_, res.rss = b.srv.rss()
	if res.firstErr != nil {
		b.logf("%s: %d failed, first: %v", s.name, res.failed, res.firstErr)
	}
	b.rep.add(res)
	return res
}

func last(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	return v[len(v)-1]
}

// activity is one created activity: its master and its steps, in step order.
type activity struct {
	master   string
	children []string
}

// pool is a growing list of activities, shared by concurrent operations.
type pool struct {
	mu   sync.Mutex
	list []activity
}

func (p *pool) add(a activity) {
	p.mu.Lock()
	p.list = append(p.list, a)
	p.mu.Unlock()
}

func (p *pool) get(i int) (activity, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if i >= len(p.list) {
		return activity{}, false
	}
	return p.list[i], true
}

func (p *pool) len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.list)
}

// fill runs add concurrently until the pool holds n activities.
func (p *pool) fill(ctx context.Context, workers, n int, add func(ctx context.Context) error) error {
	var wg sync.WaitGroup
	var firstErr firstError
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p.len() < n && ctx.Err() == nil {
				if err := add(ctx); err != nil {
					firstErr.set(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := firstErr.get(); err != nil {
		return err
	}
	return ctx.Err()
}

// capture runs call (one API call, or several, with nothing else writing) and returns the
// rows it wrote, one callRows per API call as call reports them through step.
func capture(ctx context.Context, db *database, calls ...func() error) ([]*callRows, error) {
	var out []*callRows
	for _, call := range calls {
		m, err := markNow(ctx, db, fieldwork.DemoOrganizationID)
		if err != nil {
			return nil, err
		}
		if err := call(); err != nil {
			return nil, err
		}
		rows, err := captureSince(ctx, db, fieldwork.DemoOrganizationID, m)
		if err != nil {
			return nil, err
		}
		if len(rows.tasks) == 0 {
			return nil, fmt.Errorf("capture: the call wrote no task")
		}
		out = append(out, rows)
	}
	return out, nil
}

// writes measures the write scenarios and single-task reads on a fresh database.
func (b *bench) writes(ctx context.Context) error {
	db, err := openDatabase(ctx, b.engine, b.dir, b.cfg.pgDSN, b.cfg.keep)
	if err != nil {
		return err
	}
	defer db.drop()
	c, err := b.start(ctx, db)
	if err != nil {
		return err
	}
	defer func() { b.srv.stop(); b.srv = nil }()
	fx, err := setupFixture(ctx, c)
	if err != nil {
		return fmt.Errorf("fixture: %w", err)
	}
	b.rep.settings(ctx, b.engine, db)
	body2, body10, taskBody := fx.activityBody(2), fx.activityBody(10), fx.taskBody()

	// The rows of each kind of call, captured from real API calls.
	var sample activity
	caps, err := capture(ctx, db,
		func() error { _, _, err := createActivity(ctx, c, body2); return err },
		func() error { _, _, err := createActivity(ctx, c, body10); return err },
		func() (err error) { sample.master, sample.children, err = createActivity(ctx, c, body2); return err },
		func() error { _, err := c.do(ctx, "POST", "/task", taskBody, 201, false); return err })
	if err != nil {
		return err
	}
	create2, create10, createTask := caps[0], caps[1], caps[3]
	var steps []func() error
	for s, id := range sample.children {
		steps = append(steps,
			func() error { return assign(ctx, c, id, workerEmail(s)) },
			func() error { _, err := c.do(ctx, "POST", "/task/"+id+"/done", doneBody(s), 200, false); return err })
	}
	complete, err := capture(ctx, db, steps...)
	if err != nil {
		return err
	}

	var apiPool, ceilPool pool
	apiCreate := func(body []byte, keep bool) op {
		return func(ctx context.Context, _ int) error {
			m, subs, err := createActivity(ctx, c, body)
			if err == nil && keep {
				apiPool.add(activity{m, subs})
			}
			return err
		}
	}
	ceilCreate := func(rows *callRows, keep bool) op {
		return func(ctx context.Context, _ int) error {
			ids := map[string]string{}
			err := replay(ctx, db, rows, ids)
			if err == nil && keep {
				a := activity{master: ids[rows.tasks[0].id]}
				for _, t := range rows.tasks[1:] {
					a.children = append(a.children, ids[t.id])
				}
				ceilPool.add(a)
			}
			return err
		}
	}
	b.measure(ctx, "writes", scenario{name: "create task (POST /task)",
		api: func(ctx context.Context, _ int) error {
			_, err := c.do(ctx, "POST", "/task", taskBody, 201, false)
			return err
		},
		ceiling: func(ctx context.Context, _ int) error { return replay(ctx, db, createTask, map[string]string{}) }})
	b.measure(ctx, "writes", scenario{name: "create activity, 2 steps", api: apiCreate(body2, true), ceiling: ceilCreate(create2, true)})
	b.measure(ctx, "writes", scenario{name: "create activity, 10 steps", api: apiCreate(body10, false), ceiling: ceilCreate(create10, false)})

	// complete-child: operation k assigns, then completes, step k%2 of activity k/2.
	b.measure(ctx, "writes", scenario{name: "complete child (assign + done)",
		api: func(ctx context.Context, k int) error {
			a, ok := apiPool.get(k / 2)
			if !ok {
				return fmt.Errorf("complete child: no activity %d left", k/2)
			}
			id := a.children[k%2]
			if err := assign(ctx, c, id, workerEmail(k)); err != nil {
				return err
			}
			_, err := c.do(ctx, "POST", "/task/"+id+"/done", doneBody(k%2), 200, false)
			return err
		},
		ceiling: func(ctx context.Context, k int) error {
			a, ok := ceilPool.get(k / 2)
			if !ok {
				return fmt.Errorf("complete child ceiling: no activity %d left", k/2)
			}
			for _, rows := range complete[2*(k%2) : 2*(k%2)+2] {
				ids := map[string]string{sample.master: a.master, sample.children[0]: a.children[0], sample.children[1]: a.children[1]}
				if err := replay(ctx, db, rows, ids); err != nil {
					return err
				}
			}
			return nil
		},
		before: func(ctx context.Context, warm float64) error {
			// Enough activities for every measurement (and the ceiling's), with a margin.
			need := int(warm*b.cfg.duration.Seconds()*float64(b.cfg.runs)*1.5*1.5/2) + int(warm*b.cfg.warmup.Seconds()) + 16
			b.logf("complete child: %d activities needed (%d and %d made)", need, apiPool.len(), ceilPool.len())
			if err := apiPool.fill(ctx, b.cfg.concurrency, need, func(ctx context.Context) error { return apiCreate(body2, true)(ctx, 0) }); err != nil {
				return err
			}
			return ceilPool.fill(ctx, b.cfg.concurrency, need*3, func(ctx context.Context) error { return ceilCreate(create2, true)(ctx, 0) })
		}})

	b.measure(ctx, "writes", scenario{name: "GET /task/{id} (with histories)", api: func(ctx context.Context, k int) error {
		a, _ := apiPool.get(int(rand.Uint64N(uint64(apiPool.len()))))
		_, err := c.do(ctx, "GET", "/task/"+a.children[k%2], nil, 200, false)
		return err
	}})
	// The floor of any request: HTTP both ways, the token's lookup, one small read, a small
	// JSON answer. A write costs at least this plus its own rows (docs/benchmarks.md).
	b.measure(ctx, "writes", scenario{name: floorScenario, api: func(ctx context.Context, _ int) error {
		_, err := c.do(ctx, "GET", "/user", nil, 200, false)
		return err
	}})
	return nil
}

func assign(ctx context.Context, c *client, id, email string) error {
	b, _ := json.Marshal(map[string]any{"assignee": []string{email}})
	_, err := c.do(ctx, "PUT", "/task/"+id+"/assign", b, 200, false)
	return err
}

// lists measures the list queries at cfg.small tasks, then at cfg.large (with the other
// organizations), on a fresh database.
func (b *bench) lists(ctx context.Context) error {
	db, err := openDatabase(ctx, b.engine, b.dir, b.cfg.pgDSN, b.cfg.keep)
	if err != nil {
		return err
	}
	defer db.drop()
	c, err := b.start(ctx, db)
	if err != nil {
		return err
	}
	defer func() { b.srv.stop(); b.srv = nil }()
	fx, err := setupFixture(ctx, c)
	if err != nil {
		return fmt.Errorf("fixture: %w", err)
	}
	b.rep.settings(ctx, b.engine, db)
	org := fieldwork.DemoOrganizationID
	tm, err := loadTemplates(ctx, c, db, fx, org)
	if err != nil {
		return fmt.Errorf("templates: %w", err)
	}
	sample := &seedSample{}
	start := time.Now()
	if err := seed(ctx, db, tm, org, 0, b.cfg.small, sample, max(1, b.cfg.small/5000)); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if err := analyze(ctx, db); err != nil {
		return err
	}
	b.logf("seeded %d tasks in %v", b.cfg.small, time.Since(start).Round(time.Millisecond))
	b.listScenarios(ctx, c, sizeName(b.cfg.small), sample)

	start = time.Now()
	b.srv.stop() // the server is restarted on the large database
	b.srv = nil
	large := &seedSample{}
	st, err := db.openStore(ctx)
	if err != nil {
		return err
	}
	svc := fieldwork.NewService(st)
	var others []string
	for i := range b.cfg.others {
		o, _, _, err := svc.CreateOrganization(ctx, fmt.Sprintf("Other %d", i+1), fmt.Sprintf("owner@other%d.test", i+1), "")
		if err != nil {
			st.Close()
			return err
		}
		others = append(others, o.ID)
	}
	st.Close()
	err = withoutIndexes(ctx, db, func() error {
		if err := seed(ctx, db, tm, org, b.cfg.small, b.cfg.large, large, max(1, (b.cfg.large-b.cfg.small)/5000)); err != nil {
			return err
		}
		for _, o := range others {
			if err := seed(ctx, db, tm, o, 0, b.cfg.othersSize, nil, 1); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	sample.tasks = append(sample.tasks, large.tasks...)
	if err := analyze(ctx, db); err != nil {
		return err
	}
	b.logf("seeded %d more tasks and %d organizations of %d in %v", b.cfg.large-b.cfg.small, b.cfg.others, b.cfg.othersSize,
		time.Since(start).Round(time.Millisecond))
	// A fresh server process: its memory and caches start from nothing at the large size.
	if c, err = b.start(ctx, db); err != nil {
		return err
	}
	b.listScenarios(ctx, c, sizeName(b.cfg.large), sample)
	return nil
}

// listScenarios measures the list queries and single reads of seeded tasks. Each operation
// draws a seeded task of the list it asks for: the first pages of that list (page mode), or
// the page after that task (cursor mode), which at the large size lies anywhere in the
// organization's history.
func (b *bench) listScenarios(ctx context.Context, c *client, phase string, sample *seedSample) {
	anyTask := func(sampled) bool { return true }
	filters := []struct {
		name  string
		query func(rng *rand.Rand) (url.Values, string) // the query and a task of its list
	}{
		{"no filter", func(rng *rand.Rand) (url.Values, string) { return url.Values{}, sample.pick(rng, anyTask).id }},
		{"status=ONGOING", func(rng *rand.Rand) (url.Values, string) {
			return url.Values{"status": {"ONGOING"}}, sample.pick(rng, func(s sampled) bool { return s.status == "ONGOING" }).id
		}},
		{"parentId", func(rng *rand.Rand) (url.Values, string) {
			m := sample.pick(rng, func(s sampled) bool { return len(s.children) > 0 })
			return url.Values{"parentId": {m.id}}, m.children[0]
		}},
		{"assignee", func(rng *rand.Rand) (url.Values, string) {
			t := sample.pick(rng, func(s sampled) bool { return s.assignee != "" })
			return url.Values{"assignee": {t.assignee}}, t.id
		}},
		{"startTime range (1 day)", func(rng *rand.Rand) (url.Values, string) {
			t := sample.pick(rng, func(s sampled) bool { return !s.start.IsZero() })
			from := t.start.Add(-time.Duration(rng.IntN(24*3600)) * time.Second)
			return url.Values{"timeBy": {"startTime"}, "timeFrom": {from.Format(time.RFC3339)},
				"timeTo": {from.Add(24 * time.Hour).Format(time.RFC3339)}}, t.id
		}},
	}
	for _, f := range filters {
		for _, mode := range []string{"page", "cursor"} {
			b.measure(ctx, phase, scenario{name: fmt.Sprintf("GET /tasks %s, %s", f.name, mode),
				api: func(ctx context.Context, k int) error {
					rng := rand.New(rand.NewPCG(uint64(k), 7))
					q, cursor := f.query(rng)
					if mode == "page" {
						q.Set("page", fmt.Sprint(1+rng.IntN(5)))
					} else {
						q.Set("lazyLoad", "1")
						q.Set("cursor", cursor)
					}
					_, err := c.do(ctx, "GET", "/tasks?"+q.Encode(), nil, 200, false)
					return err
				}})
		}
	}
	b.measure(ctx, phase, scenario{name: "GET /task/{id} (seeded, no histories)", api: func(ctx context.Context, k int) error {
		rng := rand.New(rand.NewPCG(uint64(k), 9))
		_, err := c.do(ctx, "GET", "/task/"+sample.pick(rng, anyTask).id, nil, 200, false)
		return err
	}})
}

// sizeName names a number of tasks: 400, 10k, 1M.
func sizeName(n int) string {
	switch {
	case n >= 1_000_000:
		return fmt.Sprintf("%gM", float64(n)/1e6)
	case n >= 1000:
		return fmt.Sprintf("%gk", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}

// median of the values (0 for none).
func median[T int64 | float64 | time.Duration](v []T) T {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
