package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "modernc.org/sqlite" // the driver the SQLite store uses

	"github.com/fieldwork-dev/fieldwork"
	"github.com/fieldwork-dev/fieldwork/postgres"
	"github.com/fieldwork-dev/fieldwork/sqlite"
)

// database is one fresh, migrated database of an engine: the FIELDWORK_DB the server is
// started with, and a raw driver handle for the ceiling and the seeding, which bypass the
// server entirely.
type database struct {
	engine string
	dsn    string // FIELDWORK_DB
	token  string // the demo organization's Owner token, given to every server started on it
	raw    rawDB
	drop   func()
}

// rawDB runs transactions straight through the engine's driver.
type rawDB interface {
	// tx runs fn in one read-write transaction, as the stores run theirs (SQLite: IMMEDIATE on
	// the one write connection; PostgreSQL: READ COMMITTED on a pool).
	tx(ctx context.Context, fn func(rawTx) error) error
	// exec runs one statement outside a transaction.
	exec(ctx context.Context, query string, args ...any) error
	// queryRow scans one row.
	queryRow(ctx context.Context, dst []any, query string, args ...any) error
	close()
}

type rawTx interface {
	exec(ctx context.Context, query string, args ...any) error
	queryRow(ctx context.Context, dst []any, query string, args ...any) error
}

// openDatabase creates a fresh database of engine: an SQLite file in dir, or a schema of its
// own in the PostgreSQL database pgDSN names (dropped by drop, unless keep).
func openDatabase(ctx context.Context, engine, dir, pgDSN string, keep bool) (*database, error) {
	switch engine {
	case "sqlite":
		path := filepath.Join(dir, "fieldwork-"+randomHex(4)+".db")
		st, err := sqlite.Open(path)
		if err != nil {
			return nil, err
		}
		err = st.Migrate(ctx)
		st.Close()
		if err != nil {
			return nil, err
		}
		raw, err := openSQLiteRaw(path)
		if err != nil {
			return nil, err
		}
		return &database{engine: engine, dsn: "sqlite:" + path, token: fieldwork.NewTokenSecret(), raw: raw, drop: func() {
			raw.close()
			if !keep {
				for _, suffix := range []string{"", "-wal", "-shm"} {
					os.Remove(path + suffix)
				}
			}
		}}, nil
	case "postgres":
		if pgDSN == "" {
			return nil, fmt.Errorf("postgres: no database (set -pg or FIELDWORK_TEST_POSTGRES)")
		}
		schema := "fieldwork_bench_" + randomHex(6)
		admin, err := pgx.Connect(ctx, pgDSN)
		if err != nil {
			return nil, err
		}
		defer admin.Close(context.Background())
		if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
			return nil, err
		}
		dsn := withSearchPath(pgDSN, schema)
		st, err := postgres.Open(ctx, dsn)
		if err != nil {
			return nil, err
		}
		err = st.Migrate(ctx)
		st.Close()
		if err != nil {
			return nil, err
		}
		raw, err := openPostgresRaw(ctx, dsn)
		if err != nil {
			return nil, err
		}
		return &database{engine: engine, dsn: dsn, token: fieldwork.NewTokenSecret(), raw: raw, drop: func() {
			raw.close()
			if keep {
				return
			}
			if c, err := pgx.Connect(context.Background(), pgDSN); err == nil {
				_, _ = c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
				c.Close(context.Background())
			}
		}}, nil
	}
	return nil, fmt.Errorf("unknown engine %q (want sqlite or postgres)", engine)
}

