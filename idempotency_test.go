package fieldwork_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fieldwork-dev/fieldwork"
	"github.com/fieldwork-dev/fieldwork/internal/testdb"
)

func TestValidateIdempotencyKey(t *testing.T) {
	for _, tt := range []struct {
		name string
		key  string
		ok   bool
	}{
		{"uuid", "8e2b6c1e-3f0a-4c55-9d7e-1f2a3b4c5d6e", true},
		{"one character", "k", true},
		{"255 characters", strings.Repeat("k", 255), true},
		{"inner space and symbols", "order 42/~!", true},
		{"empty", "", false},
		{"256 characters", strings.Repeat("k", 256), false},
		{"non-ASCII", "clé", false},
		{"control character", "a\tb", false},
		{"DEL", "a\x7f", false},
		{"NUL", "a\x00", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := fieldwork.ValidateIdempotencyKey(tt.key)
			if got := failedCode(err); (tt.ok && got != "") || (!tt.ok && got != "idem-003") {
				t.Fatalf("ValidateIdempotencyKey(%q) = %v", tt.key, err)
			}
		})
	}
}

func TestIdempotencyRecordExpired(t *testing.T) {
	created := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	r := &fieldwork.IdempotencyRecord{CreatedTime: created}
	for _, tt := range []struct {
		after time.Duration
		want  bool
	}{
		{0, false}, {time.Hour, false}, {24 * time.Hour, false},
		{24*time.Hour + time.Microsecond, true}, {48 * time.Hour, true},
	} {
		if got := r.Expired(created.Add(tt.after)); got != tt.want {
			t.Errorf("Expired after %v = %v, want %v", tt.after, got, tt.want)
		}
	}
}

func TestIdempotentAnswerStorable(t *testing.T) {
	for status, want := range map[int]bool{200: true, 201: true, 299: true, 199: false, 300: false, 400: false, 409: false, 500: false} {
		if got := (&fieldwork.IdempotentAnswer{Status: status}).Storable(); got != want {
			t.Errorf("Storable(%d) = %v", status, got)
		}
	}
}

// idemWorld is a Service on a store of one engine, with a movable clock and an organization.
type idemWorld struct {
	svc   *fieldwork.Service
	owner *fieldwork.Caller
	clock atomic.Int64 // Unix microseconds
	hubs  atomic.Int64 // names the hubs run creates
}

func newIdemWorld(t *testing.T, engine string) *idemWorld {
	t.Helper()
	w := &idemWorld{svc: fieldwork.NewService(testdb.Open(t, engine))}
	w.clock.Store(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro())
	w.svc.Clock = func() time.Time { return time.UnixMicro(w.clock.Load()) }
	w.owner = w.newOrg(t, "Acme")
	return w
}

