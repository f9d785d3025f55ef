package kafkalag

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/eventlens/eventlens/pgdb"
)

// postgresStore keeps polls in the kafkalag_* tables of the shared database. One replica polls
// the brokers at a time: the one pgdb.Leader elects.
type postgresStore struct {
	db     *pgdb.DB
	leader *pgdb.Leader
}

// pollerLock is the key of the poller's advisory lock ("klag").
const pollerLock int32 = 0x6b6c6167

func pgError(what string, err error) error {
	return fmt.Errorf("%s: %w", what, pgdb.Unavailable(err))
}

func (s *postgresStore) save(ctx context.Context, p poll) error {
	at := p.at.UnixNano()
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO kafkalag_polls (cluster, polled_ns, cluster_id, state, error) VALUES ($1, $2, $3, $4, $5)`,
			p.cluster, at, p.clusterID, string(p.state), p.err); err != nil {
			return err
		}
		ends := make([][]any, len(p.topics))
		for i, t := range p.topics {
			ends[i] = []any{p.cluster, at, t.topic, encodeEnds(t.partitions)}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"kafkalag_end_offsets"}, []string{"cluster", "polled_ns", "topic", "offsets"},
			pgx.CopyFromRows(ends)); err != nil {
			return err
		}
		commits := make([][]any, len(p.groups))
		for i, g := range p.groups {
			commits[i] = []any{p.cluster, at, g.group, g.state, int32(g.members), g.err, encodeCommits(g.partitions)}
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"kafkalag_commits"},
			[]string{"cluster", "polled_ns", "group_name", "state", "members", "error", "offsets"}, pgx.CopyFromRows(commits))
		return err
	})
	if err != nil {
		return pgError(fmt.Sprintf("save kafka poll of %q", p.cluster), err)
	}
	return nil
}

func (s *postgresStore) pollsAfter(ctx context.Context, cluster string, t time.Time) ([]poll, error) {
	var polls []poll
	// Repeatable read: the three tables as of one moment, even while the poller writes.
	err := pgx.BeginTxFunc(ctx, s.db.Pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		polls = nil
		after := t.UnixNano()
		index := map[int64]int{}
		rows, err := tx.Query(ctx, `SELECT polled_ns, cluster_id, state, error FROM kafkalag_polls
			WHERE cluster = $1 AND polled_ns > $2 ORDER BY polled_ns`, cluster, after)
		if err != nil {
			return err
		}
		var ns int64
		var clusterID, state, perr string
		if _, err := pgx.ForEachRow(rows, []any{&ns, &clusterID, &state, &perr}, func() error {
			index[ns] = len(polls)
			polls = append(polls, poll{cluster: cluster, at: time.Unix(0, ns).UTC(), clusterID: clusterID, state: State(state), err: perr})
			return nil
		}); err != nil {
			return err
		}

		rows, err = tx.Query(ctx, `SELECT polled_ns, topic, offsets FROM kafkalag_end_offsets
			WHERE cluster = $1 AND polled_ns > $2 ORDER BY polled_ns, topic`, cluster, after)
		if err != nil {
			return err
		}
		var topic, text string
		if _, err := pgx.ForEachRow(rows, []any{&ns, &topic, &text}, func() error {
			ps, err := decodeEnds(text)
			if err != nil {
				return fmt.Errorf("topic %q: %w", topic, err)
			}
			if i, ok := index[ns]; ok {
				polls[i].topics = append(polls[i].topics, topicEnds{topic: topic, partitions: ps})
			}
			return nil
		}); err != nil {
			return err
		}

		rows, err = tx.Query(ctx, `SELECT polled_ns, group_name, state, members, error, offsets FROM kafkalag_commits
			WHERE cluster = $1 AND polled_ns > $2 ORDER BY polled_ns, group_name`, cluster, after)
		if err != nil {
			return err
		}
		var g groupCommits
		var members int32
		_, err = pgx.ForEachRow(rows, []any{&ns, &g.group, &g.state, &members, &g.err, &text}, func() error {
			ps, err := decodeCommits(text)
			if err != nil {
				return fmt.Errorf("group %q: %w", g.group, err)
			}
			if i, ok := index[ns]; ok {
				g.members, g.partitions = int(members), ps
				polls[i].groups = append(polls[i].groups, g)
			}
			return nil
		})
		return err
	})
	if err != nil {
		return nil, pgError(fmt.Sprintf("read kafka polls of %q", cluster), err)
	}
	return polls, nil
}

func (s *postgresStore) trim(ctx context.Context, cluster string, commitsBefore, pollsBefore time.Time) error {
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		for _, d := range []struct {
			table  string
			before time.Time
		}{{"kafkalag_commits", commitsBefore}, {"kafkalag_end_offsets", pollsBefore}, {"kafkalag_polls", pollsBefore}} {
			if _, err := tx.Exec(ctx, `DELETE FROM `+d.table+` WHERE cluster = $1 AND polled_ns < $2`, cluster, d.before.UnixNano()); err != nil {
				return fmt.Errorf("%s: %w", d.table, err)
			}
		}
		return nil
	})
	if err != nil {
		return pgError(fmt.Sprintf("trim kafka polls of %q", cluster), err)
	}
	return nil
}

func (s *postgresStore) lead(ctx context.Context) (bool, error) { return s.leader.Lead(ctx) }

func (s *postgresStore) close() error { return s.leader.Close() }
