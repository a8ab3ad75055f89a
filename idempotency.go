package fieldwork

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"
)

// Idempotency (SPEC §1.9): a creating request may carry an Idempotency-Key. The first request
// with a key claims it, runs, and stores its answer with the objects it created, in the same
// transaction; a repeat of that request within IdempotencyTTL gets the stored answer again and
// creates nothing.

// IdempotencyTTL is how long a key holds its answer; after it, the key may be used afresh.
const IdempotencyTTL = 24 * time.Hour

// MaxIdempotencyKeyLen is the longest Idempotency-Key accepted.
const MaxIdempotencyKeyLen = 255

// IdempotencyRecord is a stored key of one organization: which request claimed it and, once
// that request has committed, its answer.
//
// The client's key is never stored: KeyHash identifies it, and the answer is sealed with a
// cipher key derived from the client's key by another hash. A POST /token answer carries a
// token secret, which SPEC §1.6 keeps only as a hash; sealed, it can be read back only by
// someone who knows the Idempotency-Key, as the client who sent it does.
type IdempotencyRecord struct {
	// KeyHash is the hex SHA-256 of the key (with a domain prefix), unique per organization.
	KeyHash string
	// Fingerprint identifies the request that claimed the key: its user, method, path and body.
	Fingerprint string
	// Status is the answer's HTTP status, 0 while the request runs.
	Status int
	// Body is the answer's body, sealed (nil while the request runs).
	Body []byte
	// CreatedTime is when the key was claimed; the record is dead IdempotencyTTL later.
	CreatedTime time.Time
}

// Expired reports whether the record is older than IdempotencyTTL at now.
func (r *IdempotencyRecord) Expired(now time.Time) bool {
	return r.CreatedTime.Before(now.Add(-IdempotencyTTL))
}

// IdempotentAnswer is the answer of a creating request: its HTTP status and body.
type IdempotentAnswer struct {
	Status int
	Body   []byte
}

// Storable reports whether the answer is kept for replays: only a success is. Anything else
// rolls the request back with its key, so that a corrected retry may use the same key.
func (a *IdempotentAnswer) Storable() bool { return a.Status >= 200 && a.Status < 300 }

// ValidateIdempotencyKey checks a key: 1 to 255 printable ASCII characters (idem-003).
func ValidateIdempotencyKey(key string) error {
	if key == "" || len(key) > MaxIdempotencyKeyLen {
		return errIdempotencyKey()
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return errIdempotencyKey()
		}
	}
	return nil
}

func errIdempotencyKey() error {
	return Errorf(EINVALID, "idem-003", "The Idempotency-Key header must be 1 to %d printable ASCII characters", MaxIdempotencyKeyLen)
}

// ErrIdempotencyKeyReused is the answer to a key sent again with another request (idem-031).
func ErrIdempotencyKeyReused() *Error {
	return Errorf(ECONFLICT, "idem-031", "This Idempotency-Key was already used with a different request")
}

// ErrIdempotencyInProgress is the answer to a key whose first request has not finished
// (idem-032); the client should retry. Stores also return it when a key is already claimed.
func ErrIdempotencyInProgress() *Error {
	return Errorf(ECONFLICT, "idem-032", "A request with this Idempotency-Key is in progress; retry later")
}

// Sentinels of Idempotent's transaction: both roll it back.
var (
	errAnswerNotStored = errors.New("idempotency: answer not stored")
	errKeyTaken        = errors.New("idempotency: key claimed by a concurrent request")
)

// idempotencyKey is a client's key as one caller's request uses it.
type idempotencyKey struct {
	hash        string // KeyHash
	fingerprint string
	seal        cipher.AEAD
}

// newIdempotencyKey derives the stored hash, the request's fingerprint (the caller's user and
// the request digest, so one user's answer, which may hold a token secret, is never replayed
// to another) and the cipher of the answers. The hash and the cipher key come from the key
// with different prefixes: the stored hash must not be the cipher key.
func newIdempotencyKey(c *Caller, key, request string) *idempotencyKey {
	id := sha256.Sum256([]byte("fieldwork idempotency key\x00" + key))
	fp := sha256.Sum256([]byte(c.User.ID + "\x00" + request))
	ck := sha256.Sum256([]byte("fieldwork idempotency answer\x00" + key))
	block, err := aes.NewCipher(ck[:])
	if err != nil {
		panic(err) // a 32-byte key is always valid
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return &idempotencyKey{hash: hex.EncodeToString(id[:]), fingerprint: hex.EncodeToString(fp[:]), seal: aead}
}

// sealBody encrypts an answer body, bound to the request's fingerprint. A key used again after
// it expired seals another answer, so every seal has a random nonce.
func (k *idempotencyKey) sealBody(body []byte) []byte {
	nonce := make([]byte, k.seal.NonceSize(), k.seal.NonceSize()+len(body)+k.seal.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic(err)
	}
	return k.seal.Seal(nonce, nonce, body, []byte(k.fingerprint))
}

// openBody decrypts what sealBody made.
func (k *idempotencyKey) openBody(sealed []byte) ([]byte, error) {
	n := k.seal.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("idempotency: sealed answer too short")
	}
	body, err := k.seal.Open(nil, sealed[:n], sealed[n:], []byte(k.fingerprint))
	if body == nil && err == nil {
		body = []byte{}
	}
	return body, err
}

