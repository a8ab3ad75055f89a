package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/fieldwork-dev/fieldwork"
)

// Idempotency headers (SPEC §1.9).
const (
	headerIdempotencyKey     = "Idempotency-Key"
	headerIdempotentReplayed = "Idempotent-Replayed"
)

// serveRoute runs the route the mux matched (pattern) for an authenticated request. A create of
// SPEC §1.9 that carries an Idempotency-Key runs through Service.Idempotent: the route writes
// into a recorder inside the transaction that claimed the key, and the client gets the
// recorded answer once that transaction has ended (committed with the key for a success,
// rolled back otherwise), or the stored answer of an earlier request with the key.
func (s *Server) serveRoute(w http.ResponseWriter, r *http.Request, pattern string) {
	keys, sent := r.Header[headerIdempotencyKey]
	c := callerFrom(r.Context())
	if !sent || c == nil || !isCreate(pattern) {
		s.mux.ServeHTTP(w, r)
		return
	}
	key := ""
	if len(keys) == 1 { // (two keys are no key: idem-003)
		key = keys[0]
	}
	if err := fieldwork.ValidateIdempotencyKey(key); err != nil {
		s.writeError(w, r, err)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBulkBody+1))
	if err != nil || len(body) > maxBulkBody {
		// Nothing can be created from this body: the route reports it as it always does.
		rest := r.Body
		if err != nil {
			rest = io.NopCloser(failingReader{err})
		}
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), rest))
		s.mux.ServeHTTP(w, r)
		return
	}

	var header http.Header
	run := func(ctx context.Context) (*fieldwork.IdempotentAnswer, error) {
		rec := httptest.NewRecorder()
		req := r.WithContext(ctx) // service calls made with ctx join the key's transaction
		req.Body = io.NopCloser(bytes.NewReader(body))
		s.mux.ServeHTTP(rec, req)
		header = rec.Header()
		return &fieldwork.IdempotentAnswer{Status: rec.Code, Body: rec.Body.Bytes()}, nil
	}
	ans, replayed, err := s.Service.Idempotent(r.Context(), c, key, requestDigest(r, body), run)
	if err != nil {
		var fe *fieldwork.Error
		if errors.As(err, &fe) && fe.FailedCode == "idem-032" {
			w.Header().Set("Retry-After", "1")
		}
		s.writeError(w, r, err)
		return
	}
	if replayed {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set(headerIdempotentReplayed, "true")
	} else {
		for k, v := range header {
			w.Header()[k] = v
		}
	}
	w.WriteHeader(ans.Status)
	w.Write(ans.Body)
}

// requestDigest identifies a request for its Idempotency-Key: method, path, query and body.
// The path is the one requested (after the trailing slash is dropped), so that
// POST /user/{a}/token and POST /user/{b}/token differ.
func requestDigest(r *http.Request, body []byte) string {
	h := sha256.New()
	for _, part := range []string{r.Method, r.URL.Path, r.URL.RawQuery} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// failingReader returns err from every Read.
type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }
