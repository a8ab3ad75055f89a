package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"time"
)

// report collects the results and the conditions they were measured in.
type report struct {
	cfg               *config
	started, finished time.Time
	machine           []string
	mu                sync.Mutex
	results           []*result
	engineSettings    map[string]string
}

func (r *report) add(res *result) {
	r.mu.Lock()
	r.results = append(r.results, res)
	r.mu.Unlock()
}

// settings records the engine's version and the settings that bear on the figures (once).
func (r *report) settings(ctx context.Context, engine string, db *database) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.engineSettings == nil {
		r.engineSettings = map[string]string{}
	}
	if _, ok := r.engineSettings[engine]; ok {
		return
	}
	var parts []string
	if engine == "sqlite" {
		var v string
		_ = db.raw.queryRow(ctx, []any{&v}, "SELECT sqlite_version()")
		parts = append(parts, "SQLite "+v+" (modernc.org/sqlite, pure Go)", "journal_mode=WAL", "synchronous=NORMAL",
			"one write connection", fmt.Sprintf("read pool of %d", max(4, runtime.NumCPU())))
	} else {
		for _, name := range []string{"server_version", "shared_buffers", "work_mem", "effective_cache_size", "max_connections",
			"fsync", "synchronous_commit", "full_page_writes", "jit", "max_parallel_workers_per_gather"} {
			var v string
			if err := db.raw.queryRow(ctx, []any{&v}, "SHOW "+name); err == nil {
				parts = append(parts, name+"="+v)
			}
		}
		parts = append(parts, fmt.Sprintf("server pool_max_conns=%d (default)", max(4, runtime.NumCPU())))
	}
	r.engineSettings[engine] = strings.Join(parts, ", ")
}

// machineInfo describes the machine: CPU, cores, memory, kernel, Go, load.
func machineInfo() []string {
	cpu := "?"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := "?"
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		mem = strings.Join(strings.Fields(line)[1:], " ")
	}
	kernel, _ := exec.Command("uname", "-sr").Output()
	return []string{
		fmt.Sprintf("CPU: %s, %d cores (runtime.NumCPU)", cpu, runtime.NumCPU()),
		"memory: " + mem,
		"kernel: " + strings.TrimSpace(string(kernel)),
		"Go: " + runtime.Version(),
		"load average at start: " + loadAvg(),
	}
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:3], " ")
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }

func mb(b int64) string { return fmt.Sprintf("%.0f", float64(b)/(1<<20)) }

// markdown renders the report: conditions, then one table per engine and phase, then the
// comparison of the list phases.
func (r *report) markdown() string {
	var b strings.Builder
	c := r.cfg
	fmt.Fprintf(&b, "Measured %s – %s.\n\n", r.started.UTC().Format("2006-01-02 15:04"), r.finished.UTC().Format("15:04 MST"))
	fmt.Fprintf(&b, "Command: `%s`\n\n", c.command)
	for _, m := range r.machine {
		fmt.Fprintf(&b, "- %s\n", m)
	}
	fmt.Fprintf(&b, "- load average at the end: %s\n", loadAvg())
	for _, e := range c.engines {
		if s, ok := r.engineSettings[e]; ok {
			fmt.Fprintf(&b, "- %s: %s\n", e, s)
		}
	}
	fmt.Fprintf(&b, "- each figure is the median of %d runs of %v (after a %v warm-up per scenario); %d concurrent clients at saturation, "+
		"and %d concurrent writers for the ceiling; latency at 50 %% of the run's saturated throughput, open loop\n\n",
		c.runs, c.duration, c.warmup, c.concurrency, c.concurrency)

	for _, engine := range c.engines {
		var phases []string
		for _, res := range r.results {
			if res.engine == engine && !contains(phases, res.phase) {
				phases = append(phases, res.phase)
			}
		}
		for _, phase := range phases {
			title := phase
			if phase != "writes" {
				title = "lists at " + phase + " tasks"
			}
			fmt.Fprintf(&b, "#### %s: %s\n\n", engine, title)
			b.WriteString("| scenario | API ops/s | ceiling ops/s | API / ceiling | latency at ops/s | p50 ms | p95 ms | p99 ms | server RSS MB | failed |\n")
			b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
			for _, res := range r.results {
				if res.engine != engine || res.phase != phase {
					continue
				}
				ceil, ratio := "–", "–"
				if len(res.ceil) > 0 {
					ceil = fmt.Sprintf("%.0f", median(res.ceil))
					ratio = fmt.Sprintf("%.2f", ratioOf(res.sat, res.ceil))
				}
				fmt.Fprintf(&b, "| %s | %.0f | %s | %s | %.0f | %s | %s | %s | %s | %d |\n", res.name, median(res.sat), ceil, ratio,
					median(res.fixed), ms(median(res.p50)), ms(median(res.p95)), ms(median(res.p99)), mb(res.rss), res.failed)
			}
			b.WriteString("\n")
		}
		r.compareLists(&b, engine, phases)
		r.targets(&b, engine, phases)
	}
	return b.String()
}

// floorScenario is meant to be the cheapest authenticated request (bench.go).
const floorScenario = "GET /user (request floor)"

