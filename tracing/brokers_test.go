package tracing

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/storage/storagetest"
)

type fixedSignals []BrokerSignal

func (f fixedSignals) BrokerSignals(context.Context) ([]BrokerSignal, error) { return f, nil }

// Messages a consumer sends to its channel's dead-letter topic degrade it and show beside it;
// retries show without degrading; a broker's lag joins the consumer spans show, its verdict
// makes the status worse, and a group no span shows appears under its own name.
func TestHealthJoinsDeadLettersAndBrokers(t *testing.T) {
	storagetest.Each(t, testHealthJoinsDeadLettersAndBrokers)
}

func testHealthJoinsDeadLettersAndBrokers(t *testing.T, db *storage.DB) {
	clk := newClock(t0)
	in := startIngest(t, db, Config{Now: clk.now})
	var spans []Span
	for i := range uint64(10) {
		at := t0.Add(-2*time.Minute + time.Duration(i)*time.Second)
		spans = append(spans, decode(t,
			producer("orders", "payments", i+1, 1, at),
			consumer("billing", "billing", "payments", i+1, 2, ref(i+1, 1), at.Add(time.Second), time.Millisecond),
			consumer("ledger", "ledger", "payments", i+1, 3, ref(i+1, 1), at.Add(time.Second), time.Millisecond))...)
		if i%2 == 0 { // billing gives up on every other payment
			spans = append(spans, decode(t, producer("billing", "payments.DLT", i+1, 4, at.Add(2*time.Second)))...)
		}
		if i%5 == 0 {
			spans = append(spans, decode(t, producer("ledger", "payments-retry-0", i+1, 5, at.Add(2*time.Second)))...)
		}
	}
	ingest(t, in, spans)
	lag, timeLag, depth := int64(1200), 90*time.Second, int64(7)
	in.SetBrokers(fixedSignals{
		{Source: "kafka", Channel: Channel{System: "kafka", Destination: "payments"}, Group: "ledger", Lag: &lag, TimeLag: &timeLag,
			Status: StatusFailing, Reasons: []string{"STALL on payments[0]"}},
		{Source: "kafka", Channel: Channel{System: "kafka", Destination: "payments"}, Group: "fraud-scoring", Lag: &lag},
		{Source: "rabbitmq", Channel: Channel{System: "rabbitmq", Destination: "mails"}, Group: "mailer", QueueDepth: &depth,
			DeadLetters: []DeadLetters{{ChannelKey: "rabbitmq/mails.dlx", Kind: SatelliteDeadLetter, Depth: &depth, PerMinute: 2, Source: "rabbitmq"}}},
	})

	report, err := in.Health(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]ConsumerHealth{}
	for _, c := range report.Consumers {
		got[c.Service] = c
	}
	billing := got["billing"]
	if billing.Status != StatusDegraded || len(billing.DeadLetters) != 1 || billing.DeadLetters[0].Messages != 5 ||
		billing.DeadLetters[0].ChannelKey != "kafka/payments.DLT" {
		t.Errorf("billing: %s %v, dead letters %+v; want degraded by 5 dead letters to payments.DLT", billing.Status, billing.Reasons, billing.DeadLetters)
	}
	ledger := got["ledger"]
	if ledger.Status != StatusFailing || ledger.Lag == nil || *ledger.Lag != 1200 || ledger.TimeLagSeconds == nil || *ledger.TimeLagSeconds != 90 ||
		!slices.Equal(ledger.Sources, []string{"spans", "kafka"}) {
		t.Errorf("ledger: %s %v lag %v time lag %v sources %v; want failing with the broker's lag", ledger.Status, ledger.Reasons, ledger.Lag, ledger.TimeLagSeconds, ledger.Sources)
	}
	if len(ledger.DeadLetters) != 1 || ledger.DeadLetters[0].Kind != SatelliteRetry || ledger.DeadLetters[0].Messages != 2 {
		t.Errorf("ledger's retries: %+v, want 2 to payments-retry-0", ledger.DeadLetters)
	}
	if f := got["fraud-scoring"]; f.ConsumerGroup != "fraud-scoring" || f.ChannelKey != "kafka/payments" || f.Status != StatusHealthy ||
		!slices.Equal(f.Sources, []string{"kafka"}) {
		t.Errorf("a group only the broker knows: %+v", f)
	}
	if m := got["mailer"]; m.QueueDepth == nil || *m.QueueDepth != 7 || len(m.DeadLetters) != 1 || *m.DeadLetters[0].Depth != 7 {
		t.Errorf("a RabbitMQ queue only the broker knows: %+v", m)
	}
	if _, ok := got["orders"]; ok {
		t.Error("a producer is listed as a consumer")
	}
}