func (w *idemWorld) newOrg(t *testing.T, name string) *fieldwork.Caller {
	t.Helper()
	_, _, secret, err := w.svc.CreateOrganization(t.Context(), name, "owner@"+strings.ToLower(name)+".test", "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := w.svc.Authenticate(t.Context(), secret)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// createHub is a run function: it creates a hub through the service (so the write joins the
// transaction of the key) and answers status with the hub's id as the body.
func (w *idemWorld) createHub(c *fieldwork.Caller, status int) func(ctx context.Context) (*fieldwork.IdempotentAnswer, error) {
	return func(ctx context.Context) (*fieldwork.IdempotentAnswer, error) {
		name, addr, lat, lng := fmt.Sprintf("Hub %d", w.hubs.Add(1)), "Street 1", 1.0, 2.0
		h, err := w.svc.CreateHub(ctx, c, fieldwork.HubInput{Name: &name, Address: &addr, Lat: &lat, Lng: &lng})
		if err != nil {
			return nil, err
		}
		return &fieldwork.IdempotentAnswer{Status: status, Body: []byte(`{"hub":"` + h.ID + `"}`)}, nil
	}
}

func (w *idemWorld) hubCount(t *testing.T, c *fieldwork.Caller) int {
	t.Helper()
	_, n, err := w.svc.FindHubs(t.Context(), c, fieldwork.HubFilter{}, false)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestIdempotent runs Service.Idempotent on every engine: replay, another request, another
// user, answers that are not stored, failures, expiry, organizations, the sealed answer, and
// concurrent requests with one key.
func TestIdempotent(t *testing.T) {
	for _, engine := range testdb.Engines() {
		t.Run(engine, func(t *testing.T) {
			ctx := t.Context()
			w := newIdemWorld(t, engine)
			owner := w.owner
			// call runs the owner's request "req" (or another) under key and checks the outcome.
			call := func(t *testing.T, c *fieldwork.Caller, key, request string, status int, wantReplay bool, wantCode string) *fieldwork.IdempotentAnswer {
				t.Helper()
				ans, replayed, err := w.svc.Idempotent(ctx, c, key, request, w.createHub(c, status))
				if got := failedCode(err); got != wantCode {
					t.Fatalf("error %v, want failedCode %q", err, wantCode)
				}
				if replayed != wantReplay {
					t.Fatalf("replayed = %v, want %v", replayed, wantReplay)
				}
				return ans
			}

			first := call(t, owner, "key-1", "req", 201, false, "")
			if first.Status != 201 || w.hubCount(t, owner) != 1 {
				t.Fatalf("first answer %+v, %d hubs", first, w.hubCount(t, owner))
			}
			t.Run("replay", func(t *testing.T) {
				again := call(t, owner, "key-1", "req", 201, true, "")
				if again.Status != 201 || !bytes.Equal(again.Body, first.Body) {
					t.Fatalf("replayed %d %s, want %d %s", again.Status, again.Body, first.Status, first.Body)
				}
				if n := w.hubCount(t, owner); n != 1 {
					t.Fatalf("%d hubs after a replay", n)
				}
			})
			t.Run("another request", func(t *testing.T) {
				call(t, owner, "key-1", "other", 201, false, "idem-031")
			})
			t.Run("another user", func(t *testing.T) {
				u := *owner.User
				u.ID = fieldwork.NewID(time.Now())
				call(t, &fieldwork.Caller{User: &u, Token: owner.Token}, "key-1", "req", 201, false, "idem-031")
			})
			t.Run("bad key", func(t *testing.T) {
				call(t, owner, "", "req", 201, false, "idem-003")
			})
			t.Run("answer not stored", func(t *testing.T) {
				before := w.hubCount(t, owner)
				if ans := call(t, owner, "key-2", "req", 400, false, ""); ans.Status != 400 {
					t.Fatalf("answer %+v", ans)
				}
				if n := w.hubCount(t, owner); n != before {
					t.Fatalf("a 400 answer kept its hub: %d hubs, want %d", n, before)
				}
				call(t, owner, "key-2", "req", 201, false, "") // the key is free: a corrected retry runs
				call(t, owner, "key-2", "req", 201, true, "")
			})
			t.Run("run fails", func(t *testing.T) {
				boom := errors.New("boom")
				_, _, err := w.svc.Idempotent(ctx, owner, "key-3", "req", func(ctx context.Context) (*fieldwork.IdempotentAnswer, error) {
					if _, err := w.createHub(owner, 201)(ctx); err != nil {
						return nil, err
					}
					return nil, boom
				})
				if !errors.Is(err, boom) {
					t.Fatalf("error %v", err)
				}
				call(t, owner, "key-3", "req", 201, false, "")
			})
			t.Run("organizations", func(t *testing.T) {
				beta := w.newOrg(t, "Beta")
				call(t, beta, "key-1", "req", 201, false, "")
				call(t, beta, "key-1", "req", 201, true, "")
				if n := w.hubCount(t, beta); n != 1 {
					t.Fatalf("Beta has %d hubs", n)
				}
			})
			t.Run("sealed", func(t *testing.T) {
				// The key is stored only as a hash, and the answer (a POST /token answer holds a
				// token secret) only sealed.
				sum := sha256.Sum256([]byte("fieldwork idempotency key\x00key-1"))
				err := w.svc.Store.View(ctx, owner.OrgID(), func(tx fieldwork.Tx) error {
					if _, err := tx.FindIdempotencyKey(ctx, "key-1"); fieldwork.ErrorCode(err) != fieldwork.ENOTFOUND {
						return fmt.Errorf("found by the plain key: %v", err)
					}
					rec, err := tx.FindIdempotencyKey(ctx, hex.EncodeToString(sum[:]))
					if err != nil {
						return err
					}
					if rec.Status != 201 || len(rec.Body) <= len(first.Body) || bytes.Contains(rec.Body, first.Body[2:]) {
						return fmt.Errorf("stored record %d %q holds the answer %s in clear", rec.Status, rec.Body, first.Body)
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			})
			t.Run("expiry", func(t *testing.T) {
				w.clock.Add((24 * time.Hour).Microseconds()) // exactly 24 h: still held
				call(t, owner, "key-1", "req", 201, true, "")
				call(t, owner, "key-1", "other", 201, false, "idem-031")
				w.clock.Add(time.Second.Microseconds()) // past 24 h: the key is free
				before := w.hubCount(t, owner)
				call(t, owner, "key-1", "other", 201, false, "")
				call(t, owner, "key-1", "other", 201, true, "")
				if n := w.hubCount(t, owner); n != before+1 {
					t.Fatalf("%d hubs, want %d", n, before+1)
				}
			})
			t.Run("concurrent", func(t *testing.T) {
				before := w.hubCount(t, owner)
				const n = 20
				answers := make([]*fieldwork.IdempotentAnswer, n)
				errs := make([]error, n)
				var wg sync.WaitGroup
				for i := range n {
					wg.Add(1)
					go func() {
						defer wg.Done()
						answers[i], _, errs[i] = w.svc.Idempotent(ctx, owner, "key-c", "req", w.createHub(owner, 201))
					}()
				}
				wg.Wait()
				var body []byte
				for i := range n {
					if errs[i] != nil {
						if failedCode(errs[i]) != "idem-032" {
							t.Fatalf("request %d: %v", i, errs[i])
						}
						continue
					}
					if body == nil {
						body = answers[i].Body
					}
					if answers[i].Status != 201 || !bytes.Equal(answers[i].Body, body) {
						t.Fatalf("request %d answered %d %s, another %s", i, answers[i].Status, answers[i].Body, body)
					}
				}
				if got := w.hubCount(t, owner); got != before+1 {
					t.Fatalf("%d hubs created by %d concurrent requests with one key, want 1", got-before, n)
				}
			})
		})
	}
}
