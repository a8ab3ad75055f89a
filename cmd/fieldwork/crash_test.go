package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fieldwork-dev/fieldwork"
	"github.com/fieldwork-dev/fieldwork/dispatch"
	"github.com/fieldwork-dev/fieldwork/internal/testdb"
)

var (
	crashKills      = flag.Int("crash-kills", 20, "TestCrashRecovery: SIGKILLs of the server per engine (the long mode: 200)")
	crashRealLeases = flag.Bool("crash-real-leases", false, "TestCrashRecovery: wait for the leases of killed dispatchers to run out instead of ending them")
)

// TestCrashRecovery kills the real server with SIGKILL at random moments while several
// clients drive a mixed load (create activities, assign and complete their steps, PATCH tasks,
// create and delete tasks, delete activities, a webhook receiving every event), restarting it
// on the same database each time, and a few times kills it while it starts (migrations,
// bootstrap). Afterwards, against the database: every activity is whole and its master equals
// the roll-up of its children; every request answered 2xx before a kill is visible; every
// committed change has its outbox event and the sequences have no gap; and every event reaches
// the webhook at least once. `-crash-kills=200` is the long mode.
func TestCrashRecovery(t *testing.T) {
	for _, engine := range testdb.Engines() {
		t.Run(engine, func(t *testing.T) {
			db := "sqlite:" + filepath.Join(t.TempDir(), "db")
			if engine == testdb.Postgres {
				db = testdb.PostgresSchemaDSN(t)
			}
			runCrash(t, db, *crashKills)
		})
	}
}

func runCrash(t *testing.T, db string, kills int) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	hooks := &receiver{seen: map[string]int{}}
	hookServer := httptest.NewServer(hooks)
	defer hookServer.Close()

	// Killed while it creates the schema and the demo organization, three times.
	for i := 0; i < 3; i++ {
		killDuringStart(t, db, "127.0.0.1:0", time.Duration(rng.IntN(150))*time.Millisecond)
	}
	p := startServer(t, db)
	addr := p.addr // every restart listens here again, so no request reaches another server
	lt := newLoadTarget(addr)
	setup := setUpLoad(t, lt)
	if a, err := lt.call(context.Background(), "POST", "/webhook", map[string]any{"url": hookServer.URL + "/events",
		"events": fieldwork.EventTypes, "secret": "s3cret"}); err != nil || a.status != 201 {
		t.Fatalf("POST /webhook: %v %d %s", err, a.status, a.raw)
	}

	ctx, stop := context.WithCancel(context.Background())
	var workers []*loadWorker
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		w := newLoadWorker(lt, setup, fmt.Sprintf("w%d", i), seed+uint64(i))
		w.retryUnanswered = true
		w.fail = func(format string, args ...any) { t.Errorf("worker %d: "+format, append([]any{i}, args...)...) }
		workers = append(workers, w)
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.run(ctx)
		}()
	}

	var lastKill time.Time
	for i := 0; i < kills; i++ {
		time.Sleep(time.Duration(150+rng.IntN(1000)) * time.Millisecond)
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-p.done
		p.done <- nil // for startServer's cleanup
		lastKill = time.Now()
		if rng.IntN(5) == 0 {
			killDuringStart(t, db, addr, time.Duration(rng.IntN(100))*time.Millisecond)
		}
		var err error
		if p, err = restart(t, db, addr); err != nil {
			t.Fatalf("restart %d: %v", i+1, err)
		}
	}
	time.Sleep(300 * time.Millisecond) // some load on the last server, then stop it
	stop()
	wg.Wait()

	var known []string
	for _, w := range workers {
		for _, a := range w.acts {
			known = append(known, a.id)
		}
		for _, tt := range w.tasks {
			known = append(known, tt.id)
		}
	}
	st := openStore(t, db)
	state := readState(t, st, known)
	masters := checkActivities(t, state)
	checkEvents(t, state)
	acked := checkWorkers(t, state, workers)

	// Delivery resumes after every restart. A delivery whose attempt a kill cut short stays
	// leased to the dead process until its lease ends (a minute), then is made again.
	checkDelivered(t, st, hooks, state.events, lastKill, !*crashRealLeases)
	hooks.mu.Lock()
	if len(hooks.bad) > 0 {
		t.Errorf("malformed deliveries: %q", hooks.bad)
	}
	again := 0
	for _, n := range hooks.seen {
		again += n - 1
	}
	hooks.mu.Unlock()
	t.Logf("%d kills: %d masters, %d tasks, %d events, %d acknowledged writes checked, %d deliveries repeated",
		kills, masters, len(state.tasks), len(state.events), acked, again)
}

