package alerts

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/storage/storagetest"
)

// The store's behaviour, the same on both backends.
func TestStore(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		s := newStore(db)
		defer s.close()
		if lead, err := s.lead(ctx); err != nil || !lead {
			t.Fatalf("lead: %v, %v; want the only process to lead", lead, err)
		}
		t0 := time.Date(2026, 5, 1, 12, 0, 0, 123456789, time.UTC)
		pending := Alert{ID: "p-1", Fingerprint: "p", Rule: "silent", Kind: KindConsumerSilent, Severity: "warning",
			Labels: map[string]string{"service": "billing", "channel": "kafka/orders"}, Summary: "billing is silent", State: StatePending, ActiveAt: t0}
		firing := Alert{ID: "f-1", Fingerprint: "f", Rule: "failing", Kind: KindConsumerFailing, Severity: "critical",
			Labels: map[string]string{"service": "paiements-été"}, Summary: "<b>failing</b>", Owner: Owner{Name: "Team Checkout", Email: "c@shop.example"},
			State: StateFiring, ActiveAt: t0.Add(time.Second), FiredAt: t0.Add(time.Minute),
			Deliveries: []Delivery{{Receiver: "slack"}, {Receiver: "pager"}}}
		if err := s.apply(ctx, []Alert{pending, firing}, nil); err != nil {
			t.Fatal(err)
		}
		open, err := s.open(ctx)
		if err != nil {
			t.Fatal(err)
		}
		wantOpen := []Alert{pending, firing}
		wantOpen[1].Deliveries = nil
		if !reflect.DeepEqual(open, wantOpen) {
			t.Fatalf("open:\n%+v\nwant\n%+v", open, wantOpen)
		}

		due, err := s.due(ctx, t0.Add(time.Minute), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(due) != 2 || due[0].delivery.Receiver != "pager" || due[0].delivery.Want != StateFiring || due[0].alert.ID != "f-1" {
			t.Fatalf("due: %+v; want pager then slack wanting firing", due)
		}
		// pager failed once, slack got it.
		next := t0.Add(2 * time.Minute)
		if err := s.record(ctx, "f-1", Delivery{Receiver: "pager", Want: StateFiring, Attempts: 1, NextAttempt: next, LastError: "HTTP 503"}); err != nil {
			t.Fatal(err)
		}
		if err := s.record(ctx, "f-1", Delivery{Receiver: "slack", Want: StateFiring, Sent: StateFiring}); err != nil {
			t.Fatal(err)
		}
		if due, _ := s.due(ctx, next.Add(-time.Nanosecond), 10); len(due) != 0 {
			t.Errorf("due before the retry: %+v", due)
		}
		if due, _ := s.due(ctx, next, 10); len(due) != 1 || due[0].delivery.Attempts != 1 || due[0].delivery.LastError != "HTTP 503" {
			t.Errorf("due at the retry: %+v", due)
		}

		// The pending alert clears; the firing one resolves, and both receivers want that.
		firing.State, firing.ResolvedAt, firing.Deliveries = StateResolved, t0.Add(time.Hour), nil
		if err := s.apply(ctx, []Alert{firing}, []string{"p-1"}); err != nil {
			t.Fatal(err)
		}
		if open, _ := s.open(ctx); len(open) != 0 {
			t.Errorf("open after resolving: %+v", open)
		}
		due, _ = s.due(ctx, next, 10)
		if len(due) != 2 || due[0].delivery.Want != StateResolved || due[1].delivery.Want != StateResolved || due[1].delivery.Sent != StateFiring {
			t.Errorf("due after resolving: %+v", due)
		}

		page, total, err := s.list(ctx, "", 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if total != 1 || len(page) != 1 || page[0].ResolvedAt != t0.Add(time.Hour) || len(page[0].Deliveries) != 2 || page[0].Owner.Email != "c@shop.example" {
			t.Errorf("history: %d %+v", total, page)
		}
		if _, total, _ := s.list(ctx, StatePending, 0, 10); total != 0 {
			t.Errorf("%d pending, want 0", total)
		}
		counts, err := s.counts(ctx)
		if err != nil || !reflect.DeepEqual(counts, map[string]int{StateResolved: 1}) {
			t.Errorf("counts %v, %v", counts, err)
		}

		// A new episode of the same fingerprint may open while the old one is history.
		again := Alert{ID: "f-2", Fingerprint: "f", Rule: "failing", Kind: KindConsumerFailing, Severity: "critical", Labels: map[string]string{},
			State: StatePending, ActiveAt: t0.Add(2 * time.Hour)}
		if err := s.apply(ctx, []Alert{again}, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.prune(ctx, t0.Add(time.Hour+time.Nanosecond)); err != nil {
			t.Fatal(err)
		}
		if _, total, _ := s.list(ctx, StateResolved, 0, 10); total != 0 {
			t.Errorf("%d resolved after pruning, want 0", total)
		}
		if due, _ := s.due(ctx, next, 10); len(due) != 0 {
			t.Errorf("deliveries of a pruned alert: %+v", due)
		}
		if n := storagetest.Int(t, db, `SELECT COUNT(*) FROM alerts`); n != 1 {
			t.Errorf("%d alerts after pruning, want the open one", n)
		}
	})
}
