package fieldwork

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
)

// countCache remembers the counts of page-number task lists (the paginator's `total` and the
// metadata's DONE and ONGOING counts), so that paging through a list of an organization with a
// million tasks does not count them all on every request (issue 6: 260 ms per request at 1M
// tasks on PostgreSQL).
//
// An entry is keyed by organization and filter and holds the organization's count of task
// writes (Tx.TaskVersion) it was counted at. Every write of a task raises that count in its
// transaction, so while the count read in a request's transaction equals the entry's, no task
// of the organization has changed since the entry was made, and the cached counts are exactly
// what counting again in that transaction would give: the answers stay exact (SPEC §1.5,
// §5.3). Any change makes the next request count again, once: concurrent requests for the
// same filter at the same version wait for that one count instead of each making it.
// Instances of a cluster each keep their own cache; the version is read from the database, so
// none can serve a count another instance's write made stale.
type countCache struct {
	mu      sync.Mutex
	entries map[string]countEntry
	flights map[string]*countFlight
}

type countEntry struct {
	version int64
	counts  TaskCounts
}

type countFlight struct {
	done   chan struct{}
	counts TaskCounts
	err    error
}

// maxCountEntries bounds the cache; past it an arbitrary entry is dropped for each new one.
const maxCountEntries = 10_000

// countKey identifies a filter for counting: every field but paging, sorting and the cursor.
func countKey(orgID ID, f TaskFilter) string {
	f.Offset, f.Limit, f.Cursor, f.SortBy, f.SortDesc, f.CountOnly, f.NoCount = 0, 0, nil, "", false, false, false
	b, err := json.Marshal(f)
	if err != nil {
		return "" // not cached
	}
	return orgID + "\x00" + string(b)
}

// get returns the counts of f at version, from the cache or by calling count (in the caller's
// transaction, whose snapshot the version was read in).
func (c *countCache) get(ctx context.Context, orgID ID, f TaskFilter, version int64, count func() (TaskCounts, error)) (TaskCounts, error) {
	key := countKey(orgID, f)
	if key == "" {
		return count()
	}
	flightKey := key + "\x00" + strconv.FormatInt(version, 10)
	c.mu.Lock()
	if e, ok := c.entries[key]; ok && e.version == version {
		c.mu.Unlock()
		return e.counts, nil
	}
	if fl, ok := c.flights[flightKey]; ok {
		c.mu.Unlock()
		select {
		case <-fl.done:
			if fl.err == nil {
				return fl.counts, nil
			}
			return count() // the leader failed (its own transaction's problem): count here
		case <-ctx.Done():
			return TaskCounts{}, ctx.Err()
		}
	}
	if c.flights == nil {
		c.flights = map[string]*countFlight{}
		c.entries = map[string]countEntry{}
	}
	fl := &countFlight{done: make(chan struct{})}
	c.flights[flightKey] = fl
	c.mu.Unlock()

	fl.counts, fl.err = count()
	c.mu.Lock()
	delete(c.flights, flightKey)
	if fl.err == nil {
		if e, ok := c.entries[key]; !ok || e.version <= version {
			if !ok && len(c.entries) >= maxCountEntries {
				for k := range c.entries {
					delete(c.entries, k)
					break
				}
			}
			c.entries[key] = countEntry{version: version, counts: fl.counts}
		}
	}
	c.mu.Unlock()
	close(fl.done)
	return fl.counts, fl.err
}
