package otlpmetrics

import (
	"context"

	"github.com/eventlens/eventlens/storage"
)

// table keeps the series every replica shares: one row per series with its latest point and
// the one before it. One implementation per backend.
type table interface {
	// write stores series, sorted by id, in one transaction. A series' point replaces the
	// stored one only when it is newer, and the one it replaces becomes its previous point;
	// then the series is seen at seen. When expireBefore is not 0, series last seen before it
	// are deleted first.
	write(ctx context.Context, series []*Series, seen, expireBefore int64) error
	// read returns every series seen at or after since.
	read(ctx context.Context, since int64) ([]Series, error)
	// sources calls f with the id and source of every series seen at or after since.
	sources(ctx context.Context, since int64, f func(SeriesID, string)) error
}

func newTable(db *storage.DB) table {
	if db.Postgres != nil {
		return postgresTable{db.Postgres}
	}
	return sqliteTable{db.SQLite}
}

// columns are the table's columns in the order write and read take them.
const columns = `series_id, metric, source, system, cluster, destination, consumer_group, partition_id,
	service, direction, vhost, queue, node, state, operation, error_type,
	temporality, start_ns, time_ns, value, histogram, seen_ns`

// movePoint makes a series' stored point its previous one, in an update of its row.
const movePoint = `prev_start_ns = otlp_metric_series.start_ns, prev_time_ns = otlp_metric_series.time_ns,
	prev_value = otlp_metric_series.value, prev_histogram = otlp_metric_series.histogram`

// onConflict is how both backends merge a point into its stored series.
const onConflict = `ON CONFLICT (series_id) DO UPDATE SET ` + movePoint + `,
	temporality = excluded.temporality, start_ns = excluded.start_ns, time_ns = excluded.time_ns,
	value = excluded.value, histogram = excluded.histogram, seen_ns = excluded.seen_ns
	WHERE excluded.time_ns > otlp_metric_series.time_ns`

// readColumns are what read scans, in scanSeries' order.
const readColumns = columns + `, prev_start_ns, prev_time_ns, prev_value, prev_histogram`

// scanSeries reads one row of readColumns.
func scanSeries(scan func(dest ...any) error) (Series, error) {
	var s Series
	var id []byte
	var hist, prevHist string
	l := &s.Labels
	err := scan(&id, &s.Metric, &s.Source, &l.Channel.System, &l.Channel.Cluster, &l.Channel.Destination, &l.Group, &l.Partition,
		&l.Service, &l.Direction, &l.VHost, &l.Queue, &l.Node, &l.State, &l.Operation, &l.ErrorType,
		&s.Temporality, &s.Point.Start, &s.Point.Time, &s.Point.Value, &hist, &s.Seen,
		&s.Prev.Start, &s.Prev.Time, &s.Prev.Value, &prevHist)
	if err != nil {
		return s, err
	}
	copy(s.ID[:], id)
	if s.Point.Histogram, err = decodeHistogram(hist); err != nil {
		return s, err
	}
	s.Prev.Histogram, err = decodeHistogram(prevHist)
	return s, err
}
