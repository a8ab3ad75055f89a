package httpapi

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/fieldwork-dev/fieldwork"
)

// Default rate limit (SPEC §1.8): 100 requests per second with a burst of 100, per organization.
const (
	DefaultRateLimit = 100
	DefaultRateBurst = 100
)

// orgLimiter keeps one token bucket per organization, so a noisy organization spends only its
// own budget.
type orgLimiter struct {
	limit rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[fieldwork.ID]*rate.Limiter
}

func newOrgLimiter(perSecond float64, burst int) *orgLimiter {
	return &orgLimiter{limit: rate.Limit(perSecond), burst: burst, buckets: map[fieldwork.ID]*rate.Limiter{}}
}

func (l *orgLimiter) bucket(org fieldwork.ID) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[org]
	if !ok {
		b = rate.NewLimiter(l.limit, l.burst)
		l.buckets[org] = b
	}
	return b
}

// allow takes one token from the organization's bucket, sets the RateLimit-* headers and
// reports whether the request may proceed; when not, it sets Retry-After too.
func (l *orgLimiter) allow(w http.ResponseWriter, org fieldwork.ID) bool {
	if l == nil || l.limit <= 0 {
		return true
	}
	b := l.bucket(org)
	now := time.Now()
	ok := b.AllowN(now, 1)
	tokens := b.TokensAt(now)
	h := w.Header()
	h.Set("RateLimit-Limit", strconv.Itoa(l.burst))
	h.Set("RateLimit-Remaining", strconv.Itoa(max(0, int(math.Floor(tokens)))))
	// Seconds until the bucket is full again.
	h.Set("RateLimit-Reset", strconv.Itoa(int(math.Ceil((float64(l.burst)-tokens)/float64(l.limit)))))
	if !ok {
		h.Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil((1-tokens)/float64(l.limit))))))
	}
	return ok
}
