package kafkalag

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/eventlens/eventlens/sqlitedb"
)

// sqliteStore keeps polls in the kafkalag_* tables of the SQLite file. One process serves the
// file, so it always leads.
type sqliteStore struct{ db *sqlitedb.DB }

func (s sqliteStore) save(ctx context.Context, p poll) error {
	tx, err := s.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save kafka poll of %q: %w", p.cluster, err)
	}
	defer tx.Rollback()
	at := p.at.UnixNano()
	if _, err := tx.ExecContext(ctx, `INSERT INTO kafkalag_polls (cluster, polled_ns, cluster_id, state, error) VALUES (?, ?, ?, ?, ?)`,
		p.cluster, at, p.clusterID, p.state, p.err); err != nil {
		return fmt.Errorf("save kafka poll of %q: %w", p.cluster, err)
	}
	ends, err := tx.PrepareContext(ctx, `INSERT INTO kafkalag_end_offsets (cluster, polled_ns, topic, offsets) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("save kafka poll of %q: %w", p.cluster, err)
	}
	defer ends.Close()
	for _, t := range p.topics {
		if _, err := ends.ExecContext(ctx, p.cluster, at, t.topic, encodeEnds(t.partitions)); err != nil {
			return fmt.Errorf("save end offsets of %q: %w", t.topic, err)
		}
	}
	commits, err := tx.PrepareContext(ctx, `INSERT INTO kafkalag_commits (cluster, polled_ns, group_name, state, members, error, offsets)
		VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("save kafka poll of %q: %w", p.cluster, err)
	}
	defer commits.Close()
	for _, g := range p.groups {
		if _, err := commits.ExecContext(ctx, p.cluster, at, g.group, g.state, g.members, g.err, encodeCommits(g.partitions)); err != nil {
			return fmt.Errorf("save committed offsets of group %q: %w", g.group, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save kafka poll of %q: %w", p.cluster, err)
	}
	return nil
}

func (s sqliteStore) pollsAfter(ctx context.Context, cluster string, t time.Time) ([]poll, error) {
	// One read transaction, so the three tables agree with each other.
	tx, err := s.db.Read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("read kafka polls of %q: %w", cluster, err)
	}
	defer tx.Rollback()
	after := t.UnixNano()
	var polls []poll
	index := map[int64]int{}
	rows, err := tx.QueryContext(ctx, `SELECT polled_ns, cluster_id, state, error FROM kafkalag_polls
		WHERE cluster = ? AND polled_ns > ? ORDER BY polled_ns`, cluster, after)
	if err != nil {
		return nil, fmt.Errorf("read kafka polls of %q: %w", cluster, err)
	}
	for rows.Next() {
		var ns int64
		p := poll{cluster: cluster}
		if err := rows.Scan(&ns, &p.clusterID, &p.state, &p.err); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read kafka polls of %q: %w", cluster, err)
		}
		p.at = time.Unix(0, ns).UTC()
		index[ns] = len(polls)
		polls = append(polls, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read kafka polls of %q: %w", cluster, err)
	}

	rows, err = tx.QueryContext(ctx, `SELECT polled_ns, topic, offsets FROM kafkalag_end_offsets
		WHERE cluster = ? AND polled_ns > ? ORDER BY polled_ns, topic`, cluster, after)
	if err != nil {
		return nil, fmt.Errorf("read end offsets of %q: %w", cluster, err)
	}
	for rows.Next() {
		var ns int64
		var t topicEnds
		var text string
		if err := rows.Scan(&ns, &t.topic, &text); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read end offsets of %q: %w", cluster, err)
		}
		if t.partitions, err = decodeEnds(text); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read end offsets of %q, topic %q: %w", cluster, t.topic, err)
		}
		if i, ok := index[ns]; ok {
			polls[i].topics = append(polls[i].topics, t)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read end offsets of %q: %w", cluster, err)
	}

	rows, err = tx.QueryContext(ctx, `SELECT polled_ns, group_name, state, members, error, offsets FROM kafkalag_commits
		WHERE cluster = ? AND polled_ns > ? ORDER BY polled_ns, group_name`, cluster, after)
	if err != nil {
		return nil, fmt.Errorf("read committed offsets of %q: %w", cluster, err)
	}
	defer rows.Close()
	for rows.Next() {
		var ns int64
		var g groupCommits
		var text string
		if err := rows.Scan(&ns, &g.group, &g.state, &g.members, &g.err, &text); err != nil {
			return nil, fmt.Errorf("read committed offsets of %q: %w", cluster, err)
		}
		if g.partitions, err = decodeCommits(text); err != nil {
			return nil, fmt.Errorf("read committed offsets of %q, group %q: %w", cluster, g.group, err)
		}
		if i, ok := index[ns]; ok {
			polls[i].groups = append(polls[i].groups, g)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read committed offsets of %q: %w", cluster, err)
	}
	return polls, nil
}

func (s sqliteStore) trim(ctx context.Context, cluster string, commitsBefore, pollsBefore time.Time) error {
	tx, err := s.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("trim kafka polls of %q: %w", cluster, err)
	}
	defer tx.Rollback()
	for _, d := range []struct {
		table  string
		before time.Time
	}{{"kafkalag_commits", commitsBefore}, {"kafkalag_end_offsets", pollsBefore}, {"kafkalag_polls", pollsBefore}} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+d.table+` WHERE cluster = ? AND polled_ns < ?`, cluster, d.before.UnixNano()); err != nil {
			return fmt.Errorf("trim %s of %q: %w", d.table, cluster, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("trim kafka polls of %q: %w", cluster, err)
	}
	return nil
}

func (sqliteStore) lead(context.Context) (bool, error) { return true, nil }

func (sqliteStore) close() error { return nil }
