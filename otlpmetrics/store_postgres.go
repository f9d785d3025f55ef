package otlpmetrics

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

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

func (t postgresTable) write(ctx context.Context, series []Series, seen, expireBefore int64) error {
	err := pgx.BeginFunc(ctx, t.db.Pool, func(tx pgx.Tx) error {
		if expireBefore != 0 {
			if _, err := tx.Exec(ctx, `DELETE FROM otlp_metric_series WHERE seen_ns < $1`, expireBefore); err != nil {
				return err
			}
		}
		for len(series) > 0 {
			chunk := series[:min(len(series), rowsPerStatement)]
			series = series[len(chunk):]
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
	if err != nil {
		return pgError("store metric points", err)
	}
	return nil
}

// columnArrays turns series into one array per column, in the order of columns.
func columnArrays(series []Series, seen int64) []any {
	n := len(series)
	ids := make([][]byte, n)
	metric, source, system, cluster, dest, group := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	partition := make([]int32, n)
	service, direction, vhost, queue, node, state, op, errType := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	temporality := make([]int32, n)
	start, at, seens := make([]int64, n), make([]int64, n), make([]int64, n)
	value := make([]float64, n)
	hist := make([]string, n)
	for i := range series {
		s := &series[i]
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
