package alerts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/eventlens/eventlens/storage"
)

// HistoryKept is how long a resolved alert stays in the history.
const HistoryKept = 30 * 24 * time.Hour

// dueBatch is how many deliveries one Deliver attempts at most.
const dueBatch = 500

// Alerts evaluates the rules of an alerts file and sends their notifications.
type Alerts struct {
	cfg    Config
	in     Inputs
	store  store
	client *http.Client
	log    *slog.Logger

	leading bool // what the last Evaluate or Deliver found; only the loop reads it
}

// New returns the alerts of cfg (which may have no rules: then only the history is shown),
// reading in and keeping their state in db.
func New(db *storage.DB, cfg Config, in Inputs, log *slog.Logger) *Alerts {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg.setDefaults()
	return &Alerts{cfg: cfg, in: in, store: newStore(db), log: log,
		client: &http.Client{Timeout: cfg.SendTimeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Rules are the rules being evaluated.
func (a *Alerts) Rules() []Rule { return a.cfg.Rules }

// Close gives up the lead.
func (a *Alerts) Close() error { return a.store.close() }

// Run evaluates the rules every EvaluateEvery and sends what is due every second, until ctx
// ends. Failures are logged, and the next round tries again.
func (a *Alerts) Run(ctx context.Context) {
	if len(a.cfg.Rules) == 0 {
		return
	}
	evaluate := time.NewTicker(a.cfg.EvaluateEvery)
	defer evaluate.Stop()
	deliver := time.NewTicker(time.Second)
	defer deliver.Stop()
	round := func(eval bool) {
		now := time.Now()
		if eval {
			if err := a.Evaluate(ctx, now); err != nil && ctx.Err() == nil {
				a.log.Warn("alerts: evaluating rules", "error", err)
			}
		}
		if err := a.Deliver(ctx, now); err != nil && ctx.Err() == nil {
			a.log.Warn("alerts: sending notifications", "error", err)
		}
	}
	round(true)
	for {
		select {
		case <-ctx.Done():
			return
		case <-evaluate.C:
			round(true)
		case <-deliver.C:
			round(false)
		}
	}
}

// lead reports whether this process evaluates and sends, and logs when that changes.
func (a *Alerts) lead(ctx context.Context) (bool, error) {
	lead, err := a.store.lead(ctx)
	if err != nil {
		return false, err
	}
	if lead != a.leading {
		a.leading = lead
		if lead {
			a.log.Info("alerts: this replica evaluates rules and sends notifications")
		}
	}
	return lead, nil
}

// Evaluate runs every rule once at now and stores what changed: new alerts pending, pending
// ones that held long enough firing, firing ones whose condition ended resolved. A rule whose
// inputs fail keeps its alerts as they are (a store that cannot be read resolves nothing).
// A replica that does not lead does nothing.
func (a *Alerts) Evaluate(ctx context.Context, now time.Time) error {
	if lead, err := a.lead(ctx); err != nil || !lead {
		return err
	}
	open, err := a.store.open(ctx)
	if err != nil {
		return err
	}
	byFingerprint := map[string]*Alert{}
	for i := range open {
		byFingerprint[open[i].Fingerprint] = &open[i]
	}
	r := &round{ctx: ctx, in: a.in, now: now}
	var upsert []Alert
	var errs []error
	seen, failed, rules := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, rule := range a.cfg.Rules {
		rules[rule.Name] = true
		findings, err := r.findings(rule)
		if err != nil {
			failed[rule.Name] = true
			errs = append(errs, fmt.Errorf("rule %q: %w", rule.Name, err))
			continue
		}
		if len(findings) > maxAlertsPerRule {
			a.log.Warn("alerts: rule matches too many things; the first are kept", "rule", rule.Name, "found", len(findings), "kept", maxAlertsPerRule)
			findings = findings[:maxAlertsPerRule]
		}
		for _, f := range findings {
			fp := fingerprint(rule.Name, f.labels)
			if seen[fp] {
				continue
			}
			seen[fp] = true
			al := byFingerprint[fp]
			if al == nil {
				al = &Alert{ID: fp + "-" + strconv.FormatInt(now.UnixNano(), 36), Fingerprint: fp, Rule: rule.Name, Kind: rule.Kind,
					State: StatePending, ActiveAt: now}
			}
			before := *al
			al.Severity, al.Labels, al.Summary, al.Owner = rule.Severity, f.labels, f.summary, f.owner
			if al.State == StatePending && now.Sub(al.ActiveAt) >= rule.For {
				al.State, al.FiredAt = StateFiring, now
				for _, name := range rule.Receivers {
					al.Deliveries = append(al.Deliveries, Delivery{Receiver: name})
				}
			}
			if before.ID == "" || changed(before, *al) {
				upsert = append(upsert, *al)
			}
		}
	}
	var remove []string
	for _, al := range open {
		if seen[al.Fingerprint] || failed[al.Rule] {
			continue
		}
		// The condition ended, or the rule left the alerts file.
		if al.State == StatePending {
			remove = append(remove, al.ID)
			continue
		}
		al.State, al.ResolvedAt = StateResolved, now
		upsert = append(upsert, al)
	}
	if len(upsert) > 0 || len(remove) > 0 {
		if err := a.store.apply(ctx, upsert, remove); err != nil {
			return errors.Join(append(errs, err)...)
		}
	}
	if err := a.store.prune(ctx, now.Add(-HistoryKept)); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func changed(a, b Alert) bool {
	return a.State != b.State || a.Severity != b.Severity || a.Summary != b.Summary || a.Owner != b.Owner || !maps.Equal(a.Labels, b.Labels)
}

// Deliver attempts every delivery due at now: each receiver's in order, the receivers side by
// side, so that one that hangs delays no other. A failed attempt is retried after a delay
// that doubles from RetryInitial up to RetryMax. A replica that does not lead does nothing.
func (a *Alerts) Deliver(ctx context.Context, now time.Time) error {
	if lead, err := a.lead(ctx); err != nil || !lead {
		return err
	}
	due, err := a.store.due(ctx, now, dueBatch)
	if err != nil {
		return err
	}
	byReceiver := map[string][]dueDelivery{}
	for _, d := range due {
		byReceiver[d.delivery.Receiver] = append(byReceiver[d.delivery.Receiver], d)
	}
	receivers := map[string]Receiver{}
	for _, r := range a.cfg.Receivers {
		receivers[r.Name] = r
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(byReceiver)) {
		wg.Go(func() {
			for _, d := range byReceiver[name] {
				if err := a.attempt(ctx, receivers, d, now); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return // the store failed; the next round tries again
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// attempt sends one delivery and records the outcome; it fails only when the store does.
func (a *Alerts) attempt(ctx context.Context, receivers map[string]Receiver, d dueDelivery, now time.Time) error {
	del := d.delivery
	recv, ok := receivers[del.Receiver]
	var err error
	if !ok {
		err = errors.New("the receiver is no longer in the alerts file")
		del.Sent = del.Want // nothing more can be done for it
	} else if err = a.send(ctx, recv, d.alert); err == nil {
		del.Sent = del.Want
	}
	if err != nil && ctx.Err() != nil {
		return nil // shutting down: the attempt did not count
	}
	if err == nil {
		del.Attempts, del.NextAttempt, del.LastError = 0, time.Time{}, ""
	} else {
		del.Attempts++
		del.LastError = err.Error()
		if del.Sent != del.Want {
			del.NextAttempt = now.Add(a.backoff(del.Attempts))
		}
		a.log.Warn("alerts: notification not delivered", "receiver", del.Receiver, "alert", d.alert.ID, "state", del.Want,
			"attempts", del.Attempts, "error", err)
	}
	return a.store.record(ctx, d.alert.ID, del)
}

// backoff is the delay before retry n (from 1): RetryInitial doubled n−1 times, at most RetryMax.
func (a *Alerts) backoff(n int) time.Duration {
	d := a.cfg.RetryInitial
	for i := 1; i < n && d < a.cfg.RetryMax; i++ {
		d *= 2
	}
	return min(d, a.cfg.RetryMax)
}

// Query asks for one page of alerts.
type Query struct {
	State  string // pending, firing, resolved, or "" for every alert that fired (the history)
	Offset int
	Limit  int // 1 to 500; 0 is 50
}

// Page is one page of alerts.
type Page struct {
	Alerts []Alert
	Total  int            // matching the query
	Counts map[string]int // alerts in each state
}

// ErrInvalidQuery marks a query the store cannot answer.
var ErrInvalidQuery = errors.New("invalid alerts query")

// List returns one page of alerts, newest first, with their deliveries.
func (a *Alerts) List(ctx context.Context, q Query) (Page, error) {
	if q.State != "" && q.State != StatePending && q.State != StateFiring && q.State != StateResolved {
		return Page{}, fmt.Errorf("state %q: %w: want pending, firing, resolved or none", q.State, ErrInvalidQuery)
	}
	if q.Limit == 0 {
		q.Limit = 50
	}
	if q.Limit < 1 || q.Limit > 500 || q.Offset < 0 {
		return Page{}, fmt.Errorf("limit %d, offset %d: %w: want a limit of 1 to 500 and an offset of 0 or more", q.Limit, q.Offset, ErrInvalidQuery)
	}
	alerts, total, err := a.store.list(ctx, q.State, q.Offset, q.Limit)
	if err != nil {
		return Page{}, err
	}
	counts, err := a.store.counts(ctx)
	if err != nil {
		return Page{}, err
	}
	return Page{Alerts: alerts, Total: total, Counts: counts}, nil
}
