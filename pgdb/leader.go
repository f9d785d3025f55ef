package pgdb

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Leader elects one replica among those sharing the database to do a job only one of them may
// do (poll the brokers, send alert notifications): the one whose own session holds a session
// advisory lock. When that replica dies its session ends, the lock is free, and the next
// replica to ask takes it. The second key of the lock is a hash of the schema, so deployments
// in separate schemas of one database each elect their own.
type Leader struct {
	db   *DB
	key  int32
	what string // the job, for error messages: "the kafka poller"

	mu   sync.Mutex
	conn *pgx.Conn // the session that holds or keeps trying for the lock; nil until Lead
	held bool
}

// NewLeader returns an election for the job what under the lock key (one key per job).
func NewLeader(db *DB, key int32, what string) *Leader {
	return &Leader{db: db, key: key, what: what}
}

// Lead keeps the lock if this replica holds it and its session is alive, and otherwise tries to
// take it on a session of its own: a connection taken out of the pool, since a session lock
// belongs to the connection that took it.
func (l *Leader) Lead(ctx context.Context) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn != nil {
		if err := l.conn.Ping(ctx); err != nil {
			// The session is gone, and the lock with it: another replica may hold it now.
			l.dropConn()
		} else if l.held {
			return true, nil
		}
	}
	if l.conn == nil {
		pooled, err := l.db.Pool.Acquire(ctx)
		if err != nil {
			return false, fmt.Errorf("connect for %s's lock: %w", l.what, Unavailable(err))
		}
		l.conn = pooled.Hijack()
	}
	if err := l.conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, hashtext(current_schema()))`, l.key).Scan(&l.held); err != nil {
		l.dropConn()
		return false, fmt.Errorf("take %s's lock: %w", l.what, Unavailable(err))
	}
	return l.held, nil
}

func (l *Leader) dropConn() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.conn.Close(ctx)
	l.conn, l.held = nil, false
}

// Close gives the lock up and ends its session. The unlock is explicit because the server
// notices a closed session a moment later, and another replica should not wait a round for it.
func (l *Leader) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil {
		return nil
	}
	var err error
	if l.held {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err = l.conn.Exec(ctx, `SELECT pg_advisory_unlock($1, hashtext(current_schema()))`, l.key)
	}
	l.dropConn()
	if err != nil {
		return fmt.Errorf("give up %s's lock: %w", l.what, Unavailable(err))
	}
	return nil
}
