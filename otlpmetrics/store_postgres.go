package otlpmetrics

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/eventlens/eventlens/pgdb"
)

// postgresTable keeps the series in the shared database, where every replica writes the
// exports it receives.
type postgresTable struct{ db *pgdb.DB }

// rowsPerStatement is how many series one upsert carries, as arrays unnested into rows.
const rowsPerStatement = 5000

func pgError(what string, err error) error {
	return fmt.Errorf("%s: %w", what, pgdb.Unavailable(err))
}

// write is tried again when it lost a deadlock against another replica's write of some of the
// same series (their rows are locked in the order of each statement's plan).
func (t postgresTable) write(ctx context.Context, series []*Series, seen, expireBefore int64) error {
	for attempt := 1; ; attempt++ {
		err := t.writeOnce(ctx, series, seen, expireBefore)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001") && attempt < 3 {
			continue
		}
		if err != nil {
			return pgError("store metric points", err)
		}
		return nil
	}
}

func (t postgresTable) writeOnce(ctx context.Context, series []*Series, seen, expireBefore int64) error {
	return pgx.BeginFunc(ctx, t.db.Pool, func(tx pgx.Tx) error {
		if expireBefore != 0 {
			if _, err := tx.Exec(ctx, `DELETE FROM otlp_metric_series WHERE seen_ns < $1`, expireBefore); err != nil {
				return err
			}
		}
		// Most series are stored already: their point is written by id alone, and only the
		// ones that are not (or whose point is not newer) go through the whole upsert.
		var rest []*Series
		for chunk := range slices.Chunk(series, rowsPerStatement) {
			rows, err := tx.Query(ctx, `UPDATE otlp_metric_series SET `+movePoint+`,
				temporality = u.temporality, start_ns = u.start_ns, time_ns = u.time_ns, value = u.value, histogram = u.histogram, seen_ns = $7
				FROM unnest($1::bytea[], $2::int[], $3::bigint[], $4::bigint[], $5::float8[], $6::text[])
					AS u(series_id, temporality, start_ns, time_ns, value, histogram)
				WHERE otlp_metric_series.series_id = u.series_id AND otlp_metric_series.time_ns < u.time_ns
				RETURNING otlp_metric_series.series_id`, pointArrays(chunk, seen)...)
			if err != nil {
				return err
			}
			updated := map[SeriesID]bool{}
			var raw []byte
			if _, err := pgx.ForEachRow(rows, []any{&raw}, func() error {
				updated[SeriesID(raw)] = true
				return nil
			}); err != nil {
				return err
			}
			for _, s := range chunk {
				if !updated[s.ID] {
					rest = append(rest, s)
				}
			}
		}
		for chunk := range slices.Chunk(rest, rowsPerStatement) {
			if _, err := tx.Exec(ctx, `INSERT INTO otlp_metric_series (`+columns+`)
				SELECT * FROM unnest($1::bytea[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[],
					$9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[],
					$17::int[], $18::bigint[], $19::bigint[], $20::float8[], $21::text[], $22::bigint[]) `+onConflict,
				columnArrays(chunk, seen)...); err != nil {
				return err
			}
		}
		return nil
	})
}

// pointArrays are the arrays of the update: id, temporality, start, time, value, histogram.
func pointArrays(series []*Series, seen int64) []any {
	n := len(series)
	ids, temporality := make([][]byte, n), make([]int32, n)
	start, at, value, hist := make([]int64, n), make([]int64, n), make([]float64, n), make([]string, n)
	for i, s := range series {
		ids[i], temporality[i] = s.ID[:], int32(s.Temporality)
		start[i], at[i], value[i], hist[i] = s.Point.Start, s.Point.Time, s.Point.Value, encodeHistogram(s.Point.Histogram)
	}
	return []any{ids, temporality, start, at, value, hist, seen}
}

// columnArrays turns series into one array per column, in the order of columns.
func columnArrays(series []*Series, seen int64) []any {
	n := len(series)
	ids := make([][]byte, n)
	metric, source, system, cluster, dest, group := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	partition := make([]int32, n)
	service, direction, vhost, queue, node, state, op, errType := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	temporality := make([]int32, n)
	start, at, seens := make([]int64, n), make([]int64, n), make([]int64, n)
	value := make([]float64, n)
	hist := make([]string, n)
	for i, s := range series {
		l := &s.Labels
		ids[i] = s.ID[:]
		metric[i], source[i] = s.Metric, s.Source
		system[i], cluster[i], dest[i], group[i], partition[i] = l.Channel.System, l.Channel.Cluster, l.Channel.Destination, l.Group, l.Partition
		service[i], direction[i], vhost[i], queue[i], node[i] = l.Service, l.Direction, l.VHost, l.Queue, l.Node
		state[i], op[i], errType[i] = l.State, l.Operation, l.ErrorType
		temporality[i], start[i], at[i], value[i] = int32(s.Temporality), s.Point.Start, s.Point.Time, s.Point.Value
		hist[i], seens[i] = encodeHistogram(s.Point.Histogram), seen
	}
	return []any{ids, metric, source, system, cluster, dest, group, partition, service, direction, vhost, queue, node,
		state, op, errType, temporality, start, at, value, hist, seens}
}

func (t postgresTable) read(ctx context.Context, since int64) ([]Series, error) {
	rows, err := t.db.Pool.Query(ctx, `SELECT `+readColumns+` FROM otlp_metric_series WHERE seen_ns >= $1`, since)
	if err != nil {
		return nil, pgError("read metric series", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Series, error) { return scanSeries(r.Scan) })
	if err != nil {
		return nil, pgError("read metric series", err)
	}
	return out, nil
}

func (t postgresTable) sources(ctx context.Context, since int64, f func(SeriesID, string)) error {
	rows, err := t.db.Pool.Query(ctx, `SELECT series_id, source FROM otlp_metric_series WHERE seen_ns >= $1`, since)
	if err != nil {
		return pgError("read metric series sources", err)
	}
	var id SeriesID
	var raw []byte
	var source string
	_, err = pgx.ForEachRow(rows, []any{&raw, &source}, func() error {
		copy(id[:], raw)
		f(id, source)
		return nil
	})
	if err != nil {
		return pgError("read metric series sources", err)
	}
	return nil
}
