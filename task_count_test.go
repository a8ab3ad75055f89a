package fieldwork

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestCountCache: one count per filter and version, concurrent requests share it, a new
// version or another filter or organization counts again, and failures are not kept.
func TestCountCache(t *testing.T) {
	ctx := context.Background()
	var c countCache
	var calls atomic.Int32
	count := func(total int) func() (TaskCounts, error) {
		return func() (TaskCounts, error) { calls.Add(1); return TaskCounts{Total: total}, nil }
	}
	status := TaskFilter{Status: []string{StatusDone}, Limit: 20}
	for _, tt := range []struct {
		name      string
		org       ID
		f         TaskFilter
		version   int64
		total     int // what counting would give
		want      int // what get answers
		wantCalls int32
	}{
		{"first count", "o1", status, 1, 5, 5, 1},
		{"same filter and version: cached", "o1", status, 1, 9, 5, 1},
		{"another page of it: cached", "o1", TaskFilter{Status: []string{StatusDone}, Limit: 50, Offset: 100, SortBy: "updatedTime"}, 1, 9, 5, 1},
		{"a write later: counted again", "o1", status, 2, 6, 6, 2},
		{"an older snapshot does not replace the newer entry", "o1", status, 1, 5, 5, 3},
		{"the newer entry still serves", "o1", status, 2, 9, 6, 3},
		{"another filter", "o1", TaskFilter{Status: []string{StatusOngoing}}, 2, 7, 7, 4},
		{"another organization", "o2", status, 2, 8, 8, 5},
	} {
		got, err := c.get(ctx, tt.org, tt.f, tt.version, count(tt.total))
		if err != nil || got.Total != tt.want || calls.Load() != tt.wantCalls {
			t.Errorf("%s: total %d, %d counts, %v; want %d, %d counts", tt.name, got.Total, calls.Load(), err, tt.want, tt.wantCalls)
		}
	}

	// The counts of o1 at version 1 went when it was counted at version 2.
	if c.size != 3 || len(c.orgs["o1"].filters) != 2 {
		t.Errorf("cache holds %d filters, o1 %d; want 3: o1's two at version 2, o2's one", c.size, len(c.orgs["o1"].filters))
	}

	boom := errors.New("boom")
	if _, err := c.get(ctx, "o3", status, 1, func() (TaskCounts, error) { return TaskCounts{}, boom }); !errors.Is(err, boom) {
		t.Fatalf("failed count: %v", err)
	}
	if got, _ := c.get(ctx, "o3", status, 1, count(4)); got.Total != 4 {
		t.Errorf("after a failed count: total %d, want 4 (failures are not cached)", got.Total)
	}

	// Concurrent requests for one filter and version make one count.
	calls.Store(0)
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := c.get(ctx, "o4", status, 1, func() (TaskCounts, error) {
				calls.Add(1)
				<-release
				return TaskCounts{Total: 3}, nil
			})
			if err != nil || got.Total != 3 {
				t.Errorf("concurrent get: %d, %v", got.Total, err)
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Errorf("8 concurrent requests made %d counts, want 1", n)
	}
}

// TestCountCacheBound: the cache holds at most maxCountEntries filters, whatever the mix of
// organizations and filters.
func TestCountCacheBound(t *testing.T) {
	ctx := context.Background()
	var c countCache
	one := func() (TaskCounts, error) { return TaskCounts{Total: 1}, nil }
	for i := range maxCountEntries + 50 {
		org := ID(fmt.Sprint("org", i%3))
		if _, err := c.get(ctx, org, TaskFilter{Q: ptr(fmt.Sprint(i))}, 1, one); err != nil {
			t.Fatal(err)
		}
		if c.size > maxCountEntries {
			t.Fatalf("after %d counts the cache holds %d filters, over %d", i+1, c.size, maxCountEntries)
		}
	}
	n := 0
	for _, o := range c.orgs {
		n += len(o.filters)
	}
	if n != c.size {
		t.Errorf("size %d, filters held %d", c.size, n)
	}
}
