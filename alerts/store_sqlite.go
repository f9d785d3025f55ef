package alerts

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/eventlens/eventlens/sqlitedb"
)

// sqliteStore keeps alerts in the SQLite file. One process serves the file, so it always leads.
type sqliteStore struct{ db *sqlitedb.DB }

func (s sqliteStore) open(ctx context.Context) ([]Alert, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT `+alertColumns+` FROM alerts WHERE state <> 'resolved' ORDER BY active_ns, id`)
	if err != nil {
		return nil, fmt.Errorf("read open alerts: %w", err)
	}
	defer rows.Close()
	var out []Alert
	for rows.Next() {
		a, err := scanAlert(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("read open alerts: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read open alerts: %w", err)
	}
	return out, nil
}

func (s sqliteStore) apply(ctx context.Context, upsert []Alert, remove []string) error {
	tx, err := s.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save alerts: %w", err)
	}
	defer tx.Rollback()
	for _, a := range upsert {
		values, err := alertValues(a)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO alerts (`+alertColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET severity = excluded.severity, labels = excluded.labels, summary = excluded.summary,
				owner = excluded.owner, owner_email = excluded.owner_email, owner_url = excluded.owner_url,
				state = excluded.state, fired_ns = excluded.fired_ns, resolved_ns = excluded.resolved_ns`, values...); err != nil {
			return fmt.Errorf("save alert %s: %w", a.ID, err)
		}
		for _, d := range a.Deliveries {
			if _, err := tx.ExecContext(ctx, `INSERT INTO alert_deliveries (alert_id, receiver, want) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
				a.ID, d.Receiver, a.State); err != nil {
				return fmt.Errorf("save alert %s's delivery to %s: %w", a.ID, d.Receiver, err)
			}
		}
		if a.State != StatePending {
			if _, err := tx.ExecContext(ctx, `UPDATE alert_deliveries SET want = ? WHERE alert_id = ? AND want <> ?`, a.State, a.ID, a.State); err != nil {
				return fmt.Errorf("save alert %s's deliveries: %w", a.ID, err)
			}
		}
	}
	for _, id := range remove {
		if _, err := tx.ExecContext(ctx, `DELETE FROM alert_deliveries WHERE alert_id = ?`, id); err != nil {
			return fmt.Errorf("delete alert %s: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM alerts WHERE id = ? AND state = 'pending'`, id); err != nil {
			return fmt.Errorf("delete alert %s: %w", id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save alerts: %w", err)
	}
	return nil
}

func (s sqliteStore) due(ctx context.Context, now time.Time, limit int) ([]dueDelivery, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT a.`+strings.ReplaceAll(alertColumns, ", ", ", a.")+`, d.`+strings.ReplaceAll(deliveryColumns, ", ", ", d.")+`
		FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id
		WHERE d.want <> d.sent AND d.next_ns <= ? ORDER BY a.active_ns, a.id, d.receiver LIMIT ?`, now.UnixNano(), limit)
	if err != nil {
		return nil, fmt.Errorf("read due alert deliveries: %w", err)
	}
	defer rows.Close()
	var out []dueDelivery
	for rows.Next() {
		var d dueDelivery
		dest, fill := deliveryDest(&d.delivery)
		if d.alert, err = scanAlert(rows.Scan, dest...); err != nil {
			return nil, fmt.Errorf("read due alert deliveries: %w", err)
		}
		fill()
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read due alert deliveries: %w", err)
	}
	return out, nil
}

func (s sqliteStore) record(ctx context.Context, alertID string, d Delivery) error {
	if _, err := s.db.Write.ExecContext(ctx, `UPDATE alert_deliveries SET sent = ?, attempts = ?, next_ns = ?, last_error = ? WHERE alert_id = ? AND receiver = ?`,
		d.Sent, d.Attempts, nanos(d.NextAttempt), d.LastError, alertID, d.Receiver); err != nil {
		return fmt.Errorf("record the delivery of alert %s to %s: %w", alertID, d.Receiver, err)
	}
	return nil
}

func (s sqliteStore) list(ctx context.Context, state string, offset, limit int) ([]Alert, int, error) {
	where, args := `state <> 'pending'`, []any{}
	if state != "" {
		where, args = `state = ?`, []any{state}
	}
	tx, err := s.db.Read.BeginTx(ctx, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("list alerts: %w", err)
	}
	defer tx.Rollback()
	var total int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM alerts WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count alerts: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+alertColumns+` FROM alerts WHERE `+where+` ORDER BY active_ns DESC, id LIMIT ? OFFSET ?`,
		append(args, limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list alerts: %w", err)
	}
	var out []Alert
	index := map[string]int{}
	for rows.Next() {
		a, err := scanAlert(rows.Scan)
		if err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("list alerts: %w", err)
		}
		index[a.ID] = len(out)
		out = append(out, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list alerts: %w", err)
	}
	if len(out) == 0 {
		return out, total, nil
	}
	ids := make([]any, len(out))
	for i, a := range out {
		ids[i] = a.ID
	}
	rows, err = tx.QueryContext(ctx, `SELECT alert_id, `+deliveryColumns+` FROM alert_deliveries WHERE alert_id IN (?`+strings.Repeat(", ?", len(ids)-1)+`) ORDER BY receiver`, ids...)
	if err != nil {
		return nil, 0, fmt.Errorf("list alert deliveries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var d Delivery
		dest, fill := deliveryDest(&d)
		if err := rows.Scan(append([]any{&id}, dest...)...); err != nil {
			return nil, 0, fmt.Errorf("list alert deliveries: %w", err)
		}
		fill()
		out[index[id]].Deliveries = append(out[index[id]].Deliveries, d)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list alert deliveries: %w", err)
	}
	return out, total, nil
}

func (s sqliteStore) counts(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT state, COUNT(*) FROM alerts GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("count alerts: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return nil, fmt.Errorf("count alerts: %w", err)
		}
		out[state] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count alerts: %w", err)
	}
	return out, nil
}

func (s sqliteStore) prune(ctx context.Context, t time.Time) error {
	tx, err := s.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("prune alerts: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM alert_deliveries WHERE alert_id IN (SELECT id FROM alerts WHERE state = 'resolved' AND resolved_ns < ?)`, t.UnixNano()); err != nil {
		return fmt.Errorf("prune alert deliveries: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM alerts WHERE state = 'resolved' AND resolved_ns < ?`, t.UnixNano()); err != nil {
		return fmt.Errorf("prune alerts: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("prune alerts: %w", err)
	}
	return nil
}

func (sqliteStore) lead(context.Context) (bool, error) { return true, nil }

func (sqliteStore) close() error { return nil }
