// Command fieldwork-bench measures the Fieldwork server against the raw ceiling of its own
// database, on SQLite and on PostgreSQL, and prints the table of docs/benchmarks.md.
//
//	fieldwork-bench [-engines sqlite,postgres] [-pg DSN] [-duration 10s] [-runs 3]
//	                [-concurrency 8] [-small 10000] [-large 1000000] [-others 10]
//	                [-others-size 100000] [-out docs/benchmarks.md]
//
// For each engine it builds and starts the real server binary (cmd/fieldwork) on a fresh
// database, creates a fixture through the API, and measures:
//
//   - writes: POST /activity with a 2-step and a 10-step workflow, and complete-child (assign
//     then done of a step, which rolls up to its master), each against its raw ceiling: the
//     same rows written by the same number of workers straight through the driver;
//   - GET /task/{id} of tasks with their histories;
//   - GET /tasks with the common filters (none, status, parentId, assignee, startTime range),
//     page-number and cursor pagination, and GET /task/{id}, at -small and then at -large tasks
//     in the organization (plus -others organizations of -others-size tasks), seeded straight
//     through SQL with rows exactly as the stores write them.
//
// Each measurement is -runs times: throughput at saturation (-concurrency closed loops), then
// latency at 50 % of that throughput on an open-loop schedule (no coordinated omission); the
// ceiling of a write is measured in the same run. The table reports medians, the server's
// peak RSS (VmHWM), and the ratio API / ceiling. With -out the table replaces the generated
// part of that file (between its bench:begin and bench:end markers).
//
// PostgreSQL: -pg (default $FIELDWORK_TEST_POSTGRES) names a database in which the tool
// creates, and then drops, a schema of its own; ./scripts/with-postgres.sh provides one.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// config is every setting of a benchmark run.
type config struct {
	engines     []string
	pgDSN       string
	duration    time.Duration // each measurement
	warmup      time.Duration
	runs        int
	concurrency int
	small       int // tasks of the organization in the first list phase
	large       int // … in the second
	others      int // other organizations in the second list phase
	othersSize  int // tasks of each
	bin         string
	out         string
	keep        bool
	only        string // run only the phases whose name contains this (writes, lists)
	profile     string // serve in process and write a CPU profile per scenario into this directory
	command     string // the command line, for the report
	log         io.Writer
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := parseFlags(os.Args[1:])
	if err == nil {
		err = run(ctx, cfg, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fieldwork-bench:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (*config, error) {
	fs := flag.NewFlagSet("fieldwork-bench", flag.ContinueOnError)
	cfg := &config{log: os.Stderr, command: "go run ./cmd/fieldwork-bench " + strings.Join(args, " ")}
	engines := fs.String("engines", "sqlite,postgres", "comma list of engines to measure")
	fs.StringVar(&cfg.pgDSN, "pg", os.Getenv("FIELDWORK_TEST_POSTGRES"), "PostgreSQL database to create a schema in")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "length of each measurement")
	fs.DurationVar(&cfg.warmup, "warmup", 2*time.Second, "warm-up before each scenario")
	fs.IntVar(&cfg.runs, "runs", 3, "measurements per scenario (the table shows medians)")
	fs.IntVar(&cfg.concurrency, "concurrency", 8, "concurrent clients at saturation, and writers of the ceiling")
	fs.IntVar(&cfg.small, "small", 10_000, "tasks of the organization in the first list phase")
	fs.IntVar(&cfg.large, "large", 1_000_000, "tasks of the organization in the second list phase")
	fs.IntVar(&cfg.others, "others", 10, "other organizations in the second list phase")
	fs.IntVar(&cfg.othersSize, "others-size", 100_000, "tasks of each other organization")
	fs.StringVar(&cfg.bin, "bin", "", "fieldwork server binary (default: go build ./cmd/fieldwork)")
	fs.StringVar(&cfg.out, "out", "", "Markdown file whose generated section receives the report")
	fs.BoolVar(&cfg.keep, "keep", false, "keep the databases")
	fs.StringVar(&cfg.only, "only", "", "run only the phases whose name contains this: writes, lists")
	fs.StringVar(&cfg.profile, "profile", "", "serve in this process and write a CPU profile of each scenario into this directory "+
		"(RSS is then the whole process's)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	cfg.engines = splitComma(*engines)
	if cfg.runs < 1 || cfg.concurrency < 1 || cfg.small < 4 || cfg.large < cfg.small {
		return nil, fmt.Errorf("want -runs ≥ 1, -concurrency ≥ 1 and 4 ≤ -small ≤ -large")
	}
	return cfg, nil
}

func splitComma(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// run measures every engine and prints (and, with -out, writes) the report.
func run(ctx context.Context, cfg *config, stdout io.Writer) error {
	rep, err := measureAll(ctx, cfg)
	if err != nil {
		return err
	}
	md := rep.markdown()
	fmt.Fprint(stdout, md)
	if cfg.out != "" {
		return writeSection(cfg.out, md)
	}
	return nil
}

// measureAll runs every phase on every engine.
func measureAll(ctx context.Context, cfg *config) (*report, error) {
	dir, err := os.MkdirTemp("", "fieldwork-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin := cfg.bin
	if bin == "" {
		if bin, err = buildServer(ctx, dir); err != nil {
			return nil, err
		}
	}
	rep := &report{cfg: cfg, started: time.Now(), machine: machineInfo()}
	for _, engine := range cfg.engines {
		b := &bench{cfg: cfg, engine: engine, bin: bin, dir: dir, rep: rep}
		for _, phase := range []struct {
			name string
			run  func(context.Context) error
		}{{"writes", b.writes}, {"lists", b.lists}} {
			if cfg.only != "" && !strings.Contains(phase.name, cfg.only) {
				continue
			}
			if err := phase.run(ctx); err != nil {
				return nil, fmt.Errorf("%s %s: %w", engine, phase.name, err)
			}
		}
	}
	rep.finished = time.Now()
	return rep, nil
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.cfg.log, "%s %-8s "+format+"\n", append([]any{time.Now().Format("15:04:05"), b.engine}, args...)...)
}