// targets checks the figures of an engine against issue 6's targets.
func (r *report) targets(b *strings.Builder, engine string, phases []string) {
	type check struct {
		what, got, want string
		ok              bool
	}
	var checks []check
	var lists []string
	for _, p := range phases {
		if p != "writes" {
			lists = append(lists, p)
		}
	}
	var peak int64
	// The request floor: the cheapest single request of the writes phase (GET /user is meant
	// to be it, but on PostgreSQL GET /task/{id} can be cheaper).
	var floor float64 // requests/s
	for _, res := range r.results {
		if res.engine == engine && res.phase == "writes" && len(res.ceil) == 0 && (res.name == floorScenario || strings.HasPrefix(res.name, "GET /task/{id}")) {
			floor = max(floor, median(res.sat))
		}
	}
	for _, res := range r.results {
		if res.engine != engine {
			continue
		}
		peak = max(peak, res.rss)
		p99 := median(res.p99)
		if len(res.ceil) > 0 {
			ratio := ratioOf(res.sat, res.ceil)
			got := fmt.Sprintf("%.2f", ratio)
			if floor > 0 {
				// An operation of k requests costs the machine at least k request floors plus
				// the ceiling's own work: API ≤ 1 / (k/floor + 1/ceiling).
				k := 1.0
				if strings.HasPrefix(res.name, "complete child") {
					k = 2
				}
				got += fmt.Sprintf(" (floor bound %.2f)", 1/(1+k*median(res.ceil)/floor))
			}
			checks = append(checks, check{res.name + ": API / ceiling", got, "≥ 0.70", ratio >= 0.7})
		}
		limit := time.Duration(0)
		switch {
		case res.name == "create task (POST /task)" || strings.HasPrefix(res.name, "GET /task/{id}"):
			limit = 15 * time.Millisecond
		case res.name == "create activity, 10 steps":
			limit = 40 * time.Millisecond
		case len(lists) == 2 && res.phase == lists[1] && strings.HasSuffix(res.name, ", cursor"):
			limit = 20 * time.Millisecond
		}
		if limit > 0 {
			checks = append(checks, check{fmt.Sprintf("%s (%s): p99 at 50 %%", res.name, res.phase), ms(p99) + " ms",
				"≤ " + ms(limit) + " ms", p99 <= limit})
		}
		if len(lists) == 2 && res.phase == lists[1] && strings.HasPrefix(res.name, "GET /tasks") {
			for _, s := range r.results {
				if s.engine == engine && s.phase == lists[0] && s.name == res.name && median(res.sat) > 0 {
					cost := median(s.sat) / median(res.sat)
					checks = append(checks, check{fmt.Sprintf("%s: cost at %s ÷ at %s", res.name, lists[1], lists[0]),
						fmt.Sprintf("%.2f", cost), "≤ 2", cost <= 2})
				}
			}
		}
	}
	checks = append(checks, check{"server RSS, peak of every scenario", mb(peak) + " MB", "≤ 200 MB", peak <= 200<<20})
	fmt.Fprintf(b, "#### %s: targets of issue 6\n\n| check | measured | target | met |\n|---|---:|---:|:---:|\n", engine)
	for _, c := range checks {
		mark := "✗"
		if c.ok {
			mark = "✓"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", c.what, c.got, c.want, mark)
	}
	b.WriteString("\n")
}

// ratioOf is the median over runs of api/ceiling, run by run (each pair measured together).
func ratioOf(api, ceil []float64) float64 {
	var v []float64
	for i := range min(len(api), len(ceil)) {
		if ceil[i] > 0 {
			v = append(v, api[i]/ceil[i])
		}
	}
	return median(v)
}

// compareLists sets the list phases side by side: the cost of a request (1 / saturated
// throughput) and its p99 at the large size, relative to the small one.
func (r *report) compareLists(b *strings.Builder, engine string, phases []string) {
	var lists []string
	for _, p := range phases {
		if p != "writes" {
			lists = append(lists, p)
		}
	}
	if len(lists) != 2 {
		return
	}
	small, large := lists[0], lists[1]
	find := func(phase, name string) *result {
		for _, res := range r.results {
			if res.engine == engine && res.phase == phase && res.name == name {
				return res
			}
		}
		return nil
	}
	fmt.Fprintf(b, "#### %s: cost at %s relative to %s tasks\n\n", engine, large, small)
	fmt.Fprintf(b, "| scenario | cost ratio (ops/s at %s ÷ at %s) | p99 ms at %s | p99 ms at %s | p99 ratio |\n", small, large, small, large)
	b.WriteString("|---|---:|---:|---:|---:|\n")
	for _, res := range r.results {
		if res.engine != engine || res.phase != small {
			continue
		}
		l := find(large, res.name)
		if l == nil || median(l.sat) == 0 || median(res.p99) == 0 {
			continue
		}
		fmt.Fprintf(b, "| %s | %.2f | %s | %s | %.2f |\n", res.name, median(res.sat)/median(l.sat), ms(median(res.p99)),
			ms(median(l.p99)), float64(median(l.p99))/float64(median(res.p99)))
	}
	b.WriteString("\n")
}

// Markers of the generated section of the -out file.
const (
	beginMarker = "<!-- bench:begin (generated by cmd/fieldwork-bench: do not edit by hand) -->"
	endMarker   = "<!-- bench:end -->"
)

// writeSection replaces the generated section of path with md (appending one when missing).
func writeSection(path, md string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	text := string(old)
	section := beginMarker + "\n" + md + endMarker
	i, j := strings.Index(text, beginMarker), strings.Index(text, endMarker)
	if i >= 0 && j > i {
		text = text[:i] + section + text[j+len(endMarker):]
	} else {
		text = strings.TrimRight(text, "\n") + "\n\n" + section + "\n"
	}
	return os.WriteFile(path, []byte(text), 0o644)
}
