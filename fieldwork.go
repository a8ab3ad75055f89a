// Package fieldwork is the domain of Fieldwork, a field-operations task server whose HTTP API is
// wire-compatible with the MileApp v3 API.
//
// The package holds the entity types, the pure business rules (value validation per flow
// component kind, status transitions, date parsing) and the Store contract every storage engine
// satisfies. It imports only the standard library: nothing here knows about HTTP or SQL.
package fieldwork

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"sync/atomic"
	"time"
)

// ID is a 24-character lower-case hex ObjectId: 4-byte seconds timestamp, 5-byte random
// process value, 3-byte counter.
type ID = string

var (
	idProcess [5]byte
	idCounter atomic.Uint32
)

func init() {
	if _, err := rand.Read(idProcess[:]); err != nil {
		panic(err)
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	idCounter.Store(binary.BigEndian.Uint32(b[:]))
}

// NewID returns a fresh ObjectId for the given time.
func NewID(now time.Time) ID {
	var b [12]byte
	binary.BigEndian.PutUint32(b[0:4], uint32(now.Unix()))
	copy(b[4:9], idProcess[:])
	c := idCounter.Add(1)
	b[9], b[10], b[11] = byte(c>>16), byte(c>>8), byte(c)
	return hex.EncodeToString(b[:])
}

// ValidID reports whether s has the ObjectId form (24 lower-case hex characters).
func ValidID(s string) bool {
	if len(s) != 24 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Clock tells the time; tests replace it to make time-dependent rules deterministic.
type Clock func() time.Time

// Now returns the clock's time in UTC, or the wall clock when c is nil.
func (c Clock) Now() time.Time {
	if c == nil {
		return time.Now().UTC()
	}
	return c().UTC()
}
