package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/eventlens/eventlens/pgdb"
	"github.com/eventlens/eventlens/storage"
)

// store keeps alerts and their deliveries, so that a restart neither forgets a firing alert nor
// tells a receiver again, and so that every replica shows what the evaluating one found. One
// implementation per backend.
type store interface {
	// open returns the pending and firing alerts, without their deliveries.
	open(ctx context.Context) ([]Alert, error)
	// apply writes one evaluation in one transaction: each alert in upsert is inserted or
	// updated, its deliveries (if any) added unless they exist, and every delivery of a firing
	// or resolved alert set to want its state; the pending alerts in remove are deleted.
	apply(ctx context.Context, upsert []Alert, remove []string) error
	// due returns up to limit deliveries that want another state than they sent and whose next
	// attempt is at or before now, oldest alert first, each with its alert.
	due(ctx context.Context, now time.Time, limit int) ([]dueDelivery, error)
	// record writes what an attempt to deliver did.
	record(ctx context.Context, alertID string, d Delivery) error
	// list returns one page of alerts in state (or, for "", every alert that fired), newest
	// first, with their deliveries, and how many there are in all.
	list(ctx context.Context, state string, offset, limit int) ([]Alert, int, error)
	// counts says how many alerts are in each state.
	counts(ctx context.Context) (map[string]int, error)
	// prune deletes the alerts resolved before t, with their deliveries.
	prune(ctx context.Context, t time.Time) error
	// lead reports whether this process evaluates and sends: always on SQLite, whose file one
	// process serves; on PostgreSQL the replica pgdb.Leader elects.
	lead(ctx context.Context) (bool, error)
	// close gives up the lead.
	close() error
}

// dueDelivery is a delivery to attempt, with its alert.
type dueDelivery struct {
	alert    Alert
	delivery Delivery
}

// evaluatorLock is the key of the evaluator's advisory lock ("alrt").
const evaluatorLock int32 = 0x616c7274

func newStore(db *storage.DB) store {
	if db.Postgres != nil {
		return &postgresStore{db: db.Postgres, leader: pgdb.NewLeader(db.Postgres, evaluatorLock, "the alert evaluator")}
	}
	return sqliteStore{db.SQLite}
}

// nanos and fromNanos keep times as the tables do: Unix nanoseconds, 0 for "not yet".
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// alertColumns are the alerts table's columns in the order scanAlert reads them.
const alertColumns = `id, fingerprint, rule, kind, severity, labels, summary, owner, owner_email, owner_url, state, active_ns, fired_ns, resolved_ns`

// alertValues are an alert's values in alertColumns' order.
func alertValues(a Alert) ([]any, error) {
	labels, err := json.Marshal(a.Labels)
	if err != nil {
		return nil, fmt.Errorf("alert %s's labels: %w", a.ID, err)
	}
	return []any{a.ID, a.Fingerprint, a.Rule, a.Kind, a.Severity, string(labels), a.Summary, a.Owner.Name, a.Owner.Email, a.Owner.URL,
		a.State, nanos(a.ActiveAt), nanos(a.FiredAt), nanos(a.ResolvedAt)}, nil
}

// scanAlert reads alertColumns, then extra, from a row of either backend.
func scanAlert(scan func(dest ...any) error, extra ...any) (Alert, error) {
	var a Alert
	var labels string
	var active, fired, resolved int64
	dest := append([]any{&a.ID, &a.Fingerprint, &a.Rule, &a.Kind, &a.Severity, &labels, &a.Summary, &a.Owner.Name, &a.Owner.Email, &a.Owner.URL,
		&a.State, &active, &fired, &resolved}, extra...)
	if err := scan(dest...); err != nil {
		return a, err
	}
	if err := json.Unmarshal([]byte(labels), &a.Labels); err != nil {
		return a, fmt.Errorf("alert %s's labels: %w", a.ID, err)
	}
	a.ActiveAt, a.FiredAt, a.ResolvedAt = fromNanos(active), fromNanos(fired), fromNanos(resolved)
	return a, nil
}

// deliveryColumns are alert_deliveries' columns in the order deliveryDest reads them.
const deliveryColumns = `receiver, want, sent, attempts, next_ns, last_error`

// deliveryDest returns scan destinations for deliveryColumns and a function that fills d from
// them once scanned.
func deliveryDest(d *Delivery) ([]any, func()) {
	var next int64
	return []any{&d.Receiver, &d.Want, &d.Sent, &d.Attempts, &next, &d.LastError}, func() { d.NextAttempt = fromNanos(next) }
}
