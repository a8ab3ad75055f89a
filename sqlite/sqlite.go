// Package sqlite is the embedded Store of Fieldwork on SQLite (modernc.org/sqlite, pure Go).
//
// Writes go through one connection in IMMEDIATE transactions, so they are serialized and never
// fail with "database is locked"; reads use a separate pool and see a consistent WAL snapshot.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/fieldwork-dev/fieldwork"
	"github.com/fieldwork-dev/fieldwork/internal/doccache"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store implements fieldwork.Store on an SQLite database file.
type Store struct {
	write *sql.DB
	read  *sql.DB
	// Prepared statements of each pool (see stmtCache).
	writeStmts, readStmts *stmtCache
	// Decoded flows and workflows (see FindFlowByID).
	flows     *doccache.Cache[fieldwork.Flow]
	workflows *doccache.Cache[fieldwork.Workflow]
}

var _ fieldwork.Store = (*Store)(nil)

// dsn builds the connection string: the pragmas ride in the DSN so every pooled connection
// has them.
func dsn(path string, txlock string, readOnly bool) string {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(5000)", "synchronous(NORMAL)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	if readOnly {
		// The driver ignores sql.TxOptions.ReadOnly; this makes View transactions refuse writes.
		q.Add("_pragma", "query_only(1)")
	}
	q.Set("_txlock", txlock)
	return "file:" + path + "?" + q.Encode()
}

// Open opens (creating if needed) the database file at path. Call Migrate before use.
func Open(path string) (*Store, error) {
	w, err := sql.Open("sqlite", dsn(path, "immediate", false))
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	r, err := sql.Open("sqlite", dsn(path, "deferred", true))
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(max(4, runtime.NumCPU()))
	return &Store{write: w, read: r, writeStmts: &stmtCache{db: w}, readStmts: &stmtCache{db: r},
		flows: doccache.New[fieldwork.Flow](doccache.DefaultLimit), workflows: doccache.New[fieldwork.Workflow](doccache.DefaultLimit)}, nil
}

// Migrate applies the embedded migrations that have not run yet.
func (s *Store) Migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, s.write, sub)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Close closes both pools.
func (s *Store) Close() error {
	s.writeStmts.close()
	s.readStmts.close()
	return errors.Join(s.read.Close(), s.write.Close())
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.read.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Update runs fn in one IMMEDIATE transaction on the write connection.
func (s *Store) Update(ctx context.Context, orgID fieldwork.ID, fn func(fieldwork.Tx) error) error {
	return s.run(ctx, s.write, s.writeStmts, orgID, false, fn)
}

// View runs fn in one read transaction on the read pool.
func (s *Store) View(ctx context.Context, orgID fieldwork.ID, fn func(fieldwork.Tx) error) error {
	return s.run(ctx, s.read, s.readStmts, orgID, true, fn)
}

func (s *Store) run(ctx context.Context, db *sql.DB, stmts *stmtCache, orgID fieldwork.ID, readOnly bool, fn func(fieldwork.Tx) error) (err error) {
	stmts.prepareNoted(ctx)
	sqlTx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: readOnly})
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = sqlTx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = sqlTx.Rollback()
		}
	}()
	tx := &Tx{tx: sqlTx, org: orgID, stmts: stmts, store: s}
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.flushTouches(ctx); err != nil {
		return err
	}
	if err = sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Tx is one transaction confined to one organization.
type Tx struct {
	tx    *sql.Tx
	org   fieldwork.ID
	stmts *stmtCache
	store *Store
	// read holds the task rows this transaction read and has not written since (see
	// FindTaskByID).
	read map[fieldwork.ID]readTask
	// The task writes not yet counted in organization_state (see touchTasks).
	touches, touchedAt int64
}

// OrganizationID returns the organization the transaction is confined to.
func (tx *Tx) OrganizationID() fieldwork.ID { return tx.org }

// getDoc runs a query returning one doc column and decodes it into dst; no row → notFound.
func (tx *Tx) getDoc(ctx context.Context, notFound error, dst any, query string, args ...any) error {
	doc, err := tx.getRaw(ctx, notFound, query, args...)
	if err != nil {
		return err
	}
	return json.Unmarshal([]byte(doc), dst)
}

// getRaw runs a query returning one doc column and returns it undecoded; no row → notFound.
func (tx *Tx) getRaw(ctx context.Context, notFound error, query string, args ...any) (string, error) {
	var doc string
	err := tx.queryRowContext(ctx, query, args...).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFound
	}
	return doc, err
}

