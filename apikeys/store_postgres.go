package apikeys

import (
	"context"
	"crypto/rand"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/eventlens/eventlens/pgdb"
)

// postgresStore keeps keys in api_keys, times as timestamptz. Writes notify the other replicas
// on notifyChannel, so they drop what they cached of the key.
type postgresStore struct{ db *pgdb.DB }

const postgresKeyColumns = `id, name, role, created_at, revoked_at`

func (s postgresStore) insert(ctx context.Context, key Key, hash [32]byte) (bool, error) {
	inserted := false
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO api_keys (id, name, role, secret_hash, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
			key.ID, key.Name, key.Role.String(), hash[:], key.CreatedAt)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		inserted = true
		return pgdb.Notify(ctx, tx, notifyChannel, key.ID)
	})
	return inserted, pgdb.Unavailable(err)
}

func (s postgresStore) list(ctx context.Context) ([]Key, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+postgresKeyColumns+` FROM api_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, pgdb.Unavailable(err)
	}
	keys, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Key, error) { return scanPostgresKey(row) })
	return keys, pgdb.Unavailable(err)
}

func (s postgresStore) revoke(ctx context.Context, id string, at time.Time) error {
	return pgdb.Unavailable(pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE api_keys SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2`, at, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return errNoRow
		}
		return pgdb.Notify(ctx, tx, notifyChannel, id)
	}))
}

func (s postgresStore) countValid(ctx context.Context) (int, error) {
	var n int
	err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM api_keys WHERE revoked_at IS NULL`).Scan(&n)
	return n, pgdb.Unavailable(err)
}

func (s postgresStore) validByHash(ctx context.Context, hash [32]byte) (Key, error) {
	return scanPostgresKey(s.db.Pool.QueryRow(ctx,
		`SELECT `+postgresKeyColumns+` FROM api_keys WHERE secret_hash = $1 AND revoked_at IS NULL`, hash[:]))
}

func (s postgresStore) validByID(ctx context.Context, id string) (Key, error) {
	return scanPostgresKey(s.db.Pool.QueryRow(ctx,
		`SELECT `+postgresKeyColumns+` FROM api_keys WHERE id = $1 AND revoked_at IS NULL`, id))
}

// signingKey makes the key on first use; of replicas that start together, the first insert wins
// and every replica reads that one.
func (s postgresStore) signingKey(ctx context.Context) ([]byte, error) {
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	if _, err := s.db.Pool.Exec(ctx, `INSERT INTO signing_key (id, key) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`, fresh); err != nil {
		return nil, pgdb.Unavailable(err)
	}
	var key []byte
	err := s.db.Pool.QueryRow(ctx, `SELECT key FROM signing_key WHERE id = 1`).Scan(&key)
	return key, pgdb.Unavailable(err)
}

func scanPostgresKey(row pgx.Row) (Key, error) {
	var key Key
	var role string
	if err := row.Scan(&key.ID, &key.Name, &role, &key.CreatedAt, &key.RevokedAt); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return key, errNoRow
		}
		return key, pgdb.Unavailable(err)
	}
	key.CreatedAt = key.CreatedAt.UTC()
	if key.RevokedAt != nil {
		t := key.RevokedAt.UTC()
		key.RevokedAt = &t
	}
	var err error
	key.Role, err = ParseRole(role)
	return key, err
}
