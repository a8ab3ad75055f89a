// Package postgres is the Store of Fieldwork on PostgreSQL (github.com/jackc/pgx/v5 with
// pgxpool): the production store, shared by any number of stateless server instances.
//
// It behaves exactly like the SQLite store (both pass storetest.Run); the differences are the
// engines':
//
//   - Update runs fn in a READ COMMITTED transaction, and FindTaskByID locks the task row in it
//     (SELECT … FOR UPDATE), so concurrent changes of one task, or of one activity's children
//     (which all lock their master), are serialized where SQLite serializes every write.
//   - View runs fn in a REPEATABLE READ READ ONLY transaction: one snapshot for all of fn, as
//     an SQLite read transaction has, and every write fails.
//   - One helper, transact, runs both, and runs fn again when PostgreSQL reports a
//     serialization failure or a deadlock (SQLSTATE 40001, 40P01).
//   - Object documents are JSONB, so flow values can be queried and indexed. JSONB keeps a
//     document's meaning, not its spelling: inside a task's flow values, the keys of a JSON
//     object come back in JSONB's order (by length, then bytes) and a number written with an
//     exponent in plain notation. Flows are the exception, kept as JSON (an exact copy), since
//     the Store contract keeps the spelling of their raw configurations.
//   - PostgreSQL cannot store the NUL character (\u0000) in text nor, in JSONB, an unpaired
//     UTF-16 surrogate escape; a task, hub or workflow holding one is refused as invalid input
//     of that resource (SQLite stores it).
//
// Where the engines do not differ, the store makes PostgreSQL behave as SQLite: every text
// column is COLLATE "C" (byte order, lower() of ASCII only), and a write refused for a taken
// name undoes only itself (a savepoint), leaving the transaction usable.
//
// The SQL stays portable to distributed PostgreSQL-compatible engines (Citus): no sequences or
// serials (ids are made by the application), no advisory locks (migrations are serialized by
// goose's lock table), no LISTEN/NOTIFY, every statement names organization_id, and no join
// crosses organizations. The exceptions are documented: FindCredential looks a token up by
// hash alone, with its user (a request's organization is known only once its token is),
// CountOrganizations counts every organization (once, at start-up), and the webhook dispatcher reads which
// organizations have due deliveries and the queue depth across organizations (lock-free reads;
// each organization's deliveries are then claimed in its own transaction). The NUL character is
// also refused earlier, when request bodies are decoded, so both engines answer alike. goose's own bookkeeping
// tables (goose_db_version, goose_lock) are not ours: on Citus they stay local tables of the
// coordinator.
package postgres

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/fieldwork-dev/fieldwork"
	"github.com/fieldwork-dev/fieldwork/internal/doccache"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store implements fieldwork.Store on a PostgreSQL database.
type Store struct {
	pool *pgxpool.Pool
	// Decoded flows and workflows (see FindFlowByID).
	flows     *doccache.Cache[fieldwork.Flow]
	workflows *doccache.Cache[fieldwork.Workflow]
}

var _ fieldwork.Store = (*Store)(nil)

// Open connects a pool to the database at dsn (a postgres:// URL or a key=value string; pgx
// reads pool settings such as pool_max_conns and runtime parameters such as search_path from
// it). Connections are made lazily: Migrate or Ping reports an unreachable database. Call
// Migrate before use.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := poolConfig(dsn)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return &Store{pool: pool,
		flows: doccache.New[fieldwork.Flow](doccache.DefaultLimit), workflows: doccache.New[fieldwork.Workflow](doccache.DefaultLimit)}, nil
}

// poolConfig parses dsn and sets plan_cache_mode=force_custom_plan on every connection, unless
// the DSN sets it. pgx prepares each statement once per connection, and after five runs
// PostgreSQL may switch a prepared statement to a generic plan, made without the parameter
// values, the same for a rare status as for a common one. Measured at 1M tasks of one
// organization: after five lists by two common statuses, a list by two rare ones ran the
// generic plan, which walks the organization's creation-time index (1 s), where a plan made
// for the values reads the status index (under 1 ms). Planning each run costs a fraction of a
// millisecond.
func poolConfig(dsn string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["plan_cache_mode"]; !ok {
		cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	}
	return cfg, nil
}

// Migration lock timing: a second instance starting beside one that migrates tries again about
// every half second, for long enough to outlast the 30 s lease of a lock whose holder died.
const (
	lockRetryInterval = 500 * time.Millisecond
	lockRetries       = 240
)

// Migrate applies the embedded migrations that have not run yet. Instances starting at once
// take turns through goose's lock table (one row, leased and kept alive while held), not an
// advisory lock, which distributed engines do not share between nodes.
func (s *Store) Migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	locker, err := lock.NewPostgresTableLocker(lock.WithTableLockTimeout(lockRetryInterval, lockRetries))
	if err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	db := stdlib.OpenDBFromPool(s.pool) // closing it leaves the pool open
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub, goose.WithLocker(locker))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Close closes the pool, waiting for connections in use to be released.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.pool.Ping(ctx)
}

