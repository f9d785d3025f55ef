package apikeys

import (
	"context"
	"errors"
	"time"

	"github.com/eventlens/eventlens/storage"
)

// store is what Keys needs of the database; one implementation per backend.
type store interface {
	// insert adds the key unless its id or secret hash is taken (by a valid or a revoked key),
	// and reports whether it did.
	insert(ctx context.Context, key Key, secretHash [32]byte) (bool, error)
	// list returns every key, revoked ones included, oldest first.
	list(ctx context.Context) ([]Key, error)
	// revoke sets the key's revocation time unless it has one; errNoRow when no key has id.
	revoke(ctx context.Context, id string, at time.Time) error
	countValid(ctx context.Context) (int, error)
	// validByHash and validByID return errNoRow unless a key matches and is not revoked.
	validByHash(ctx context.Context, secretHash [32]byte) (Key, error)
	validByID(ctx context.Context, id string) (Key, error)
	signingKey(ctx context.Context) ([]byte, error)
}

// errNoRow is a store's "nothing matched"; Keys turns it into the error its caller expects.
var errNoRow = errors.New("no matching row")

func newStore(db *storage.DB) store {
	if db.Postgres != nil {
		return postgresStore{db.Postgres}
	}
	return sqliteStore{db.SQLite}
}