// restart starts the server on addr again; should the address have been taken meanwhile, on
// another free port.
func restart(t *testing.T, db, addr string) (*serverProcess, error) {
	t.Helper()
	p, err := tryStart(t, db, addr)
	if err != nil && strings.Contains(err.Error(), "address already in use") {
		return tryStart(t, db, "127.0.0.1:0")
	}
	return p, err
}

// tryStart is startServer, returning an error instead of failing the test.
func tryStart(t *testing.T, db, addr string) (*serverProcess, error) {
	t.Helper()
	cmd := serveCommand(t, db, addr)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &serverProcess{cmd: cmd, done: make(chan error, 1), logs: &strings.Builder{}, mu: &sync.Mutex{}}
	addrCh := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.logs.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				addrCh <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
	})
	select {
	case p.addr = <-addrCh:
		return p, nil
	case err := <-p.done:
		p.done <- err
		return nil, fmt.Errorf("exited before listening: %v\n%s", err, p.log())
	case <-time.After(30 * time.Second):
		return nil, errors.New("did not listen within 30 s\n" + p.log())
	}
}

func serveCommand(t *testing.T, db, addr string) *exec.Cmd {
	cmd := exec.Command(binary(t), "serve")
	cmd.Env = append(os.Environ(), "FIELDWORK_ADDR="+addr, "FIELDWORK_DB="+db,
		"FIELDWORK_BOOTSTRAP_TOKEN="+bootstrapToken, "FIELDWORK_RATE_LIMIT=0")
	return cmd
}

// killDuringStart starts the server and SIGKILLs it after delay, whatever it is doing then
// (opening the store, migrating, bootstrapping, starting to listen).
func killDuringStart(t *testing.T, db, addr string, delay time.Duration) {
	t.Helper()
	cmd := serveCommand(t, db, addr)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(delay)
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
}

// checkDelivered waits until the webhook has received every event, at most until the leases
// taken before lastKill have run out. With endLeases, once the queue has drained what is
// missing must be deliveries leased to killed processes: the test ends those leases (claims
// them as if the lease time had come, as the server's own claim would then, and gives them
// back due now) instead of waiting up to a minute, and the running server must then deliver
// them.
func checkDelivered(t *testing.T, st fieldwork.Store, hooks *receiver, events []*fieldwork.Event, lastKill time.Time, endLeases bool) {
	t.Helper()
	start := time.Now()
	lease := fieldwork.WebhookTimeout + dispatch.DefaultLeaseMargin
	deadline := lastKill.Add(lease + 15*time.Second)
	missing := hooks.missing(events)
	for last, since := len(missing), time.Now(); len(missing) > 0 && time.Now().Before(deadline); missing = hooks.missing(events) {
		if len(missing) != last {
			last, since = len(missing), time.Now()
		}
		if endLeases && time.Since(since) > 2*time.Second {
			break // drained but for the leased ones
		}
		time.Sleep(100 * time.Millisecond)
	}
	ended := 0
	if len(missing) > 0 && endLeases {
		ctx := context.Background()
		now := time.Now()
		err := st.Update(ctx, fieldwork.DemoOrganizationID, func(tx fieldwork.Tx) error {
			ds, err := tx.ClaimDeliveries(ctx, now.Add(lease+time.Second), now.Add(lease+2*time.Second), "crash-test", 10000)
			if err != nil {
				return err
			}
			for _, d := range ds {
				if err := tx.ReleaseDelivery(ctx, d, "crash-test", now); err != nil {
					return err
				}
			}
			ended = len(ds)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		deadline = time.Now().Add(15 * time.Second)
		for missing = hooks.missing(events); len(missing) > 0 && time.Now().Before(deadline); missing = hooks.missing(events) {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d of %d events never reached the webhook, e.g. sequence %d", len(missing), len(events), missing[0])
	}
	t.Logf("every event delivered %v after the load stopped (%d leases of killed processes ended)", time.Since(start).Round(time.Millisecond), ended)
}
