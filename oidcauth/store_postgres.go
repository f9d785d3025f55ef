package oidcauth

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/eventlens/eventlens/apikeys"
	"github.com/eventlens/eventlens/pgdb"
)

// postgresStore keeps logins and sessions in oidc_logins and oidc_sessions, shared by every
// replica: a callback or a session cookie works whichever replica it reaches.
type postgresStore struct{ db *pgdb.DB }

func (s postgresStore) insertLogin(ctx context.Context, l login) error {
	_, err := s.db.Pool.Exec(ctx, `INSERT INTO oidc_logins (state_hash, nonce, verifier, next, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		l.stateHash[:], l.nonce, l.verifier, l.next, l.expires)
	return pgdb.Unavailable(err)
}

func (s postgresStore) takeLogin(ctx context.Context, h [32]byte) (login, error) {
	l := login{stateHash: h}
	err := s.db.Pool.QueryRow(ctx, `DELETE FROM oidc_logins WHERE state_hash = $1 RETURNING nonce, verifier, next, expires_at`, h[:]).
		Scan(&l.nonce, &l.verifier, &l.next, &l.expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return l, errNoRow
	}
	return l, pgdb.Unavailable(err)
}

func (s postgresStore) deleteExpired(ctx context.Context, now time.Time) error {
	batch := &pgx.Batch{}
	batch.Queue(`DELETE FROM oidc_logins WHERE expires_at < $1`, now)
	batch.Queue(`DELETE FROM oidc_sessions WHERE expires_at < $1`, now)
	return pgdb.Unavailable(s.db.Pool.SendBatch(ctx, batch).Close())
}

func (s postgresStore) insertSession(ctx context.Context, x session) error {
	_, err := s.db.Pool.Exec(ctx, `INSERT INTO oidc_sessions (id_hash, subject, name, role, refresh_token, id_token, tokens_expire_at, expires_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		x.idHash[:], x.Subject, x.Name, x.Role.String(), x.refreshToken, x.idToken, x.tokensExpire, x.expires, x.created)
	return pgdb.Unavailable(err)
}

const postgresSessionColumns = `subject, name, role, refresh_token, id_token, tokens_expire_at, expires_at, created_at`

func (s postgresStore) session(ctx context.Context, h [32]byte) (session, error) {
	return scanPostgresSession(h, s.db.Pool.QueryRow(ctx, `SELECT `+postgresSessionColumns+` FROM oidc_sessions WHERE id_hash = $1`, h[:]))
}

func (s postgresStore) refreshed(ctx context.Context, oldRefresh string, x session) (bool, error) {
	tag, err := s.db.Pool.Exec(ctx, `UPDATE oidc_sessions SET subject = $1, name = $2, role = $3, refresh_token = $4, id_token = $5, tokens_expire_at = $6
		WHERE id_hash = $7 AND refresh_token = $8`,
		x.Subject, x.Name, x.Role.String(), x.refreshToken, x.idToken, x.tokensExpire, x.idHash[:], oldRefresh)
	return tag.RowsAffected() == 1, pgdb.Unavailable(err)
}

func (s postgresStore) deleteSession(ctx context.Context, h [32]byte) (session, error) {
	return scanPostgresSession(h, s.db.Pool.QueryRow(ctx, `DELETE FROM oidc_sessions WHERE id_hash = $1 RETURNING `+postgresSessionColumns, h[:]))
}

func scanPostgresSession(h [32]byte, row pgx.Row) (session, error) {
	x := session{idHash: h}
	var role string
	err := row.Scan(&x.Subject, &x.Name, &role, &x.refreshToken, &x.idToken, &x.tokensExpire, &x.expires, &x.created)
	if errors.Is(err, pgx.ErrNoRows) {
		return x, errNoRow
	}
	if err != nil {
		return x, pgdb.Unavailable(err)
	}
	x.Role, err = apikeys.ParseRole(role)
	return x, err
}
