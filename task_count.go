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
	orgs    map[ID]*orgCounts
	size    int // filters held, over every organization
	flights map[string]*countFlight
}

// orgCounts holds an organization's counts at one version, the newest counted. The version
// only grows, so counts made at an older one can never serve again: they are dropped as soon
// as a count is made at a newer one. Under a steady stream of writes the cache therefore holds
// only the filters asked for since the organization's last write.
type orgCounts struct {
	version int64
	filters map[string]TaskCounts
}

type countFlight struct {
	done   chan struct{}
	counts TaskCounts
	err    error
}

// maxCountEntries bounds the filters held; past it another organization's counts (else one of
// the filters) are dropped for each new one.
const maxCountEntries = 10_000

// countKey identifies a filter for counting: every field but paging, sorting and the cursor.
func countKey(f TaskFilter) string {
	f.Offset, f.Limit, f.Cursor, f.SortBy, f.SortDesc, f.CountOnly, f.NoCount = 0, 0, nil, "", false, false, false
	b, err := json.Marshal(f)
	if err != nil {
		return "" // not cached
	}
	return string(b)
}

// get returns the counts of f at version, from the cache or by calling count (in the caller's
// transaction, whose snapshot the version was read in).
func (c *countCache) get(ctx context.Context, orgID ID, f TaskFilter, version int64, count func() (TaskCounts, error)) (TaskCounts, error) {
	key := countKey(f)
	if key == "" {
		return count()
	}
	flightKey := orgID + "\x00" + key + "\x00" + strconv.FormatInt(version, 10)
	c.mu.Lock()
	if o := c.orgs[orgID]; o != nil && o.version == version {
		if counts, ok := o.filters[key]; ok {
			c.mu.Unlock()
			return counts, nil
		}
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
		c.orgs = map[ID]*orgCounts{}
	}
	fl := &countFlight{done: make(chan struct{})}
	c.flights[flightKey] = fl
	c.mu.Unlock()

	fl.counts, fl.err = count()
	c.mu.Lock()
	delete(c.flights, flightKey)
	if fl.err == nil {
		c.store(orgID, key, version, fl.counts)
	}
	c.mu.Unlock()
	close(fl.done)
	return fl.counts, fl.err
}

// store keeps counts of the organization's filter key made at version; c.mu is held.
func (c *countCache) store(orgID ID, key string, version int64, counts TaskCounts) {
	o := c.orgs[orgID]
	switch {
	case o != nil && o.version > version:
		return // counted in an older snapshot than the counts kept
	case o == nil || o.version < version:
		if o != nil {
			c.size -= len(o.filters)
		}
		o = &orgCounts{version: version, filters: map[string]TaskCounts{}}
		c.orgs[orgID] = o
	}
	if _, ok := o.filters[key]; !ok {
		for c.size >= maxCountEntries {
			c.evict(orgID)
		}
		c.size++
	}
	o.filters[key] = counts
}

// evict drops an arbitrary organization's counts other than keep's, or, when keep's are all
// the cache holds, one of its filters.
func (c *countCache) evict(keep ID) {
	for id, o := range c.orgs {
		if id != keep {
			c.size -= len(o.filters)
			delete(c.orgs, id)
			return
		}
	}
	for key := range c.orgs[keep].filters {
		delete(c.orgs[keep].filters, key)
		c.size--
		return
	}
}
