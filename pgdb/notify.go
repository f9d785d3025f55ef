package pgdb

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Replicas keep caches of what the database holds. A write sends a notification in its own
// transaction (so it is delivered exactly when the write commits), and every replica's listener
// passes it to the handler of its channel; after a lost connection, when notifications may
// have been missed, each handler reloads everything instead.

// Handler reacts to one channel's notifications.
type Handler struct {
	// Notified gets each notification's payload, in commit order.
	Notified func(payload string)
	// Reload drops or rereads everything cached: called once the listener (re)connects, since
	// notifications sent while it was away are lost.
	Reload func()
}

// Execer is what Notify needs: a pool, a connection or a transaction.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Notify queues payload (at most 8000 bytes) on channel; inside a transaction it is delivered
// when the transaction commits, and not at all if it rolls back.
func Notify(ctx context.Context, q Execer, channel, payload string) error {
	if _, err := q.Exec(ctx, "SELECT pg_notify($1, $2)", channel, payload); err != nil {
		return fmt.Errorf("notify %s: %w", channel, err)
	}
	return nil
}

// Listen delivers notifications on the handlers' channels until ctx ends, reconnecting when the
// connection is lost. report gets each connection problem once, not once per attempt.
//
// Retries back off only to one second: until the listener is back, other replicas' writes reach
// this one's caches not at all, and a write must be seen everywhere within a second of the
// database answering again.
func (db *DB) Listen(ctx context.Context, handlers map[string]Handler, report func(error)) {
	wait, reported := 100*time.Millisecond, ""
	for ctx.Err() == nil {
		connected, err := db.listenOnce(ctx, handlers)
		if ctx.Err() != nil {
			return
		}
		if connected {
			wait, reported = 100*time.Millisecond, ""
		}
		if err.Error() != reported {
			reported = err.Error()
			report(fmt.Errorf("listen for changes from other replicas: %w", err))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
}

// listenOnce listens on one connection until it fails; connected says whether LISTEN worked.
func (db *DB) listenOnce(ctx context.Context, handlers map[string]Handler) (connected bool, err error) {
	pooled, err := db.Pool.Acquire(ctx)
	if err != nil {
		return false, err
	}
	// The connection leaves the pool: a listening session must not serve other queries.
	conn := pooled.Hijack()
	defer conn.Close(context.WithoutCancel(ctx))
	for channel := range handlers {
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
			return false, err
		}
	}
	for _, h := range handlers {
		h.Reload()
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true, err
		}
		if h, ok := handlers[n.Channel]; ok {
			h.Notified(n.Payload)
		}
	}
}

// Merge combines the handlers of several packages into one map for Listen; handlers of the
// same channel are all called, in the order given.
func Merge(sets ...map[string]Handler) map[string]Handler {
	out := map[string]Handler{}
	for _, set := range sets {
		for channel, h := range set {
			prev, ok := out[channel]
			if !ok {
				out[channel] = h
				continue
			}
			out[channel] = Handler{
				Notified: func(p string) { prev.Notified(p); h.Notified(p) },
				Reload:   func() { prev.Reload(); h.Reload() },
			}
		}
	}
	return out
}
