package kafkalag

import (
	"context"
	"time"

	"github.com/eventlens/eventlens/pgdb"
	"github.com/eventlens/eventlens/storage"
)

// store keeps the polls, so the offset history survives a restart and, on PostgreSQL, replicas
// share what one of them polled. One implementation per backend.
type store interface {
	// save writes one poll in one transaction.
	save(ctx context.Context, p poll) error
	// pollsAfter returns the cluster's polls made after t, oldest first.
	pollsAfter(ctx context.Context, cluster string, t time.Time) ([]poll, error)
	// trim deletes the cluster's committed offsets polled before commitsBefore, and its end
	// offsets and polls made before pollsBefore.
	trim(ctx context.Context, cluster string, commitsBefore, pollsBefore time.Time) error
	// lead reports whether this process is the one that polls the brokers: always on SQLite,
	// whose file one process serves; on PostgreSQL the replica that holds the poller's lock,
	// which another takes over when that replica's session ends.
	lead(ctx context.Context) (bool, error)
	// close gives up the lead.
	close() error
}

func newStore(db *storage.DB) store {
	if db.Postgres != nil {
		return &postgresStore{db: db.Postgres, leader: pgdb.NewLeader(db.Postgres, pollerLock, "the kafka poller")}
	}
	return sqliteStore{db.SQLite}
}
