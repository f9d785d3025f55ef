package alerts

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/eventlens/eventlens/pgdb"
)

// postgresStore keeps alerts in the shared database. One replica evaluates rules and sends
// notifications: the one pgdb.Leader elects; every replica lists.
type postgresStore struct {
	db     *pgdb.DB
	leader *pgdb.Leader
}

func pgError(what string, err error) error {
	return fmt.Errorf("%s: %w", what, pgdb.Unavailable(err))
}

func (s *postgresStore) open(ctx context.Context) ([]Alert, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+alertColumns+` FROM alerts WHERE state <> 'resolved' ORDER BY active_ns, id`)
	if err != nil {
		return nil, pgError("read open alerts", err)
	}
	defer rows.Close()
	var out []Alert
	for rows.Next() {
		a, err := scanAlert(rows.Scan)
		if err != nil {
			return nil, pgError("read open alerts", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, pgError("read open alerts", err)
	}
	return out, nil
}

func (s *postgresStore) apply(ctx context.Context, upsert []Alert, remove []string) error {
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		for _, a := range upsert {
			values, err := alertValues(a)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO alerts (`+alertColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
				ON CONFLICT (id) DO UPDATE SET severity = excluded.severity, labels = excluded.labels, summary = excluded.summary,
					owner = excluded.owner, owner_email = excluded.owner_email, owner_url = excluded.owner_url,
					state = excluded.state, fired_ns = excluded.fired_ns, resolved_ns = excluded.resolved_ns`, values...); err != nil {
				return fmt.Errorf("save alert %s: %w", a.ID, err)
			}
			for _, d := range a.Deliveries {
				if _, err := tx.Exec(ctx, `INSERT INTO alert_deliveries (alert_id, receiver, want) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
					a.ID, d.Receiver, a.State); err != nil {
					return fmt.Errorf("save alert %s's delivery to %s: %w", a.ID, d.Receiver, err)
				}
			}
			if a.State != StatePending {
				if _, err := tx.Exec(ctx, `UPDATE alert_deliveries SET want = $1 WHERE alert_id = $2 AND want <> $1`, a.State, a.ID); err != nil {
					return fmt.Errorf("save alert %s's deliveries: %w", a.ID, err)
				}
			}
		}
		if len(remove) > 0 {
			if _, err := tx.Exec(ctx, `DELETE FROM alert_deliveries WHERE alert_id = ANY($1)`, remove); err != nil {
				return fmt.Errorf("delete cleared alerts: %w", err)
			}
			if _, err := tx.Exec(ctx, `DELETE FROM alerts WHERE id = ANY($1) AND state = 'pending'`, remove); err != nil {
				return fmt.Errorf("delete cleared alerts: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return pgError("save alerts", err)
	}
	return nil
}

func (s *postgresStore) due(ctx context.Context, now time.Time, limit int) ([]dueDelivery, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT a.`+strings.ReplaceAll(alertColumns, ", ", ", a.")+`, d.`+strings.ReplaceAll(deliveryColumns, ", ", ", d.")+`
		FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id
		WHERE d.want <> d.sent AND d.next_ns <= $1 ORDER BY a.active_ns, a.id, d.receiver LIMIT $2`, now.UnixNano(), limit)
	if err != nil {
		return nil, pgError("read due alert deliveries", err)
	}
	defer rows.Close()
	var out []dueDelivery
	for rows.Next() {
		var d dueDelivery
		dest, fill := deliveryDest(&d.delivery)
		if d.alert, err = scanAlert(rows.Scan, dest...); err != nil {
			return nil, pgError("read due alert deliveries", err)
		}
		fill()
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, pgError("read due alert deliveries", err)
	}
	return out, nil
}

func (s *postgresStore) record(ctx context.Context, alertID string, d Delivery) error {
	if _, err := s.db.Pool.Exec(ctx, `UPDATE alert_deliveries SET sent = $1, attempts = $2, next_ns = $3, last_error = $4 WHERE alert_id = $5 AND receiver = $6`,
		d.Sent, d.Attempts, nanos(d.NextAttempt), d.LastError, alertID, d.Receiver); err != nil {
		return pgError(fmt.Sprintf("record the delivery of alert %s to %s", alertID, d.Receiver), err)
	}
	return nil
}

func (s *postgresStore) list(ctx context.Context, state string, offset, limit int) ([]Alert, int, error) {
	where, args := `state <> 'pending'`, []any{}
	if state != "" {
		where, args = `state = $1`, []any{state}
	}
	var out []Alert
	var total int
	// Repeatable read: the page, its count and its deliveries as of one moment.
	err := pgx.BeginTxFunc(ctx, s.db.Pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM alerts WHERE `+where, args...).Scan(&total); err != nil {
			return err
		}
		n := len(args)
		rows, err := tx.Query(ctx, fmt.Sprintf(`SELECT `+alertColumns+` FROM alerts WHERE `+where+` ORDER BY active_ns DESC, id LIMIT $%d OFFSET $%d`, n+1, n+2),
			append(args, limit, offset)...)
		if err != nil {
			return err
		}
		index := map[string]int{}
		var ids []string
		for rows.Next() {
			a, err := scanAlert(rows.Scan)
			if err != nil {
				rows.Close()
				return err
			}
			index[a.ID] = len(out)
			ids = append(ids, a.ID)
			out = append(out, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT alert_id, `+deliveryColumns+` FROM alert_deliveries WHERE alert_id = ANY($1) ORDER BY receiver`, ids)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var d Delivery
			dest, fill := deliveryDest(&d)
			if err := rows.Scan(append([]any{&id}, dest...)...); err != nil {
				return err
			}
			fill()
			out[index[id]].Deliveries = append(out[index[id]].Deliveries, d)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, pgError("list alerts", err)
	}
	return out, total, nil
}

func (s *postgresStore) counts(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT state, COUNT(*) FROM alerts GROUP BY state`)
	if err != nil {
		return nil, pgError("count alerts", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return nil, pgError("count alerts", err)
		}
		out[state] = n
	}
	if err := rows.Err(); err != nil {
		return nil, pgError("count alerts", err)
	}
	return out, nil
}

func (s *postgresStore) prune(ctx context.Context, t time.Time) error {
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM alert_deliveries WHERE alert_id IN (SELECT id FROM alerts WHERE state = 'resolved' AND resolved_ns < $1)`, t.UnixNano()); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM alerts WHERE state = 'resolved' AND resolved_ns < $1`, t.UnixNano())
		return err
	})
	if err != nil {
		return pgError("prune alerts", err)
	}
	return nil
}

func (s *postgresStore) lead(ctx context.Context) (bool, error) { return s.leader.Lead(ctx) }

func (s *postgresStore) close() error { return s.leader.Close() }
