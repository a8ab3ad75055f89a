package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"log/slog"

	"github.com/fieldwork-dev/fieldwork"
	"github.com/fieldwork-dev/fieldwork/httpapi"
)

// buildServer compiles cmd/fieldwork into dir and returns the binary's path.
func buildServer(ctx context.Context, dir string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(out)) == "" || strings.TrimSpace(string(out)) == os.DevNull {
		return "", fmt.Errorf("run fieldwork-bench inside the fieldwork module, or pass -bin (go env GOMOD: %v)", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	bin := filepath.Join(dir, "fieldwork")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/fieldwork")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/fieldwork: %v\n%s", err, out)
	}
	return bin, nil
}

// server is a running fieldwork server: the real binary, as deployed, or (-profile) the same
// handler inside this process, so that a CPU profile sees it.
type server struct {
	cmd   *exec.Cmd
	base  string // http://127.0.0.1:port/api/v3
	token string // the bootstrap Owner token of the demo organization
	log   *os.File
	// in process
	http  *http.Server
	store fieldwork.Store
}

// startInProcess serves the API from this process, built as cmd/fieldwork builds it.
func startInProcess(ctx context.Context, db *database, logPath string) (*server, error) {
	st, err := db.openStore(ctx)
	if err != nil {
		return nil, err
	}
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		st.Close()
		return nil, err
	}
	logger := slog.New(slog.NewJSONHandler(logf, nil))
	svc := fieldwork.NewService(st)
	svc.Logger = logger
	if _, err := svc.Bootstrap(ctx, db.token); err != nil {
		st.Close()
		logf.Close()
		return nil, err
	}
	api := httpapi.NewServer(svc, logger, "")
	api.SetRateLimit(0, 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		st.Close()
		logf.Close()
		return nil, err
	}
	hs := &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	return &server{base: "http://" + ln.Addr().String() + "/api/v3", token: db.token, log: logf, http: hs, store: st}, nil
}

// startServer runs `fieldwork serve` on a free loopback port against dsn, with rate limiting
// off (the benchmark is the only client) and JSON request logs written to a file, as a
// production deployment would write them, and waits until it answers /readyz.
func startServer(ctx context.Context, bin, dsn, token, logPath string) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(),
		"FIELDWORK_DB="+dsn, "FIELDWORK_ADDR="+addr, "FIELDWORK_BOOTSTRAP_TOKEN="+token,
		"FIELDWORK_RATE_LIMIT=0", "FIELDWORK_LOG_FORMAT=json")
	cmd.Stdout, cmd.Stderr = logf, logf
	// The server ends with the tool, even when the tool is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	s := &server{cmd: cmd, base: "http://" + addr + "/api/v3", token: token, log: logf}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			s.stop()
			return nil, fmt.Errorf("server did not become ready (log: %s)", logPath)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM and waits for the process to end.
func (s *server) stop() {
	if s == nil {
		return
	}
	if s.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = s.http.Shutdown(ctx)
		s.store.Close()
		s.log.Close()
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(40 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
	s.log.Close()
}

// rss returns the server's resident set size now and its peak so far (VmRSS, VmHWM), in bytes.
func (s *server) rss() (now, peak int64) {
	path := "/proc/self/status" // in process: the whole process, load generator included
	if s.cmd != nil {
		path = fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if k == "VmRSS" {
			now = kb * 1024
		} else {
			peak = kb * 1024
		}
	}
	return now, peak
}
