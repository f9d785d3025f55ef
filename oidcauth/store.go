package oidcauth

import (
	"context"
	"errors"
	"time"

	"github.com/eventlens/eventlens/storage"
)

// login is a sign-in between the redirect to the provider and its callback.
type login struct {
	stateHash       [32]byte
	nonce, verifier string
	next            string
	expires         time.Time
}

// session is a signed-in browser, found by the hash of its cookie.
type session struct {
	idHash [32]byte
	Identity
	refreshToken string // "" when the provider gave none
	idToken      string
	tokensExpire time.Time // refresh then (or end, without a refresh token)
	expires      time.Time // the end, whatever the tokens say
	created      time.Time
}

// store is what Auth needs of the database; one implementation per backend.
type store interface {
	insertLogin(ctx context.Context, l login) error
	// takeLogin deletes the login and returns it, so each is used once; errNoRow when none.
	takeLogin(ctx context.Context, stateHash [32]byte) (login, error)
	// deleteExpired drops logins and sessions past their end.
	deleteExpired(ctx context.Context, now time.Time) error
	insertSession(ctx context.Context, s session) error
	session(ctx context.Context, idHash [32]byte) (session, error)
	// refreshed writes s's tokens, identity and role if the row still holds oldRefresh, and
	// reports whether it did.
	refreshed(ctx context.Context, oldRefresh string, s session) (bool, error)
	// deleteSession deletes the session and returns it; errNoRow when none.
	deleteSession(ctx context.Context, idHash [32]byte) (session, error)
}

// errNoRow is a store's "nothing matched".
var errNoRow = errors.New("no matching row")

func newStore(db *storage.DB) store {
	if db.Postgres != nil {
		return postgresStore{db.Postgres}
	}
	return sqliteStore{db.SQLite}
}
