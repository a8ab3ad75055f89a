package postgres

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

func pgErr(code string) error { return &pgconn.PgError{Code: code, Message: "test"} }

func TestRetryable(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"serialization failure", pgErr("40001"), true},
		{"deadlock", pgErr("40P01"), true},
		{"wrapped deadlock", fmt.Errorf("update task: %w", pgErr("40P01")), true},
		{"joined with a rollback error", errors.Join(pgErr("40001"), errors.New("rollback")), true},
		{"unique violation", pgErr("23505"), false},
		{"read-only transaction", pgErr("25006"), false},
		{"other error", errors.New("boom"), false},
		{"context cancelled", context.Canceled, false},
		{"nil", nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := retryable(tt.err); got != tt.want {
				t.Errorf("retryable(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

// TestRetry checks the loop of transact: what is retried, how often, and what is returned.
func TestRetry(t *testing.T) {
	boom, serial, deadlock, unique := errors.New("boom"), pgErr("40001"), pgErr("40P01"), pgErr("23505")
	for _, tt := range []struct {
		name      string
		results   []error // what successive attempts return; the last one repeats
		wantCalls int
		wantErr   error
	}{
		{"success", []error{nil}, 1, nil},
		{"serialization failure, then success", []error{serial, nil}, 2, nil},
		{"two deadlocks, then success", []error{deadlock, deadlock, nil}, 3, nil},
		{"not retryable", []error{boom, nil}, 1, boom},
		{"unique violation is not retried", []error{unique, nil}, 1, unique},
		{"retryable, then another error", []error{serial, boom, nil}, 2, boom},
		{"always failing: bounded", []error{serial}, maxAttempts, serial},
	} {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			err := retry(context.Background(), maxAttempts, func() error {
				r := tt.results[min(calls, len(tt.results)-1)]
				calls++
				return r
			})
			if calls != tt.wantCalls {
				t.Errorf("%d attempts, want %d", calls, tt.wantCalls)
			}
			if err != tt.wantErr {
				t.Errorf("retry = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// TestRetryStopsWithContext checks that a cancelled context ends the waiting between attempts.
func TestRetryStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	start := time.Now()
	err := retry(ctx, 1000, func() error {
		calls++
		if calls == 3 {
			cancel()
		}
		return pgErr("40001")
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("retry = %v, want the context's error", err)
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "40001" {
		t.Errorf("retry = %v, want the last failure too", err)
	}
	if calls != 3 {
		t.Errorf("%d attempts after cancel at the 3rd, want 3", calls)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("retry took %v after the context was cancelled", d)
	}
}

func TestPoolConfig(t *testing.T) {
	for _, tt := range []struct {
		dsn  string
		want string
	}{
		{"postgres://u@localhost:5432/db?sslmode=disable", "force_custom_plan"},
		{"postgres://u@localhost:5432/db?plan_cache_mode=auto", "auto"},
		{"host=localhost user=u dbname=db search_path=s", "force_custom_plan"},
	} {
		cfg, err := poolConfig(tt.dsn)
		if err != nil {
			t.Fatalf("poolConfig(%q): %v", tt.dsn, err)
		}
		if got := cfg.ConnConfig.RuntimeParams["plan_cache_mode"]; got != tt.want {
			t.Errorf("poolConfig(%q): plan_cache_mode = %q, want %q", tt.dsn, got, tt.want)
		}
	}
}