// docs runs a query returning doc columns and decodes each with newItem.
func docs[T any](ctx context.Context, tx *Tx, query string, args ...any) ([]*T, error) {
	rows, err := tx.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*T
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, err
		}
		v := new(T)
		if err := json.Unmarshal([]byte(doc), v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func (tx *Tx) count(ctx context.Context, query string, args ...any) (int, error) {
	var n int
	err := tx.queryRowContext(ctx, query, args...).Scan(&n)
	return n, err
}

// exec runs a write and, when wantRows, returns notFound if it touched no row.
func (tx *Tx) exec(ctx context.Context, notFound error, query string, args ...any) error {
	res, err := tx.execContext(ctx, query, args...)
	if err != nil {
		return err
	}
	if notFound != nil {
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return notFound
		}
	}
	return nil
}

// stmtCache keeps the prepared statements of one pool by query text: SQLite parses and plans a
// statement each time it is prepared, which took 15-20 % of a task write transaction's time
// (issue 6, cmd/fieldwork-bench profiles). A statement is prepared outside any transaction,
// since preparing on the write pool inside one would wait for its only connection: a
// transaction notes the queries it ran unprepared, and the next transaction of the pool
// prepares them before it begins (database/sql then prepares each on every connection that
// runs it, once). Only queries with a fixed text go through it (getDoc, count, exec and the
// task, history and event writes); at most maxStmts of them.
type stmtCache struct {
	db    *sql.DB
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
	noted map[string]bool
}

const maxStmts = 256

// lookup returns the prepared statement of query, or nil after noting it for preparation.
func (c *stmtCache) lookup(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.stmts[query]; ok {
		return st
	}
	if len(c.stmts)+len(c.noted) < maxStmts {
		if c.noted == nil {
			c.noted = map[string]bool{}
		}
		c.noted[query] = true
	}
	return nil
}

// prepareNoted prepares the noted queries; one that fails (a table not migrated yet) stays
// unprepared until it is noted again.
func (c *stmtCache) prepareNoted(ctx context.Context) {
	c.mu.Lock()
	noted := c.noted
	c.noted = nil
	c.mu.Unlock()
	for query := range noted {
		st, err := c.db.PrepareContext(ctx, query)
		if err != nil {
			continue
		}
		c.mu.Lock()
		if _, ok := c.stmts[query]; ok {
			st.Close()
		} else {
			if c.stmts == nil {
				c.stmts = map[string]*sql.Stmt{}
			}
			c.stmts[query] = st
		}
		c.mu.Unlock()
	}
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.stmts {
		st.Close()
	}
	c.stmts = nil
}

// execContext runs a statement of fixed text, prepared once (stmtCache).
func (tx *Tx) execContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := tx.stmts.lookup(query); st != nil {
		return tx.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return tx.tx.ExecContext(ctx, query, args...)
}

// queryRowContext runs a query of fixed text, prepared once (stmtCache).
func (tx *Tx) queryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := tx.stmts.lookup(query); st != nil {
		return tx.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return tx.tx.QueryRowContext(ctx, query, args...)
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("sqlite: encode %T: %v", v, err))
	}
	return string(b)
}

// isUnique reports whether err is a UNIQUE constraint violation.
func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// limitOffset renders LIMIT/OFFSET; limit 0 means no limit.
func limitOffset(limit, offset int) string {
	if limit <= 0 {
		return fmt.Sprintf(" LIMIT -1 OFFSET %d", offset)
	}
	return fmt.Sprintf(" LIMIT %d OFFSET %d", limit, offset)
}

func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(s)) + "%"
}

func placeholder(n int) string { return fmt.Sprintf("$%d", n) }

func fromMicro(us int64) time.Time { return time.UnixMicro(us).UTC() }

// where accumulates AND-ed conditions whose `?` marks become numbered placeholders; it
// always starts with the organization.
type where struct {
	conds []string
	args  []any
}

func newWhere(orgID fieldwork.ID) *where {
	return &where{conds: []string{"organization_id = $1"}, args: []any{orgID}}
}

func (w *where) add(cond string, vals ...any) {
	var b strings.Builder
	i := 0
	for _, r := range cond {
		if r == '?' && i < len(vals) {
			w.args = append(w.args, vals[i])
			i++
			b.WriteString(placeholder(len(w.args)))
			continue
		}
		b.WriteRune(r)
	}
	w.conds = append(w.conds, b.String())
}

// in adds "col IN (…)" for the values; an empty list matches nothing.
func (w *where) in(col string, vals []string) {
	if len(vals) == 0 {
		w.add("1 = 0")
		return
	}
	marks := strings.TrimSuffix(strings.Repeat("?,", len(vals)), ",")
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = v
	}
	w.add(col+" IN ("+marks+")", args...)
}

func (w *where) sql() (string, []any) { return strings.Join(w.conds, " AND "), w.args }

// PoolStats reports the connections of both pools (for metrics).
func (s *Store) PoolStats() (open, inUse, idle int) {
	for _, db := range []*sql.DB{s.write, s.read} {
		st := db.Stats()
		open, inUse, idle = open+st.OpenConnections, inUse+st.InUse, idle+st.Idle
	}
	return open, inUse, idle
}