// answerFor reads the key's record in tx: the answer to replay; ErrIdempotencyKeyReused when
// another request holds the key; ErrIdempotencyInProgress when its request has not finished;
// or no answer when no live record exists (expired tells whether a dead one does).
func (k *idempotencyKey) answerFor(ctx context.Context, tx Tx, now time.Time) (ans *IdempotentAnswer, expired bool, err error) {
	rec, err := tx.FindIdempotencyKey(ctx, k.hash)
	switch {
	case ErrorCode(err) == ENOTFOUND:
		return nil, false, nil
	case err != nil:
		return nil, false, err
	case rec.Expired(now):
		return nil, true, nil
	case rec.Fingerprint != k.fingerprint:
		return nil, false, ErrIdempotencyKeyReused()
	case rec.Status == 0:
		return nil, false, ErrIdempotencyInProgress()
	}
	body, err := k.openBody(rec.Body)
	if err != nil {
		return nil, false, err
	}
	return &IdempotentAnswer{Status: rec.Status, Body: body}, false, nil
}

// Idempotent runs a creating request of the caller under an Idempotency-Key. request is a
// digest of the request (method, path, body) made by the transport.
//
// A key whose answer is stored for the same user and request gets that answer (replayed is
// true); one stored for another request is idem-031. Otherwise the key is claimed, and run is
// called with a context whose service calls join the transaction that claimed it: a success
// answer is stored with the key and committed with everything run wrote; any other answer
// rolls everything back and is returned as it is (nothing is kept, so the key is free again).
//
// Concurrent requests with one key: on SQLite write transactions are serialized, so the later
// ones find the stored answer. On PostgreSQL a later request's claim waits on the key's unique
// index until the first transaction ends; if it committed, the later request rolls back and
// replays the answer, and if it rolled back, the later request runs itself. A claim that
// conflicts but then finds no answer is idem-032. run may be called again when the store
// retries the transaction, so it must not have effects outside the context's transaction.
func (s *Service) Idempotent(ctx context.Context, c *Caller, key, request string,
	run func(ctx context.Context) (*IdempotentAnswer, error)) (ans *IdempotentAnswer, replayed bool, err error) {
	if err := ValidateIdempotencyKey(key); err != nil {
		return nil, false, err
	}
	k := newIdempotencyKey(c, key, request)
	now := s.now()
	lookup := func() (ans *IdempotentAnswer, err error) {
		err = s.view(ctx, c.OrgID(), func(tx Tx) (err error) {
			ans, _, err = k.answerFor(ctx, tx, now)
			return err
		})
		return ans, err
	}
	// A repeat is answered from a read transaction, without waiting for the write lock.
	if ans, err := lookup(); ans != nil || err != nil {
		return ans, ans != nil, err
	}
	err = s.InTx(ctx, c.OrgID(), func(txCtx context.Context, tx Tx) error {
		ans, replayed = nil, false // (a retried transaction starts over)
		found, expired, err := k.answerFor(ctx, tx, now)
		if err != nil || found != nil {
			ans, replayed = found, found != nil
			return err
		}
		if expired {
			// Only the dead record: a live one a concurrent request just stored stays.
			if err := tx.DeleteIdempotencyKey(ctx, k.hash, now.Add(-IdempotencyTTL)); err != nil {
				return err
			}
		}
		// Claim the key before doing anything: a concurrent claim waits here, not after us.
		err = tx.CreateIdempotencyKey(ctx, &IdempotencyRecord{KeyHash: k.hash, Fingerprint: k.fingerprint, CreatedTime: now})
		if ErrorCode(err) == ECONFLICT {
			return errKeyTaken
		} else if err != nil {
			return err
		}
		if ans, err = run(txCtx); err != nil {
			return err
		}
		if !ans.Storable() {
			return errAnswerNotStored
		}
		if err := tx.CompleteIdempotencyKey(ctx, k.hash, ans.Status, k.sealBody(ans.Body)); err != nil {
			// (The key was claimed in this transaction: whatever failed, it is not the client's.)
			return &Error{Code: EINTERNAL, Message: "store idempotent answer", Cause: err}
		}
		return nil
	})
	switch {
	case errors.Is(err, errAnswerNotStored):
		return ans, false, nil
	case errors.Is(err, errKeyTaken):
		// Another request with the key committed first: answer with what it stored.
		if ans, err = lookup(); ans == nil && err == nil {
			err = ErrIdempotencyInProgress()
		}
		return ans, ans != nil, err
	case err != nil:
		return nil, false, err
	}
	return ans, replayed, nil
}
