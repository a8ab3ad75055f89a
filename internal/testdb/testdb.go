// Package testdb opens a fresh, migrated, empty store of a given engine for one test, so that
// every test suite of the project runs unchanged on every storage engine.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fieldwork-dev/fieldwork"
	"github.com/fieldwork-dev/fieldwork/postgres"
	"github.com/fieldwork-dev/fieldwork/sqlite"
)

// Engine names, as they appear in test names (TestX/sqlite, TestX/postgres).
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Engines lists every storage engine the suites run on.
func Engines() []string { return []string{SQLite, Postgres} }

// Open returns a fresh, migrated, empty store of the engine, closed (and removed) when the
// test ends. On PostgreSQL the store works in a schema of its own (see PostgresSchemaDSN) of
// the database FIELDWORK_TEST_POSTGRES names (a postgres:// URL of a database it may create
// schemas in); without it the test is skipped, except under CI=true, where a missing
// PostgreSQL fails the test.
func Open(t testing.TB, engine string) fieldwork.Store {
	t.Helper()
	switch engine {
	case SQLite:
		st, err := sqlite.Open(filepath.Join(t.TempDir(), "fieldwork.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if err := st.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		return st
	case Postgres:
		st, err := postgres.Open(t.Context(), PostgresSchemaDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() }) // before the schema is dropped: cleanups run last-in first
		return st
	}
	t.Fatalf("unknown engine %q", engine)
	return nil
}

// requirePostgres skips (or, under CI, fails) the test when no PostgreSQL is configured.
func requirePostgres(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("FIELDWORK_TEST_POSTGRES")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but FIELDWORK_TEST_POSTGRES is not set: PostgreSQL tests cannot run")
		}
		t.Skip("FIELDWORK_TEST_POSTGRES is not set: PostgreSQL tests skipped (make test starts one)")
	}
	return dsn
}

// PostgresSchemaDSN creates a uniquely named schema in the database of FIELDWORK_TEST_POSTGRES,
// migrates it, and returns a DSN whose connections use it (search_path). The schema is dropped
// with everything in it when the test ends, after the cleanups registered later (a store's
// Close, a server process's stop) have run. Tests that start server processes pass the DSN to
// them as FIELDWORK_DB. Skips or fails as Open does when no PostgreSQL is configured.
func PostgresSchemaDSN(t testing.TB) string {
	t.Helper()
	dsn := PostgresEmptySchemaDSN(t)
	st, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return dsn
}

// PostgresEmptySchemaDSN is PostgresSchemaDSN without the migrations: the schema is empty, for
// tests of migrating itself.
func PostgresEmptySchemaDSN(t testing.TB) string {
	t.Helper()
	base := requirePostgres(t)
	var b [8]byte
	rand.Read(b[:])
	schema := "fieldwork_test_" + hex.EncodeToString(b[:])
	admin := func(ctx context.Context, sql string) error {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			return err
		}
		defer conn.Close(context.Background())
		_, err = conn.Exec(ctx, sql)
		return err
	}
	ident := pgx.Identifier{schema}.Sanitize()
	if err := admin(t.Context(), "CREATE SCHEMA "+ident); err != nil {
		t.Fatalf("create a schema for the test: %v", err)
	}
	t.Cleanup(func() {
		// The test's context is already cancelled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := admin(ctx, "DROP SCHEMA "+ident+" CASCADE"); err != nil {
			t.Errorf("drop the test's schema %s: %v", schema, err)
		}
	})
	return withSearchPath(base, schema)
}

// withSearchPath sets the search_path runtime parameter in a postgres:// URL or a key=value
// DSN, so that every connection made from it works in schema.
func withSearchPath(dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		if u, err := url.Parse(dsn); err == nil {
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return dsn + " search_path=" + schema
}
