// Package testdb opens a fresh, migrated, empty store of a given engine for one test, so that
// every test suite of the project runs unchanged on every storage engine.
package testdb

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/fieldwork-dev/fieldwork"
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
// test ends. For PostgreSQL it needs FIELDWORK_TEST_POSTGRES (a postgres:// URL of a database
// it may create schemas in); without it the test is skipped, except under CI=true, where a
// missing PostgreSQL fails the test.
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
		requirePostgres(t)
		t.Skip("the PostgreSQL store is not built yet")
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