// PoolStats reports the pool's connections (for metrics): open, in use and idle.
func (s *Store) PoolStats() (open, inUse, idle int) {
	st := s.pool.Stat()
	return int(st.TotalConns()), int(st.AcquiredConns()), int(st.IdleConns())
}

// Update runs fn in one READ COMMITTED read-write transaction, again when it must be retried.
func (s *Store) Update(ctx context.Context, orgID fieldwork.ID, fn func(fieldwork.Tx) error) error {
	return s.transact(ctx, orgID, false, fn)
}

// View runs fn in one REPEATABLE READ READ ONLY transaction.
func (s *Store) View(ctx context.Context, orgID fieldwork.ID, fn func(fieldwork.Tx) error) error {
	return s.transact(ctx, orgID, true, fn)
}

// Retry bounds of transact: at most maxAttempts runs of fn, with a random pause of up to
// baseBackoff·2^n (at most maxBackoff) after the n-th failed one, so that the transactions
// that collided do not collide again in step.
const (
	maxAttempts = 8
	baseBackoff = 5 * time.Millisecond
	maxBackoff  = 250 * time.Millisecond
)

// transact is the one way the store runs a transaction. A read-write one (Update) is READ
// COMMITTED: each statement sees what committed before it, and the row locks FindTaskByID
// takes order concurrent writers. A read-only one (View) is REPEATABLE READ READ ONLY: one
// snapshot for all of fn, and PostgreSQL refuses every write. When fn or the commit fails with
// a serialization failure or a deadlock, the whole transaction is rolled back and fn runs again
// (the Store contract allows it), up to maxAttempts times and while ctx is not done.
func (s *Store) transact(ctx context.Context, orgID fieldwork.ID, readOnly bool, fn func(fieldwork.Tx) error) error {
	opts := pgx.TxOptions{IsoLevel: pgx.ReadCommitted, AccessMode: pgx.ReadWrite}
	if readOnly {
		opts = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	}
	return retry(ctx, maxAttempts, func() error {
		// BeginTxFunc commits when fn returns nil and rolls back otherwise, also on a panic.
		return pgx.BeginTxFunc(ctx, s.pool, opts, func(ptx pgx.Tx) error {
			tx := &Tx{tx: ptx, org: orgID, lockRows: !readOnly, store: s}
			if err := fn(tx); err != nil {
				return err
			}
			return tx.flush(ctx)
		})
	})
}

// retry calls attempt until it succeeds, fails in a way a new attempt cannot help, has been
// called attempts times, or ctx is done while it waits; it returns the last error.
func retry(ctx context.Context, attempts int, attempt func() error) error {
	for n := 1; ; n++ {
		err := attempt()
		if err == nil || !retryable(err) || n >= attempts {
			return err
		}
		pause := time.NewTimer(rand.N(min(maxBackoff, baseBackoff<<n)))
		select {
		case <-ctx.Done():
			pause.Stop()
			return errors.Join(err, ctx.Err())
		case <-pause.C:
		}
	}
}

// SQLSTATE codes the store acts on.
const (
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
	codeUniqueViolation      = "23505"
	codeUntranslatable       = "22P05" // JSONB: \u0000
	codeNotInRepertoire      = "22021" // text: a NUL byte
	codeInvalidText          = "22P02" // JSONB: an unpaired surrogate escape such as \ud800
)

// retryable reports whether err is a failure that the same transaction may not meet again: a
// serialization failure or a deadlock, after which PostgreSQL has rolled the transaction back.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == codeSerializationFailure || pgErr.Code == codeDeadlockDetected)
}

// storable returns err, or an EINVALID error with failedCode when PostgreSQL refused the write
// for a character that valid JSON can carry but its text and JSONB types cannot hold: NUL
// (\u0000), and in JSONB an unpaired UTF-16 surrogate. SQLite stores both; here they are bad
// input, not an internal error. Every parameter the store sends is typed, so these codes can
// only come from the text of a document or a string.
func storable(err error, failedCode string) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case codeUntranslatable, codeNotInRepertoire, codeInvalidText:
			return fieldwork.Errorf(fieldwork.EINVALID, failedCode,
				"Text must not contain the NUL character (\\u0000) or an unpaired surrogate (\\ud800-\\udfff)")
		}
	}
	return err
}

// isUnique reports whether err violates the named unique constraint (or unique index).
func isUnique(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == codeUniqueViolation && pgErr.ConstraintName == constraint
}

// Tx is one transaction confined to one organization.
type Tx struct {
	tx    pgx.Tx
	org   fieldwork.ID
	store *Store
	// lockRows is set in Update transactions: FindTaskByID then locks the row it reads.
	lockRows bool
	// locked holds the task rows this Update transaction read and locked and has not written
	// since: no one else can change them before it ends (see FindTaskByID).
	locked map[fieldwork.ID]lockedTask
	// What the transaction writes at its end, in one statement (see flush): the task writes
	// not yet counted in organization_state (touchTasks), the events appended (AppendEvent),
	// the history entries added (AddHistory).
	touches, touchedAt int64
	events             []pendingEvent
	histories          []*fieldwork.History
}

