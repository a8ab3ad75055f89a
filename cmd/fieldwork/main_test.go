package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fieldwork-dev/fieldwork"
	"github.com/fieldwork-dev/fieldwork/internal/testdb"
	"github.com/fieldwork-dev/fieldwork/postgres"
	"github.com/fieldwork-dev/fieldwork/sqlite"
)

const bootstrapToken = "test-bootstrap-token-0123456789abcdef"

// envOf returns a getenv reading from vars.
func envOf(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// eachEngine runs fn once per storage engine, as the subtests t/sqlite and t/postgres, so that
// the commands are tested on every engine; freshDB gives fn a database of the subtest's engine.
func eachEngine(t *testing.T, fn func(t *testing.T)) {
	t.Helper()
	for _, engine := range testdb.Engines() {
		t.Run(engine, fn)
	}
}

// freshDB returns the FIELDWORK_DB of a new database of the engine of the test run by
// eachEngine (the subtest directly under the top-level test), removed when the test ends. On
// PostgreSQL it is a schema of FIELDWORK_TEST_POSTGRES, already migrated; without
// FIELDWORK_TEST_POSTGRES the test skips (fails under CI=true).
func freshDB(t *testing.T) string {
	t.Helper()
	parts := strings.Split(t.Name(), "/")
	if len(parts) < 2 || !slices.Contains(testdb.Engines(), parts[1]) {
		t.Fatalf("freshDB called outside eachEngine (test %s)", t.Name())
	}
	if parts[1] == testdb.Postgres {
		return testdb.PostgresSchemaDSN(t)
	}
	return "sqlite:" + filepath.Join(t.TempDir(), "db")
}

// openDB opens the store a FIELDWORK_DB names, without migrating it.
func openDB(t *testing.T, db string) fieldwork.Store {
	t.Helper()
	if path, ok := strings.CutPrefix(db, "sqlite:"); ok {
		st, err := sqlite.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	st, err := postgres.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// authenticate opens the database db (a FIELDWORK_DB) and resolves secret to its user.
func authenticate(t *testing.T, db, secret string) (*fieldwork.User, error) {
	t.Helper()
	st := openDB(t, db)
	defer st.Close()
	c, err := fieldwork.NewService(st).Authenticate(context.Background(), secret)
	if err != nil {
		return nil, err
	}
	return c.User, nil
}

func TestOrgCreate(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		db := freshDB(t)
		getenv := envOf(map[string]string{"FIELDWORK_DB": db})
		var stdout, stderr bytes.Buffer
		err := Run(context.Background(), []string{"org", "create", "--name", "X", "--owner", "O@x.test"}, getenv, &stdout, &stderr)
		if err != nil {
			t.Fatalf("org create: %v\n%s", err, stderr.String())
		}
		m := regexp.MustCompile(`(?m)^token: (\S+)$`).FindStringSubmatch(stdout.String())
		if m == nil {
			t.Fatalf("no token printed:\n%s", stdout.String())
		}
		u, err := authenticate(t, db, m[1])
		if err != nil {
			t.Fatalf("printed token does not authenticate: %v", err)
		}
		if u.Email != "o@x.test" || !u.IsOwner() || u.Status != fieldwork.UserActive {
			t.Fatalf("token belongs to %+v", u)
		}
		if _, err := authenticate(t, db, m[1]+"x"); fieldwork.ErrorCode(err) != fieldwork.EUNAUTHORIZED {
			t.Fatalf("wrong token: err %v", err)
		}

		for _, tt := range []struct {
			name string
			args []string
			want string // substring of the error
		}{
			{"missing owner", []string{"org", "create", "--name", "Y"}, "usage"},
			{"missing subcommand", []string{"org"}, "usage"},
			{"bad email", []string{"org", "create", "--name", "Y", "--owner", "nope"}, "email"},
			{"unknown flag", []string{"org", "create", "--nope"}, "not defined"},
			{"unknown command", []string{"frobnicate"}, "unknown command"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				err := Run(context.Background(), tt.args, getenv, io.Discard, io.Discard)
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("err %v, want one containing %q", err, tt.want)
				}
			})
		}
	})
}

