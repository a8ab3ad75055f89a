package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldwork-dev/fieldwork"
	"github.com/fieldwork-dev/fieldwork/internal/testdb"
)

var (
	soakDuration = flag.Duration("soak", 0, "TestSoak: run the steady mixed load this long per engine (e.g. 30m; needs -timeout above twice that); 0 skips it")
	soakStep     = flag.Duration("soak-step", 40*time.Millisecond, "TestSoak: each of the 4 clients starts one operation (1-2 requests) per this interval")
)

// quietFile exists while someone measures on this machine: the soak pauses its load then.
const quietFile = "/tmp/fieldwork-quiet"

// TestSoak runs a steady mixed load (the crash test's, without kills, paced) against the
// real server for -soak per engine, with a webhook receiving every event, and reports the
// error count, the p99 latency of the first and the last five minutes (after a minute of
// warm-up) and the server's resident memory over time. Targets: no error, p99 drift under
// 20 %, RSS growth under 10 %. Afterwards the database passes the crash test's checks. Not
// run by default:
//
//	go test ./cmd/fieldwork -run TestSoak -soak=30m -timeout=70m
func TestSoak(t *testing.T) {
	if *soakDuration == 0 {
		t.Skip("soak mode only: -soak=30m")
	}
	for _, engine := range testdb.Engines() {
		t.Run(engine, func(t *testing.T) {
			db := "sqlite:" + filepath.Join(t.TempDir(), "db")
			if engine == testdb.Postgres {
				db = testdb.PostgresSchemaDSN(t)
			}
			runSoak(t, db, *soakDuration)
		})
	}
}

// sample is one request: when it started (since the soak began) and how long it took.
type sample struct {
	at, took time.Duration
	op       string
}

func runSoak(t *testing.T, db string, length time.Duration) {
	hooks := &receiver{seen: map[string]int{}}
	hookServer := httptest.NewServer(hooks)
	defer hookServer.Close()
	p := startServer(t, db)
	lt := newLoadTarget(p.addr)
	setup := setUpLoad(t, lt)
	if a, err := lt.call(context.Background(), "POST", "/webhook", map[string]any{"url": hookServer.URL, "events": fieldwork.EventTypes}); err != nil || a.status != 201 {
		t.Fatalf("POST /webhook: %v %d %s", err, a.status, a.raw)
	}

	var mu sync.Mutex
	var samples []sample
	var errs []string
	var paused time.Duration
	begin := time.Now()
	ctx, stop := context.WithTimeout(context.Background(), length)
	defer stop()
	var workers []*loadWorker
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		w := newLoadWorker(lt, setup, fmt.Sprintf("s%d", i), uint64(begin.UnixNano())+uint64(i))
		w.forgetDeleted = true
		w.fail = func(format string, args ...any) {
			mu.Lock()
			errs = append(errs, fmt.Sprintf(format, args...))
			mu.Unlock()
		}
		w.observe = func(op string, a answer, err error) {
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s: %v", op, err))
				return
			}
			samples = append(samples, sample{at: time.Since(begin), took: a.took, op: op})
		}
		workers = append(workers, w)
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(*soakStep)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				if _, err := os.Stat(quietFile); err == nil {
					if i == 0 {
						mu.Lock()
						paused += *soakStep
						mu.Unlock()
					}
					continue // someone is measuring: no load now
				}
				w.step(ctx)
			}
		}()
	}

	// Resident memory every 10 s.
	type rssAt struct {
		at  time.Duration
		rss int64
	}
	var rss []rssAt
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-time.After(10 * time.Second):
		}
		if kb, err := residentKB(p.cmd.Process.Pid); err == nil {
			rss = append(rss, rssAt{time.Since(begin), kb})
		}
	}
	wg.Wait()

	// Latency: the first and the last five minutes, the first minute being warm-up (scaled
	// down for shorter runs).
	warm, span := time.Minute, 5*time.Minute
	if length < 15*time.Minute {
		warm, span = length/15, length/3
	}
	window := func(from, to time.Duration, op string) []time.Duration {
		var d []time.Duration
		for _, s := range samples {
			if s.at >= from && s.at < to && (op == "" || s.op == op) {
				d = append(d, s.took)
			}
		}
		return d
	}
	first, last := window(warm, warm+span, ""), window(length-span, length, "")
	p99First, p99Last := percentile(first, 99), percentile(last, 99)
	drift := float64(p99Last-p99First) / float64(p99First)
	var rssWarm, rssEnd, rssMax int64
	for _, r := range rss {
		if rssWarm == 0 && r.at >= warm {
			rssWarm = r.rss
		}
		rssEnd, rssMax = r.rss, max(rssMax, r.rss)
	}
	growth := float64(rssEnd-rssWarm) / float64(rssWarm)

	var b strings.Builder
	fmt.Fprintf(&b, "soak %v on %s: %d requests (%.0f/s), %d errors, paused %v\n", length, strings.SplitN(db, ":", 2)[0],
		len(samples), float64(len(samples))/length.Seconds(), len(errs), paused)
	fmt.Fprintf(&b, "  p50 %v, p99 first %v–%v: %v, last %v–%v: %v, drift %+.1f %%\n", percentile(window(0, length, ""), 50),
		warm, warm+span, p99First, length-span, length, p99Last, 100*drift)
	fmt.Fprintf(&b, "  RSS after warm-up %d KiB, at the end %d KiB, max %d KiB, growth %+.1f %%\n", rssWarm, rssEnd, rssMax, 100*growth)
	ops := map[string]bool{}
	for _, s := range samples {
		ops[s.op] = true
	}
	for _, op := range slices.Sorted(maps.Keys(ops)) {
		all := window(0, length, op)
		fmt.Fprintf(&b, "  %-16s %7d requests  p50 %-12v p99 first %-12v last %v\n", op, len(all), percentile(all, 50),
			percentile(window(warm, warm+span, op), 99), percentile(window(length-span, length, op), 99))
	}
	t.Log(b.String())
	if len(errs) > 0 {
		t.Errorf("%d errors, e.g. %q", len(errs), errs[:min(5, len(errs))])
	}
	if drift >= 0.20 {
		t.Errorf("p99 drift %+.1f %%, target < 20 %%", 100*drift)
	}
	if growth >= 0.10 {
		t.Errorf("RSS growth %+.1f %%, target < 10 %%", 100*growth)
	}

	// The database afterwards.
	var known []string
	for _, w := range workers {
		for _, tt := range w.tasks {
			known = append(known, tt.id)
		}
	}
	st := openStore(t, db)
	state := readState(t, st, known)
	masters := checkActivities(t, state)
	checkEvents(t, state)
	checkWorkers(t, state, workers)
	checkDelivered(t, st, hooks, state.events, time.Now(), false)
	t.Logf("afterwards: %d masters, %d tasks, %d events, all delivered", masters, len(state.tasks), len(state.events))
}

// percentile returns the p-th percentile (nearest rank) of d.
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))].Round(10 * time.Microsecond)
}

// residentKB reads a process's resident set size (VmRSS) from /proc.
func residentKB(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmRSS for %d", pid)
}