// OrganizationID returns the organization the transaction is confined to.
func (tx *Tx) OrganizationID() fieldwork.ID { return tx.org }

// decode decodes a JSONB document into dst. PostgreSQL prints JSONB with a space after each
// colon and comma; compacting it first gives raw JSON values (flow values, a hub's country)
// the spelling SQLite keeps.
func decode(doc []byte, dst any) error {
	var buf bytes.Buffer
	if err := json.Compact(&buf, doc); err != nil {
		return err
	}
	return json.Unmarshal(buf.Bytes(), dst)
}

// getDoc runs a query returning one doc column and decodes it into dst; no row → notFound.
func (tx *Tx) getDoc(ctx context.Context, notFound error, dst any, query string, args ...any) error {
	doc, err := tx.getRaw(ctx, notFound, query, args...)
	if err != nil {
		return err
	}
	return decode([]byte(doc), dst)
}

// getRaw runs a query returning one doc column and returns it undecoded; no row → notFound.
func (tx *Tx) getRaw(ctx context.Context, notFound error, query string, args ...any) (string, error) {
	var doc string
	err := tx.tx.QueryRow(ctx, query, args...).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", notFound
	}
	return doc, err
}

// docs runs a query returning doc columns and decodes each into a new T.
func docs[T any](ctx context.Context, tx *Tx, query string, args ...any) ([]*T, error) {
	rows, err := tx.tx.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*T
	for rows.Next() {
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			return nil, err
		}
		v := new(T)
		if err := decode(doc, v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func (tx *Tx) count(ctx context.Context, query string, args ...any) (int, error) {
	var n int
	err := tx.tx.QueryRow(ctx, query, args...).Scan(&n)
	return n, err
}

// exec runs a write and, when notFound is not nil, returns it if the write touched no row.
func (tx *Tx) exec(ctx context.Context, notFound error, query string, args ...any) error {
	tag, err := tx.tx.Exec(ctx, query, args...)
	if err != nil {
		return err
	}
	if notFound != nil && tag.RowsAffected() == 0 {
		return notFound
	}
	return nil
}

// execUnique runs a write that may violate the named unique constraint, and returns taken if
// it does (and notFound, when not nil, if it touched no row). The write runs in a savepoint, so
// a violation undoes only that statement and leaves the transaction usable, as a failed
// statement does in SQLite; otherwise PostgreSQL would refuse every later statement of the
// transaction, including its commit.
func (tx *Tx) execUnique(ctx context.Context, constraint string, taken, notFound error, query string, args ...any) error {
	sp, err := tx.tx.Begin(ctx) // SAVEPOINT
	if err != nil {
		return err
	}
	tag, err := sp.Exec(ctx, query, args...)
	if err != nil {
		if rbErr := sp.Rollback(ctx); rbErr != nil { // ROLLBACK TO SAVEPOINT
			return errors.Join(err, rbErr)
		}
		if isUnique(err, constraint) {
			return taken
		}
		return err
	}
	if err := sp.Commit(ctx); err != nil { // RELEASE SAVEPOINT
		return err
	}
	if notFound != nil && tag.RowsAffected() == 0 {
		return notFound
	}
	return nil
}

// mustJSON encodes a document; pgx sends the bytes to a JSONB parameter as they are.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("postgres: encode %T: %v", v, err))
	}
	return b
}

// limitOffset renders LIMIT/OFFSET; limit 0 means no limit.
func limitOffset(limit, offset int) string {
	if limit <= 0 {
		return fmt.Sprintf(" LIMIT ALL OFFSET %d", offset)
	}
	return fmt.Sprintf(" LIMIT %d OFFSET %d", limit, offset)
}

// likeEscape makes s a LIKE pattern matching any text containing lower(s) (Unicode-aware
// lower-casing in Go, as SQLite's store does), with LIKE's wildcards in s escaped.
func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(s)) + "%"
}

func placeholder(n int) string { return fmt.Sprintf("$%d", n) }

func fromMicro(us int64) time.Time { return time.UnixMicro(us).UTC() }

// where accumulates AND-ed conditions whose `?` marks become numbered placeholders; it
// always starts with the organization, as $1.
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

// in adds "col = ANY(…)" with the values as one array parameter (one statement text for any
// number of values); an empty list matches nothing. One value is "col = …": PostgreSQL then
// reads an index on (organization_id, col, sort column) in sort order, where for ANY it
// sorts what it found.
func (w *where) in(col string, vals []string) {
	switch len(vals) {
	case 0:
		w.add("1 = 0")
	case 1:
		w.add(col+" = ?", vals[0])
	default:
		w.add(col+" = ANY(?)", vals)
	}
}

func (w *where) sql() (string, []any) { return strings.Join(w.conds, " AND "), w.args }
