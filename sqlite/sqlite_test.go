package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/fieldwork-dev/fieldwork"
	"github.com/fieldwork-dev/fieldwork/sqlite"
	"github.com/fieldwork-dev/fieldwork/storetest"
)

// TestStore runs the Store conformance suite against SQLite, each test on its own temp file.
func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) fieldwork.Store {
		s, err := sqlite.Open(filepath.Join(t.TempDir(), "x.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Error(err)
			}
		})
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		return s
	})
}
