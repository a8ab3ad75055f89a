package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// op performs operation number i (0, 1, 2, … in each measurement) and reports its failure.
type op func(ctx context.Context, i int) error

// saturate runs op from workers concurrent loops for d and returns the operations completed
// per second (failed ones excluded) and the failures. With every worker always busy the
// server is saturated: this is its throughput ceiling at that concurrency.
func saturate(ctx context.Context, workers int, d time.Duration, next *atomic.Int64, fn op) (rate float64, failed int64, err error) {
	var done, bad atomic.Int64
	var firstErr firstError
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && ctx.Err() == nil {
				if err := fn(ctx, int(next.Add(1)-1)); err != nil {
					if errorsOut(&bad, &firstErr, err) {
						cancel()
					}
					continue
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	return float64(done.Load()) / elapsed.Seconds(), bad.Load(), firstErr.get()
}

// firstError keeps the first error reported to it.
type firstError struct {
	mu  sync.Mutex
	err error
}

func (f *firstError) set(err error) {
	f.mu.Lock()
	if f.err == nil {
		f.err = err
	}
	f.mu.Unlock()
}

func (f *firstError) get() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// errorsOut counts a failure, remembers the first, and says whether to stop: a run whose
// operations mostly fail measures nothing.
func errorsOut(bad *atomic.Int64, first *firstError, err error) bool {
	first.set(err)
	return bad.Add(1) > 1000
}

// fixedRate sends operations at rate per second for d on an open-loop schedule: operation k
// is due at start + k/rate and runs at that moment whatever happened to the ones before it,
// and its latency is measured from when it was due, not from when it could start. A server
// that stalls therefore shows the stall in every operation that waited for it (no coordinated
// omission), as a real population of clients would see it.
func fixedRate(ctx context.Context, rate float64, d time.Duration, next *atomic.Int64, fn op) (lat []time.Duration, failed int64, err error) {
	n := int(rate * d.Seconds())
	if n < 1 {
		n = 1
	}
	lat = make([]time.Duration, n)
	var bad atomic.Int64
	var firstErr firstError
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	var wg sync.WaitGroup
	for k := range n {
		due := start.Add(time.Duration(k) * interval)
		if wait := time.Until(due); wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return nil, 0, ctx.Err()
			}
		}
		wg.Add(1)
		go func(k int, due time.Time) {
			defer wg.Done()
			if err := fn(ctx, int(next.Add(1)-1)); err != nil {
				errorsOut(&bad, &firstErr, err)
			}
			lat[k] = time.Since(due)
		}(k, due)
	}
	wg.Wait()
	slices.Sort(lat)
	return lat, bad.Load(), firstErr.get()
}

// percentile returns the p-th percentile (0 < p ≤ 100) of sorted latencies.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// client sends the API requests: one keep-alive connection per concurrent request.
type client struct {
	http  *http.Client
	base  string
	token string
}

func newClient(base, token string) *client {
	return &client{base: base, token: token, http: &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{MaxIdleConns: 4096, MaxIdleConnsPerHost: 4096, IdleConnTimeout: 90 * time.Second,
			DisableCompression: true},
	}}
}

// do sends one request and reads the whole answer; an unexpected status is an error. The
// answer is returned only when keep is set (the load loops do not decode what they discard).
func (c *client) do(ctx context.Context, method, path string, body []byte, want int, keep bool) ([]byte, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
		return nil, fmt.Errorf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if keep {
		return io.ReadAll(resp.Body)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return nil, err
}
