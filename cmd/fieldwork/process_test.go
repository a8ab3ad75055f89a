package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
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
