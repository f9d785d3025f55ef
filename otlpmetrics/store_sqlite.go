package otlpmetrics

import (
	"context"
	"fmt"

	"github.com/eventlens/eventlens/sqlitedb"
)

// sqliteTable keeps the series in the SQLite file.
type sqliteTable struct{ db *sqlitedb.DB }

func (t sqliteTable) write(ctx context.Context, series []*Series, seen, expireBefore int64) error {
	tx, err := t.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store metric points: %w", err)
	}
	defer tx.Rollback()
	if expireBefore != 0 {
		if _, err := tx.ExecContext(ctx, `DELETE FROM otlp_metric_series WHERE seen_ns < ?`, expireBefore); err != nil {
			return fmt.Errorf("expire metric series: %w", err)
		}
	}
	// Most series are stored already: their point is written by id alone, and only the ones
	// that are not (or whose point is not newer) go through the whole upsert.
	update, err := tx.PrepareContext(ctx, `UPDATE otlp_metric_series SET `+movePoint+`,
		temporality = ?, start_ns = ?, time_ns = ?, value = ?, histogram = ?, seen_ns = ?
		WHERE series_id = ? AND time_ns < ?`)
	if err != nil {
		return fmt.Errorf("store metric points: %w", err)
	}
	defer update.Close()
	var rest []*Series
	for _, s := range series {
		res, err := update.ExecContext(ctx, s.Temporality, s.Point.Start, s.Point.Time, s.Point.Value, encodeHistogram(s.Point.Histogram), seen,
			s.ID[:], s.Point.Time)
		if err != nil {
			return fmt.Errorf("store a point of %s: %w", s.Metric, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			rest = append(rest, s)
		}
	}
	if len(rest) > 0 {
		upsert, err := tx.PrepareContext(ctx, `INSERT INTO otlp_metric_series (`+columns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) `+onConflict)
		if err != nil {
			return fmt.Errorf("store metric points: %w", err)
		}
		defer upsert.Close()
		for _, s := range rest {
			l := &s.Labels
			if _, err := upsert.ExecContext(ctx, s.ID[:], s.Metric, s.Source, l.Channel.System, l.Channel.Cluster, l.Channel.Destination,
				l.Group, l.Partition, l.Service, l.Direction, l.VHost, l.Queue, l.Node, l.State, l.Operation, l.ErrorType,
				s.Temporality, s.Point.Start, s.Point.Time, s.Point.Value, encodeHistogram(s.Point.Histogram), seen); err != nil {
				return fmt.Errorf("store a point of %s: %w", s.Metric, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store metric points: %w", err)
	}
	return nil
}

func (t sqliteTable) read(ctx context.Context, since int64) ([]Series, error) {
	rows, err := t.db.Read.QueryContext(ctx, `SELECT `+readColumns+` FROM otlp_metric_series WHERE seen_ns >= ?`, since)
	if err != nil {
		return nil, fmt.Errorf("read metric series: %w", err)
	}
	defer rows.Close()
	var out []Series
	for rows.Next() {
		s, err := scanSeries(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("read metric series: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read metric series: %w", err)
	}
	return out, nil
}

func (t sqliteTable) sources(ctx context.Context, since int64, f func(SeriesID, string)) error {
	rows, err := t.db.Read.QueryContext(ctx, `SELECT series_id, source FROM otlp_metric_series WHERE seen_ns >= ?`, since)
	if err != nil {
		return fmt.Errorf("read metric series sources: %w", err)
	}
	defer rows.Close()
	var id SeriesID
	var raw []byte
	var source string
	for rows.Next() {
		if err := rows.Scan(&raw, &source); err != nil {
			return fmt.Errorf("read metric series sources: %w", err)
		}
		copy(id[:], raw)
		f(id, source)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read metric series sources: %w", err)
	}
	return nil
}
