package server

import (
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
type writeLimiter struct {
	limit rate.Limit
	burst int
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	limiter  *rate.Limiter
	lastSeen time.Time
}

// maxBuckets bounds the limiter's memory; idle buckets are dropped when it is reached.
const maxBuckets = 10000

func newWriteLimiter(perSecond float64, burst int) *writeLimiter {
	return &writeLimiter{limit: rate.Limit(perSecond), burst: burst, now: time.Now, buckets: map[string]*bucket{}}
}

// allow takes a token from who's bucket, or says how long to wait for one.
func (l *writeLimiter) allow(who string) (bool, time.Duration) {
	now := l.now()
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
		b = &bucket{limiter: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[who] = b
	}
	b.lastSeen = now
	r := b.limiter.ReserveN(now, 1)
	if delay := r.DelayFrom(now); delay > 0 {
		r.CancelAt(now)
		return false, delay
	}
	return true, 0
}

// limitWrites answers 429 with Retry-After when the caller has used up its write budget. Routes
// that change nothing are never limited.
func (s *Server) limitWrites(need apikeys.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if need < apikeys.RoleWrite || s.writes == nil {
			return next
		}
		return func(c echo.Context) error {
			who := "addr:" + c.RealIP()
			if key, ok := c.Get(keyContext).(apikeys.Key); ok {
				who = "key:" + key.ID
			}
			if ok, wait := s.writes.allow(who); !ok {
				c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
				return echo.NewHTTPError(http.StatusTooManyRequests, "too many writes from this client: slow down and retry after the time in Retry-After")
			}
			return next(c)
		}
	}
}
