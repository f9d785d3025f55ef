package alerts

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/eventlens/eventlens/storage/storagetest"
	"github.com/eventlens/eventlens/tracing"
)

func TestConsumerRules(t *testing.T) {
	ptr := func(v int64) *int64 { return &v }
	secs := func(v float64) *float64 { return &v }
	base := tracing.ConsumerHealth{Service: "billing", ConsumerGroup: "billing-v2", Channel: tracing.Channel{System: "kafka", Destination: "orders"},
		ChannelKey: "kafka/orders", Status: tracing.StatusHealthy}
	with := func(f func(*tracing.ConsumerHealth)) tracing.ConsumerHealth {
		c := base
		f(&c)
		return c
	}
	silent := with(func(c *tracing.ConsumerHealth) { c.Status = tracing.StatusSilent })
	behind := with(func(c *tracing.ConsumerHealth) { c.Lag, c.TimeLagSeconds = ptr(500), secs(400) })
	dead := with(func(c *tracing.ConsumerHealth) {
		c.DeadLetters = []tracing.DeadLetters{{ChannelKey: "kafka/orders.DLT", Kind: tracing.SatelliteDeadLetter, PerMinute: 3, Depth: ptr(12)},
			{ChannelKey: "kafka/orders-retry", Kind: tracing.SatelliteRetry, PerMinute: 50}}
	})
	for _, tc := range []struct {
		name, rule string
		consumer   tracing.ConsumerHealth
		want       []finding // labels and summary
	}{
		{"silent", "{kind: consumer_silent}", silent, []finding{{labels: map[string]string{"service": "billing", "group": "billing-v2", "channel": "kafka/orders"},
			summary: "billing (group billing-v2) is silent on kafka/orders."}}},
		{"healthy is not silent", "{kind: consumer_silent}", base, nil},
		{"silent is not failing", "{kind: consumer_failing}", silent, nil},
		{"lag in messages", "{kind: consumer_lagging, lag: 500}", behind, []finding{{labels: map[string]string{"service": "billing", "group": "billing-v2", "channel": "kafka/orders"},
			summary: "billing (group billing-v2) is 500 messages (threshold 500) behind on kafka/orders."}}},
		{"lag below", "{kind: consumer_lagging, lag: 501}", behind, nil},
		{"time lag", "{kind: consumer_lagging, lag: 10000, time_lag: 5m}", behind, []finding{{labels: map[string]string{"service": "billing", "group": "billing-v2", "channel": "kafka/orders"},
			summary: "billing (group billing-v2) is 6m40s (threshold 5m0s) behind on kafka/orders."}}},
		{"no lag known", "{kind: consumer_lagging, lag: 1}", base, nil},
		{"dead letters", "{kind: dlq_growing}", dead, []finding{{labels: map[string]string{"service": "billing", "group": "billing-v2", "channel": "kafka/orders", "dlq": "kafka/orders.DLT"},
			summary: "Dead letters of billing (group billing-v2) on kafka/orders reach kafka/orders.DLT at 3.0/min (12 waiting)."}}},
		{"dead letters below the rate", "{kind: dlq_growing, min_per_minute: 3}", dead, nil},
		{"match on the destination", "{kind: consumer_silent, match: {channel: 'ord*', service: 'bill*'}}", silent, []finding{{labels: map[string]string{"service": "billing", "group": "billing-v2", "channel": "kafka/orders"},
			summary: "billing (group billing-v2) is silent on kafka/orders."}}},
		{"match refuses", "{kind: consumer_silent, match: {group: 'shipping*'}}", silent, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := parse(t, "rules:\n  - "+tc.rule[:len(tc.rule)-1]+", name: r, severity: info}\n")
			r := &round{ctx: context.Background(), in: Inputs{Health: &healthNow{rep: tracing.HealthReport{Consumers: []tracing.ConsumerHealth{tc.consumer}}}}, now: time.Now()}
			got, err := r.findings(cfg.Rules[0])
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// A rule whose input fails keeps its alerts: a health report that cannot be read resolves
// nothing, and the error says which rule.
func TestAFailingInputResolvesNothing(t *testing.T) {
	db := storagetest.Default(t)
	cfg := parse(t, "rules:\n  - {name: failing, kind: consumer_failing, severity: critical}\n  - {name: unowned, kind: unowned_subject, severity: info}\n")
	health := &healthNow{}
	health.set(failing("billing"))
	ctx := context.Background()
	al := New(db, cfg, Inputs{Health: health}, nil)
	defer al.Close()
	if err := al.Evaluate(ctx, t0); err == nil {
		t.Fatal("a rule without its input (the registry) evaluated without error")
	}
	al.in.Health = nil
	err := al.Evaluate(ctx, t0.Add(time.Minute))
	if err == nil || !containsAll(err.Error(), `rule "failing"`, "consumer health") {
		t.Errorf("error %v: want it to name the rule and its input", err)
	}
	if p, _ := al.List(ctx, Query{State: StateFiring}); p.Total != 1 {
		t.Errorf("%d firing after the input failed, want the alert kept", p.Total)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
