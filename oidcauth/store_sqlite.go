package oidcauth

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/eventlens/eventlens/apikeys"
	"github.com/eventlens/eventlens/sqlitedb"
)

// sqliteStore keeps logins and sessions in oidc_logins and oidc_sessions, times as RFC 3339
// text in UTC to the second (so they compare as text).
type sqliteStore struct{ db *sqlitedb.DB }

func sqliteTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (s sqliteStore) insertLogin(ctx context.Context, l login) error {
	_, err := s.db.Write.ExecContext(ctx, `INSERT INTO oidc_logins (state_hash, nonce, verifier, next, expires_at) VALUES (?, ?, ?, ?, ?)`,
		l.stateHash[:], l.nonce, l.verifier, l.next, sqliteTime(l.expires))
	return err
}

func (s sqliteStore) takeLogin(ctx context.Context, h [32]byte) (login, error) {
	l := login{stateHash: h}
	var expires string
	err := s.db.Write.QueryRowContext(ctx, `DELETE FROM oidc_logins WHERE state_hash = ? RETURNING nonce, verifier, next, expires_at`, h[:]).
		Scan(&l.nonce, &l.verifier, &l.next, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return l, errNoRow
	}
	if err != nil {
		return l, err
	}
	l.expires, err = time.Parse(time.RFC3339, expires)
	return l, err
}

func (s sqliteStore) deleteExpired(ctx context.Context, now time.Time) error {
	if _, err := s.db.Write.ExecContext(ctx, `DELETE FROM oidc_logins WHERE expires_at < ?`, sqliteTime(now)); err != nil {
		return err
	}
	_, err := s.db.Write.ExecContext(ctx, `DELETE FROM oidc_sessions WHERE expires_at < ?`, sqliteTime(now))
	return err
}

func (s sqliteStore) insertSession(ctx context.Context, x session) error {
	_, err := s.db.Write.ExecContext(ctx, `INSERT INTO oidc_sessions (id_hash, subject, name, role, refresh_token, id_token, tokens_expire_at, expires_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		x.idHash[:], x.Subject, x.Name, x.Role.String(), x.refreshToken, x.idToken, sqliteTime(x.tokensExpire), sqliteTime(x.expires), sqliteTime(x.created))
	return err
}

const sqliteSessionColumns = `subject, name, role, refresh_token, id_token, tokens_expire_at, expires_at, created_at`

func (s sqliteStore) session(ctx context.Context, h [32]byte) (session, error) {
	return scanSQLiteSession(h, s.db.Read.QueryRowContext(ctx, `SELECT `+sqliteSessionColumns+` FROM oidc_sessions WHERE id_hash = ?`, h[:]))
}

func (s sqliteStore) refreshed(ctx context.Context, oldRefresh string, x session) (bool, error) {
	res, err := s.db.Write.ExecContext(ctx, `UPDATE oidc_sessions SET subject = ?, name = ?, role = ?, refresh_token = ?, id_token = ?, tokens_expire_at = ?
		WHERE id_hash = ? AND refresh_token = ?`,
		x.Subject, x.Name, x.Role.String(), x.refreshToken, x.idToken, sqliteTime(x.tokensExpire), x.idHash[:], oldRefresh)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (s sqliteStore) deleteSession(ctx context.Context, h [32]byte) (session, error) {
	return scanSQLiteSession(h, s.db.Write.QueryRowContext(ctx, `DELETE FROM oidc_sessions WHERE id_hash = ? RETURNING `+sqliteSessionColumns, h[:]))
}

func scanSQLiteSession(h [32]byte, row *sql.Row) (session, error) {
	x := session{idHash: h}
	var role, tokensExpire, expires, created string
	err := row.Scan(&x.Subject, &x.Name, &role, &x.refreshToken, &x.idToken, &tokensExpire, &expires, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return x, errNoRow
	}
	if err != nil {
		return x, err
	}
	if x.Role, err = apikeys.ParseRole(role); err != nil {
		return x, err
	}
	for _, t := range []struct {
		to   *time.Time
		text string
	}{{&x.tokensExpire, tokensExpire}, {&x.expires, expires}, {&x.created, created}} {
		if *t.to, err = time.Parse(time.RFC3339, t.text); err != nil {
			return x, err
		}
	}
	return x, nil
}
