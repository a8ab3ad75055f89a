package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fieldwork-dev/fieldwork"
	"github.com/fieldwork-dev/fieldwork/internal/testdb"
	"github.com/fieldwork-dev/fieldwork/postgres"
	"github.com/fieldwork-dev/fieldwork/sqlite"
)

// The tests here run the real fieldwork binary as a separate process.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds the fieldwork command once per test run.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "fieldwork-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "fieldwork")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// serverProcess is a running fieldwork serve.
type serverProcess struct {
	cmd  *exec.Cmd
	addr string
	done chan error
	logs *strings.Builder
	mu   *sync.Mutex
}

var listening = regexp.MustCompile(`msg=listening addr=(\S+)`)

// startServer starts `fieldwork serve` on a free loopback port with the store db and waits
// until it listens.
func startServer(t *testing.T, db string, extraEnv ...string) *serverProcess {
	t.Helper()
	cmd := exec.Command(binary(t), "serve")
	cmd.Env = append(os.Environ(), "FIELDWORK_ADDR=127.0.0.1:0", "FIELDWORK_DB="+db,
		"FIELDWORK_BOOTSTRAP_TOKEN="+bootstrapToken, "FIELDWORK_RATE_LIMIT=0")
	cmd.Env = append(cmd.Env, extraEnv...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
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
	case err := <-p.done:
		t.Fatalf("server exited before listening: %v\n%s", err, p.log())
	case <-time.After(30 * time.Second):
		t.Fatalf("server did not listen within 30 s\n%s", p.log())
	}
	return p
}

func (p *serverProcess) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

// TestSIGTERMFinishesInFlightRequest sends SIGTERM while a request body is still arriving: the
// request completes with its answer, then the process exits 0.
func TestSIGTERMFinishesInFlightRequest(t *testing.T) {
	p := startServer(t, "sqlite:"+filepath.Join(t.TempDir(), "db"))
	conn, err := net.Dial("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"name": "Jakarta", "address": "Jl. Sudirman 1", "lat": -6.2, "lng": 106.8}`
	head := fmt.Sprintf("POST /api/v3/hub HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", bootstrapToken, len(body))
	if _, err := io.WriteString(conn, head+body[:10]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the request is now in flight
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // shutdown has begun and must wait for us
	if _, err := io.WriteString(conn, body[10:]); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to the in-flight request: %v\n%s", err, p.log())
	}
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.Contains(string(b), `"Jakarta"`) {
		t.Fatalf("in-flight request: %d %s", res.StatusCode, b)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, p.log())
		}
		p.done <- nil // for the cleanup
	case <-time.After(35 * time.Second):
		t.Fatal("the server did not exit after SIGTERM")
	}
	// New connections are refused once it is gone.
	if c, err := net.DialTimeout("tcp", p.addr, time.Second); err == nil {
		c.Close()
		t.Fatal("still accepting after SIGTERM")
	}
}

// apiCall sends one JSON request to a server process and decodes the answer.
func apiCall(t *testing.T, addr, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rdr io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rdr = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, "http://"+addr+"/api/v3"+path, rdr)
	req.Header.Set("Authorization", "Bearer "+bootstrapToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, path, err)
		return 0, nil
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// TestTwoProcessesRollup runs two server processes on one database and completes the children
// of the same activities through both at once: afterwards every master equals the roll-up
// recomputed from its stored children.
func TestTwoProcessesRollup(t *testing.T) {
	for _, engine := range testdb.Engines() {
		t.Run(engine, func(t *testing.T) {
			var db string
			if engine == testdb.Postgres {
				db = testdb.PostgresSchemaDSN(t)
			} else {
				db = "sqlite:" + filepath.Join(t.TempDir(), "db")
			}
			a := startServer(t, db)
			b := startServer(t, db)

			must := func(want int, addr, method, path string, req any) map[string]any {
				t.Helper()
				status, body := apiCall(t, addr, method, path, req)
				if status != want {
					t.Fatalf("%s %s: status %d, want %d: %v", method, path, status, want, body)
				}
				return body
			}
			hub := must(200, a.addr, "POST", "/hub", map[string]any{"name": "H", "address": "a", "lat": 1, "lng": 2})["data"].(map[string]any)["_id"]
			var steps []any
			for i := 0; i < 3; i++ {
				f := must(201, a.addr, "POST", "/flow", map[string]any{"name": fmt.Sprintf("S%d", i), "pages": []any{
					map[string]any{"id": "page0", "components": []any{map[string]any{"component": "input", "id": "note", "title": "Note"}}}}})
				steps = append(steps, map[string]any{"flowId": f["flow"].(map[string]any)["_id"], "statusMapping": fmt.Sprintf("Step %d", i)})
			}
			wf := must(201, b.addr, "POST", "/internal/workflows", map[string]any{"name": "Job", "sequential": false, "steps": steps,
				"customStatuses": []any{map[string]any{"name": "Step 0"}, map[string]any{"name": "Step 1"}, map[string]any{"name": "Step 2"}}})
			wfID := wf["data"].(map[string]any)["_id"]
			var children []string
			for i := 0; i < 10; i++ {
				tasks := []any{}
				for range steps {
					tasks = append(tasks, map[string]any{"assignee": "admin@example.com"})
				}
				m := must(201, a.addr, "POST", "/activity", map[string]any{"workflowId": wfID, "hubId": hub, "tasks": tasks})
				for _, id := range m["data"].(map[string]any)["subId"].([]any) {
					children = append(children, id.(string))
				}
			}
			var wg sync.WaitGroup
			for i, id := range children {
				addr := a.addr
				if i%2 == 1 {
					addr = b.addr
				}
				wg.Add(1)
				go func(addr, id string) {
					defer wg.Done()
					if status, body := apiCall(t, addr, "POST", "/task/"+id+"/done", map[string]any{}); status != 200 {
						t.Errorf("done %s: %d %v", id, status, body)
					}
				}(addr, id)
			}
			wg.Wait()

			st := openStore(t, db)
			err := st.View(t.Context(), fieldwork.DemoOrganizationID, func(tx fieldwork.Tx) error {
				all, err := tx.FindTasks(t.Context(), fieldwork.TaskFilter{})
				if err != nil {
					return err
				}
				byID := map[string]*fieldwork.Task{}
				for _, task := range all {
					byID[task.ID] = task
				}
				masters := 0
				for _, m := range all {
					if m.TaskType != fieldwork.TaskTypeActivityMaster {
						continue
					}
					masters++
					var kids []*fieldwork.Task
					for _, id := range m.SubID {
						kids = append(kids, byID[id])
					}
					want := fieldwork.ComputeRollup(kids, m.Workflow.Steps)
					got := fieldwork.Rollup{Status: m.Status, SubStatus: m.SubStatus, Assignee: m.Assignee, StartTime: m.StartTime, EndTime: m.EndTime}
					if m.Status != fieldwork.StatusDone || !reflect.DeepEqual(want, got) {
						t.Errorf("master %s: %s/%v, recomputed %s/%v", m.ID, m.Status, deref(m.SubStatus), want.Status, deref(want.SubStatus))
					}
				}
				if masters != 10 {
					t.Errorf("%d masters", masters)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// openStore opens the store a FIELDWORK_DB value names.
func openStore(t *testing.T, db string) fieldwork.Store {
	t.Helper()
	var st fieldwork.Store
	var err error
	if strings.HasPrefix(db, "sqlite:") {
		st, err = sqlite.Open(strings.TrimPrefix(db, "sqlite:"))
	} else {
		st, err = postgres.Open(t.Context(), db)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