func TestMigrate(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		db := freshDB(t)
		getenv := envOf(map[string]string{"FIELDWORK_DB": db})
		// The second run finds nothing to do (on PostgreSQL neither does the first: freshDB
		// hands out a migrated schema, so there the test checks that migrate accepts it).
		for i := range 2 {
			var stdout bytes.Buffer
			if err := Run(context.Background(), []string{"migrate"}, getenv, &stdout, io.Discard); err != nil {
				t.Fatalf("run %d: %v", i, err)
			}
			if !strings.Contains(stdout.String(), "migrations applied") {
				t.Fatalf("run %d printed %q", i, stdout.String())
			}
		}
		// The schema is in place: an organization can be stored.
		st := openDB(t, db)
		defer st.Close()
		if _, _, _, err := fieldwork.NewService(st).CreateOrganization(context.Background(), "X", "o@x.test", ""); err != nil {
			t.Fatalf("schema missing after migrate: %v", err)
		}
	})
	if err := Run(context.Background(), []string{"migrate"}, envOf(map[string]string{"FIELDWORK_DB": "mysql://x"}), io.Discard, io.Discard); err == nil {
		t.Fatal("unsupported store accepted")
	}
}

// getUser sends GET /api/v3/user with token to the server at addr.
func getUser(t *testing.T, addr, token string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+addr+"/api/v3/user", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(res.Body).Decode(&body)
	return res.StatusCode, body
}

func TestServeBootstrap(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		for _, tt := range []struct {
			name  string
			token string // FIELDWORK_BOOTSTRAP_TOKEN
		}{
			{"configured token", bootstrapToken},
			{"generated token", ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				cfg := LoadConfig(envOf(map[string]string{
					"FIELDWORK_DB": freshDB(t), "FIELDWORK_ADDR": "127.0.0.1:0", "FIELDWORK_BOOTSTRAP_TOKEN": tt.token,
				}))
				var stderr bytes.Buffer
				m := &Main{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), stderr: &stderr}
				if err := m.Open(context.Background()); err != nil {
					t.Fatal(err)
				}
				token := tt.token
				if token == "" {
					found := regexp.MustCompile(`Owner token \(shown once\): (\S+)`).FindStringSubmatch(stderr.String())
					if found == nil {
						m.Close()
						t.Fatalf("generated token not printed: %q", stderr.String())
					}
					token = found[1]
				} else if strings.Contains(stderr.String(), token) {
					t.Errorf("configured token echoed: %q", stderr.String())
				}
				status, body := getUser(t, m.Addr, token)
				if status != http.StatusOK || body["email"] != "admin@example.com" {
					t.Errorf("GET /user: %d %v", status, body)
				}
				if org, _ := body["organization"].(map[string]any); org == nil || org["name"] != "Demo" {
					t.Errorf("organization: %v", body["organization"])
				}
				if status, _ := getUser(t, m.Addr, "wrong"); status != http.StatusUnauthorized {
					t.Errorf("wrong token: %d", status)
				}
				if err := m.Close(); err != nil {
					t.Fatal(err)
				}

				// A second start on the same store creates nothing and prints no token.
				stderr.Reset()
				m = &Main{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), stderr: &stderr}
				if err := m.Open(context.Background()); err != nil {
					t.Fatal(err)
				}
				defer m.Close()
				if stderr.Len() != 0 {
					t.Errorf("second start printed %q", stderr.String())
				}
				if status, _ := getUser(t, m.Addr, token); status != http.StatusOK {
					t.Errorf("token after restart: %d", status)
				}
			})
		}
	})
}

// TestRunServe starts the real program through Run and stops it by cancelling its context.
func TestRunServe(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		// Reserve a free port: Run does not report the address it bound.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()

		getenv := envOf(map[string]string{
			"FIELDWORK_DB": freshDB(t), "FIELDWORK_ADDR": addr,
			"FIELDWORK_BOOTSTRAP_TOKEN": bootstrapToken, "FIELDWORK_LOG_FORMAT": "json",
		})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- Run(ctx, []string{"serve"}, getenv, io.Discard, io.Discard) }()

		deadline := time.Now().Add(10 * time.Second)
		for {
			if c, err := net.Dial("tcp", addr); err == nil {
				c.Close()
				break
			}
			select {
			case err := <-done:
				t.Fatalf("serve exited early: %v", err)
			default:
			}
			if time.Now().After(deadline) {
				cancel()
				t.Fatal("server did not start")
			}
			time.Sleep(20 * time.Millisecond)
		}
		if status, body := getUser(t, addr, bootstrapToken); status != http.StatusOK || body["email"] != "admin@example.com" {
			t.Errorf("GET /user: %d %v", status, body)
		}
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("serve returned %v", err)
			}
		case <-time.After(35 * time.Second):
			t.Fatal("serve did not stop")
		}
	})
}