// openStore opens the database's store with the project's own code (for the inserts that go
// through the store's path: organizations).
func (db *database) openStore(ctx context.Context) (fieldwork.Store, error) {
	if db.engine == "sqlite" {
		return sqlite.Open(strings.TrimPrefix(db.dsn, "sqlite:"))
	}
	return postgres.Open(ctx, db.dsn)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// withSearchPath sets search_path in a postgres:// URL or a key=value DSN.
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

// SQLite: the store's pragmas, one write connection (SQLite serializes writers anyway; a
// second connection would only wait on the lock), and each statement prepared once, as the
// store does (sqlite.stmtCache): a statement a transaction ran unprepared is prepared before
// the next one begins.
type sqliteRaw struct {
	db    *sql.DB
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
	noted map[string]bool
}

func (r *sqliteRaw) stmt(query string) *sql.Stmt {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st, ok := r.stmts[query]; ok {
		return st
	}
	r.noted[query] = true
	return nil
}

func openSQLiteRaw(path string) (*sqliteRaw, error) {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(5000)", "synchronous(NORMAL)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return &sqliteRaw{db: db, stmts: map[string]*sql.Stmt{}, noted: map[string]bool{}}, nil
}

func (r *sqliteRaw) tx(ctx context.Context, fn func(rawTx) error) error {
	r.mu.Lock()
	noted := r.noted
	r.noted = map[string]bool{}
	r.mu.Unlock()
	for q := range noted {
		if st, err := r.db.PrepareContext(ctx, q); err == nil {
			r.mu.Lock()
			r.stmts[q] = st
			r.mu.Unlock()
		}
	}
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(sqliteTx{tx, r}); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (r *sqliteRaw) exec(ctx context.Context, query string, args ...any) error {
	_, err := r.db.ExecContext(ctx, query, args...)
	return err
}

func (r *sqliteRaw) queryRow(ctx context.Context, dst []any, query string, args ...any) error {
	return r.db.QueryRowContext(ctx, query, args...).Scan(dst...)
}

func (r *sqliteRaw) close() {
	for _, st := range r.stmts {
		st.Close()
	}
	r.db.Close()
}

type sqliteTx struct {
	tx  *sql.Tx
	raw *sqliteRaw
}

func (t sqliteTx) exec(ctx context.Context, query string, args ...any) error {
	var err error
	if st := t.raw.stmt(query); st != nil {
		_, err = t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	} else {
		_, err = t.tx.ExecContext(ctx, query, args...)
	}
	return err
}

func (t sqliteTx) queryRow(ctx context.Context, dst []any, query string, args ...any) error {
	if st := t.raw.stmt(query); st != nil {
		return t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...).Scan(dst...)
	}
	return t.tx.QueryRowContext(ctx, query, args...).Scan(dst...)
}

// PostgreSQL: a pgx pool of the store's default size, statements prepared and cached per
// connection (pgx's default), as the store's.
type postgresRaw struct{ pool *pgxpool.Pool }

func openPostgresRaw(ctx context.Context, dsn string) (*postgresRaw, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = int32(max(4, runtime.NumCPU()))
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &postgresRaw{pool: pool}, nil
}

func (r *postgresRaw) tx(ctx context.Context, fn func(rawTx) error) error {
	return pgx.BeginTxFunc(ctx, r.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		return fn(pgTx{tx})
	})
}

func (r *postgresRaw) exec(ctx context.Context, query string, args ...any) error {
	_, err := r.pool.Exec(ctx, query, args...)
	return err
}

func (r *postgresRaw) queryRow(ctx context.Context, dst []any, query string, args ...any) error {
	return r.pool.QueryRow(ctx, query, args...).Scan(dst...)
}

func (r *postgresRaw) close() { r.pool.Close() }

type pgTx struct{ tx pgx.Tx }

func (t pgTx) exec(ctx context.Context, query string, args ...any) error {
	_, err := t.tx.Exec(ctx, query, args...)
	return err
}

func (t pgTx) queryRow(ctx context.Context, dst []any, query string, args ...any) error {
	return t.tx.QueryRow(ctx, query, args...).Scan(dst...)
}

// query runs a query and calls each with a scan function for every row.
func (r *sqliteRaw) query(ctx context.Context, query string, args []any, each func(scan func(...any) error) error) error {
	rows, err := r.db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}

// query runs a query and calls each with a scan function for every row.
func (r *postgresRaw) query(ctx context.Context, query string, args []any, each func(scan func(...any) error) error) error {
	rows, err := r.pool.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}
