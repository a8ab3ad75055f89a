// Package doccache keeps decoded documents that are read far more often than they are written
// (flows and workflows: every task and activity write reads them, and decoding them cost more
// than the rest of an activity's transaction).
//
// An entry is keyed by the exact stored bytes it was decoded from, so a hit is the document the
// database has just returned: the cache cannot serve a stale value, whichever process changed
// the row, and needs no invalidation. What it saves is the decoding, not the read.
package doccache

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
)

// DefaultLimit is the number of values a store keeps per kind of document: a few hundred
// kilobytes to a few megabytes of flows or workflows.
const DefaultLimit = 1024

// Cache holds up to limit decoded values of type T. A value it returns is shared by every
// caller that reads the same document: callers must not modify it. In test binaries each hit
// checks that the shared value still encodes as it did when cached, and panics naming the
// document when a caller has modified it.
type Cache[T any] struct {
	limit  int
	verify bool

	mu      sync.Mutex
	entries map[string]*entry[T]
}

type entry[T any] struct {
	doc     string // the stored bytes v was decoded from
	v       *T
	encoded []byte // json.Marshal(v) when cached; test binaries only
}

// New returns a cache of at most limit values.
func New[T any](limit int) *Cache[T] {
	return &Cache[T]{limit: limit, verify: testing.Testing(), entries: make(map[string]*entry[T])}
}

// Decode returns the value doc decodes to with decode, from the cache when the document stored
// under key was last decoded from the same bytes. key names the document (organization and id).
func (c *Cache[T]) Decode(key, doc string, decode func([]byte, any) error) (*T, error) {
	c.mu.Lock()
	e := c.entries[key]
	c.mu.Unlock()
	if e != nil && e.doc == doc {
		if c.verify {
			c.check(key, e)
		}
		return e.v, nil
	}
	v := new(T)
	if err := decode([]byte(doc), v); err != nil {
		return nil, err
	}
	e = &entry[T]{doc: doc, v: v}
	if c.verify {
		e.encoded = mustMarshal(v)
	}
	c.mu.Lock()
	if _, ok := c.entries[key]; !ok && len(c.entries) >= c.limit {
		for k := range c.entries { // evict one arbitrary entry
			delete(c.entries, k)
			break
		}
	}
	c.entries[key] = e
	c.mu.Unlock()
	return v, nil
}

func (c *Cache[T]) check(key string, e *entry[T]) {
	if !bytes.Equal(mustMarshal(e.v), e.encoded) {
		panic(fmt.Sprintf("doccache: the shared %T %s was modified by a caller", e.v, key))
	}
}

func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
