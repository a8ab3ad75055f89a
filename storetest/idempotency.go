package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/fieldwork-dev/fieldwork"
)

// testIdempotencyKeys checks the idempotency key methods: a round trip of every field (an
// answer body is opaque bytes, NUL included), the claim conflict that leaves the transaction
// usable, completion, deletion by age, isolation by organization, rollback, and a concurrent
// claim of one key that waits for the first transaction and fails only if it committed.
func testIdempotencyKeys(t *testing.T, s fieldwork.Store) {
	ctx := t.Context()
	a := createOrg(t, s, "Acme", 0)
	b := createOrg(t, s, "Beta", 1)
	rec := func(key string, minute int) *fieldwork.IdempotencyRecord {
		return &fieldwork.IdempotencyRecord{KeyHash: key, Fingerprint: "fp-" + key, CreatedTime: at(minute).Add(123456 * time.Microsecond)}
	}
	find := func(orgID fieldwork.ID, key string) (*fieldwork.IdempotencyRecord, error) {
		var r *fieldwork.IdempotencyRecord
		err := s.View(ctx, orgID, func(tx fieldwork.Tx) (err error) {
			r, err = tx.FindIdempotencyKey(ctx, key)
			return err
		})
		return r, err
	}

	t.Run("round trip and conflict", func(t *testing.T) {
		update(t, s, a.ID, func(tx fieldwork.Tx) error {
			if err := tx.CreateIdempotencyKey(ctx, rec("k1", 10)); err != nil {
				return err
			}
			err := tx.CreateIdempotencyKey(ctx, rec("k1", 11))
			wantCode(t, "second claim", err, fieldwork.ECONFLICT)
			wantFailedCode(t, "second claim", err, "idem-032")
			// The conflict left the transaction usable: it still reads, writes and commits.
			got, err := tx.FindIdempotencyKey(ctx, "k1")
			if err != nil {
				return err
			}
			diff(t, "claimed in the same transaction", rec("k1", 10), got)
			return tx.CreateIdempotencyKey(ctx, rec("k2", 10))
		})
		got, err := find(a.ID, "k1")
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "claimed record", rec("k1", 10), got)
		if _, err := find(a.ID, "k2"); err != nil {
			t.Fatalf("key claimed after the conflict: %v", err)
		}
	})

	t.Run("complete", func(t *testing.T) {
		body := []byte("\x00\xff{\"status\":true}\n")
		update(t, s, a.ID, func(tx fieldwork.Tx) error { return tx.CompleteIdempotencyKey(ctx, "k1", 201, body) })
		want := rec("k1", 10)
		want.Status, want.Body = 201, body
		got, err := find(a.ID, "k1")
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "completed record", want, got)
		err = s.Update(ctx, a.ID, func(tx fieldwork.Tx) error { return tx.CompleteIdempotencyKey(ctx, "nope", 201, body) })
		wantCode(t, "complete a missing key", err, fieldwork.ENOTFOUND)
	})

	t.Run("organizations", func(t *testing.T) {
		_, err := find(b.ID, "k1")
		wantCode(t, "another organization's key", err, fieldwork.ENOTFOUND)
		update(t, s, b.ID, func(tx fieldwork.Tx) error { return tx.CreateIdempotencyKey(ctx, rec("k1", 20)) })
		if got, err := find(b.ID, "k1"); err != nil || !got.CreatedTime.Equal(rec("k1", 20).CreatedTime) || got.Status != 0 {
			t.Fatalf("Beta's k1: %+v, %v", got, err)
		}
		if got, err := find(a.ID, "k1"); err != nil || got.Status != 201 {
			t.Fatalf("Acme's k1 after Beta claimed it: %+v, %v", got, err)
		}
	})

	t.Run("delete by age", func(t *testing.T) {
		update(t, s, a.ID, func(tx fieldwork.Tx) error {
			// Created at minute 10 (and a fraction): not before minute 10, so it stays.
			if err := tx.DeleteIdempotencyKey(ctx, "k1", at(10)); err != nil {
				return err
			}
			return tx.DeleteIdempotencyKey(ctx, "missing", at(100))
		})
		if _, err := find(a.ID, "k1"); err != nil {
			t.Fatalf("a record newer than the bound was deleted: %v", err)
		}
		update(t, s, a.ID, func(tx fieldwork.Tx) error { return tx.DeleteIdempotencyKey(ctx, "k1", at(11)) })
		_, err := find(a.ID, "k1")
		wantCode(t, "deleted record", err, fieldwork.ENOTFOUND)
		if _, err := find(b.ID, "k1"); err != nil {
			t.Fatalf("deleting Acme's k1 deleted Beta's: %v", err)
		}
		// The key is free again.
		update(t, s, a.ID, func(tx fieldwork.Tx) error { return tx.CreateIdempotencyKey(ctx, rec("k1", 30)) })
	})

	t.Run("rollback", func(t *testing.T) {
		boom := errors.New("boom")
		err := s.Update(ctx, a.ID, func(tx fieldwork.Tx) error {
			if err := tx.CreateIdempotencyKey(ctx, rec("k3", 10)); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Update: %v", err)
		}
		_, err = find(a.ID, "k3")
		wantCode(t, "key of a rolled-back transaction", err, fieldwork.ENOTFOUND)
	})

	t.Run("concurrent claims", func(t *testing.T) {
		for _, commit := range []bool{true, false} {
			key := "k-rollback"
			if commit {
				key = "k-commit"
			}
			claimed, release := make(chan struct{}), make(chan struct{})
			first := make(chan error, 1)
			go func() {
				first <- s.Update(ctx, a.ID, func(tx fieldwork.Tx) error {
					if err := tx.CreateIdempotencyKey(ctx, rec(key, 40)); err != nil {
						return err
					}
					close(claimed)
					<-release
					if !commit {
						return errors.New("roll back")
					}
					return nil
				})
			}()
			<-claimed
			second := make(chan error, 1)
			go func() {
				second <- s.Update(ctx, a.ID, func(tx fieldwork.Tx) error { return tx.CreateIdempotencyKey(ctx, rec(key, 41)) })
			}()
			// The second claim must wait for the first transaction, whatever the engine.
			select {
			case err := <-second:
				t.Fatalf("commit=%v: second claim returned %v while the first transaction was open", commit, err)
			case <-time.After(100 * time.Millisecond):
			}
			close(release)
			if err := <-first; (err == nil) != commit {
				t.Fatalf("commit=%v: first transaction: %v", commit, err)
			}
			err := <-second
			if commit {
				wantFailedCode(t, "claim after a committed claim", err, "idem-032")
			} else if err != nil {
				t.Fatalf("claim after a rolled-back claim: %v", err)
			}
			got, err := find(a.ID, key)
			if err != nil {
				t.Fatal(err)
			}
			want := rec(key, 40)
			if !commit {
				want = rec(key, 41)
			}
			diff(t, "the surviving claim", want, got)
		}
	})
}
