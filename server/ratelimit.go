package server

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"github.com/eventlens/eventlens/apikeys"
)

// writeLimiter gives each API key (or, without keys, each client address) a token bucket for
// writes, so one runaway client cannot starve the single SQLite writer for everyone else.
//
// A write over the budget waits for its token when that is at most maxWait away, rather than
// being refused: registry clients do not retry 429, and a bulk load (a migration, a conformance
// suite) that waits for each answer is then slowed to the rate, never refused. Only a client with
// more writes in flight than maxWait's worth of tokens gets 429. A client address may stand for
// many clients (behind a proxy or a NAT), so its bucket is addressFactor times a key's.
type writeLimiter struct {
	limit   rate.Limit
	burst   int
	maxWait time.Duration
	now     func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	limiter  *rate.Limiter
	lastSeen time.Time
}

// maxBuckets bounds the limiter's memory; idle buckets are dropped when it is reached.
const maxBuckets = 10000

// addressFactor: the budget of a client address, in keys' budgets.
const addressFactor = 10

// maxWriteWait is how long a write over its budget may wait for its token before it is refused.
const maxWriteWait = time.Second

func newWriteLimiter(perSecond float64, burst int) *writeLimiter {
	return &writeLimiter{limit: rate.Limit(perSecond), burst: burst, maxWait: maxWriteWait, now: time.Now, buckets: map[string]*bucket{}}
}

// allow takes a token from who's bucket, waiting for it up to l.maxWait (or until ctx ends), or
// says how long the caller would have had to wait. perAddress picks the larger budget of a client
// address.
func (l *writeLimiter) allow(ctx context.Context, who string, perAddress bool) (bool, time.Duration) {
	now := l.now()
	r := l.reserve(now, who, perAddress)
	delay := r.DelayFrom(now)
	if delay == 0 {
		return true, 0
	}
	if delay > l.maxWait {
		r.CancelAt(now)
		return false, delay
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
		return true, 0
	case <-ctx.Done():
		r.Cancel()
		return false, delay
	}
}

// reserve takes a reservation from who's bucket, making the bucket if it is new.
func (l *writeLimiter) reserve(now time.Time, who string, perAddress bool) *rate.Reservation {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[who]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			for k, old := range l.buckets {
				if now.Sub(old.lastSeen) > time.Minute {
					delete(l.buckets, k)
				}
			}
		}
		limit, burst := l.limit, l.burst
		if perAddress {
			limit, burst = limit*addressFactor, burst*addressFactor
		}
		b = &bucket{limiter: rate.NewLimiter(limit, burst)}
		l.buckets[who] = b
	}
	b.lastSeen = now
	return b.limiter.ReserveN(now, 1)
}

// limitWrites answers 429 with Retry-After when the caller has used up its write budget. Routes
// that change nothing are never limited.
func (s *Server) limitWrites(need apikeys.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if need < apikeys.RoleWrite || s.writes == nil {
			return next
		}
		return func(c echo.Context) error {
			who, perAddress := "addr:"+c.RealIP(), true
			if key, ok := c.Get(keyContext).(apikeys.Key); ok {
				who, perAddress = "key:"+key.ID, false
			}
			if ok, wait := s.writes.allow(c.Request().Context(), who, perAddress); !ok {
				c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
				return echo.NewHTTPError(http.StatusTooManyRequests, "too many writes from this client: slow down and retry after the time in Retry-After")
			}
			return next(c)
		}
	}
}
