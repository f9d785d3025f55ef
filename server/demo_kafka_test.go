package server

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eventlens/eventlens/brokers"
	"github.com/eventlens/eventlens/demo"
	"github.com/eventlens/eventlens/kafkalag"
	"github.com/eventlens/eventlens/tracing"
)

// TestDemoRunsOnKafka runs the demo shop on its in-process Kafka cluster and polls the cluster
// for lag as serve does: the flows come from the spans kotel makes, every Kafka consumer paired
// with its producer (end-to-end delay); shipping's group falls behind while the carrier is slow
// and the monitor judges it WARN; and the declined payments pile up in orders.placed.DLT, which
// no group consumes. Ingest keeps spans as serve does by default (SpanKeep's flows): the
// request's HTTP root span, which may arrive before the trace's first Kafka span, is in the trace.
func TestDemoRunsOnKafka(t *testing.T) {
	ts := startServerWith(t, tracing.Config{})
	cluster, err := demo.NewCluster()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close) // after the shop has stopped: cleanups run last first
	// Burrow's WARN needs a full window of polls with the lag growing at each: three here. The
	// polls reach consumer health as serve wires them.
	lag, err := kafkalag.New(ts.DB, kafkalag.Config{Clusters: []kafkalag.Cluster{{Name: "demo", Brokers: cluster.Brokers()}},
		PollInterval: 2 * time.Second, Window: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer lag.Close()
	ts.Ingest.SetBrokers(brokers.Sources{Kafka: lag})
	stop, _ := runDemoOn(t, ts, "", cluster)
	ctx := context.Background()

	flows, _ := waitForDemoFlows(t, ts, "", 30*time.Second)
	t.Run("every Kafka consumer is paired with its producer", func(t *testing.T) {
		for _, f := range flows {
			if f.Direction != "consume" || f.Channel.System != "kafka" {
				continue
			}
			if f.Delays == 0 || f.DelayP95Ms == nil {
				t.Errorf("%s reads %s (group %s) with no end-to-end delay: %d pairs", f.Service, f.ChannelKey, f.ConsumerGroup, f.Delays)
			}
		}
	})

	t.Run("shipping falls behind, and the monitor says so", func(t *testing.T) {
		// Every group is a little behind between two commits (a second apart); shipping falls
		// further behind at every poll while the carrier is slow.
		deadline := time.Now().Add(45 * time.Second)
		for {
			if err := lag.PollOnce(ctx); err != nil {
				t.Fatal(err)
			}
			g, _ := lag.Group("demo", "shipping")
			var others int64
			for _, o := range lag.Groups() {
				if o.Group != "shipping" {
					others = max(others, o.Lag)
				}
			}
			if g.Status == kafkalag.StatusWarn && g.Lag > 3*others {
				t.Logf("shipping: %s, %d behind (%s), the others at most %d: %s", g.Status, g.Lag, g.TimeLag, others, g.Reason)
				if len(g.Topics) != 1 || g.Topics[0].Topic != "payments.completed" {
					t.Errorf("shipping lags on %+v, want payments.completed", g.Topics)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after 45s shipping is %s, %d behind (the others at most %d): %s; want WARN, well behind the others", g.Status, g.Lag, others, g.Reason)
			}
			time.Sleep(2 * time.Second)
		}
		var groups []string
		for _, g := range lag.Groups() {
			groups = append(groups, g.Group)
			for _, tl := range g.Topics {
				if tl.Topic == "orders.placed.DLT" {
					t.Errorf("group %s consumes the dead-letter topic", g.Group)
				}
			}
		}
		if want := []string{"fraud-check", "inventory", "notifications", "payments", "shipping"}; !slices.Equal(groups, want) {
			t.Errorf("groups %q, want %q", groups, want)
		}
	})

	t.Run("health and flows show the lag and the dead letters", func(t *testing.T) {
		var health tracing.HealthReport
		if err := json.Unmarshal([]byte(getWithKey(t, ts, "/api/health", "")), &health); err != nil {
			t.Fatal(err)
		}
		var answer struct {
			Flows []struct {
				tracing.Flow
				Lag         *int64
				DeadLetters []tracing.DeadLetters `json:"dead_letters"`
			}
		}
		if err := json.Unmarshal([]byte(getWithKey(t, ts, "/api/flows?since=10m", "")), &answer); err != nil {
			t.Fatal(err)
		}
		for _, c := range health.Consumers {
			if c.Service == "shipping" && (c.Status == tracing.StatusHealthy || c.Lag == nil || *c.Lag == 0 || !slices.Contains(c.Sources, "kafka") ||
				!slices.ContainsFunc(c.Reasons, func(r string) bool { return strings.HasPrefix(r, "kafka: the lag never fell") })) {
				t.Errorf("shipping's health %+v, want degraded by its lag (Burrow's WARN), from spans and kafka", c)
			}
		}
		shipping, payments := false, false
		for _, f := range answer.Flows {
			switch {
			case f.Direction == "consume" && f.Service == "shipping":
				shipping = f.Lag != nil && *f.Lag > 0
			case f.Direction == "consume" && f.Service == "payments":
				payments = len(f.DeadLetters) == 1 && f.DeadLetters[0].ChannelKey == "kafka/orders.placed.DLT" && f.DeadLetters[0].Messages > 0
			}
		}
		if !shipping || !payments {
			t.Errorf("/api/flows: shipping's lag shown %v, payments' dead letters %v; want both:\n%+v", shipping, payments, answer.Flows)
		}
	})

	t.Run("the declined payments are in the dead-letter topic", func(t *testing.T) {
		client, err := kgo.NewClient(kgo.SeedBrokers(cluster.Brokers()...))
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		ends, err := kadm.NewClient(client).ListEndOffsets(ctx, "orders.placed.DLT", "orders.placed")
		if err != nil {
			t.Fatal(err)
		}
		count := func(topic string) (n int64) {
			ends.Each(func(o kadm.ListedOffset) {
				if o.Topic == topic {
					n += o.Offset
				}
			})
			return n
		}
		dead, placed := count("orders.placed.DLT"), count("orders.placed")
		// 30 % are declined.
		if dead == 0 || dead > placed/2 {
			t.Errorf("%d dead letters of %d orders placed", dead, placed)
		}
	})

	stop()
	t.Run("a declined payment's trace is kotel's", func(t *testing.T) {
		examples := ts.Ingest.ErrorExamples(tracing.ExampleQuery{Service: "payments"})
		if len(examples) == 0 {
			t.Fatal("no failed span of payments")
		}
		spans, err := ts.Ingest.Trace(ctx, examples[0].TraceID)
		if err != nil {
			t.Fatal(err)
		}
		// One trace from the request on: inventory's spans are in it too.
		var got []string
		var mine []tracing.StoredSpan
		byID := map[tracing.SpanID]tracing.StoredSpan{}
		for _, s := range spans {
			byID[s.SpanID] = s
			if s.Service == "orders" || s.Service == "payments" {
				got = append(got, s.Service+" "+s.Name)
				mine = append(mine, s)
			}
		}
		// The request, kotel's publish, receive and process spans, and the dead letter's publish.
		want := []string{"orders POST /orders", "orders orders.placed publish", "payments orders.placed receive",
			"payments orders.placed process", "payments orders.placed.DLT publish"}
		if !slices.Equal(got, want) {
			t.Fatalf("the trace of a declined payment has %q, want %q", got, want)
		}
		publish, process := mine[1], mine[3]
		for _, c := range []struct{ what, got, want string }{
			{"the publish span's operation", publish.Attributes["messaging.operation"], "publish"}, // semantic conventions 1.18
			{"the publish span's client", publish.Attributes["messaging.kafka.client_id"], "orders"},
			{"the process span's operation", process.Attributes["messaging.operation"], "process"},
			{"the process span's group", process.Attributes["messaging.kafka.consumer.group"], "payments"},
			{"the process span's channel", process.Channel, "kafka/orders.placed"},
			{"the process span's schema", process.Attributes["messaging.message.schema.id"], publish.Attributes["messaging.message.schema.id"]},
		} {
			if c.got != c.want {
				t.Errorf("%s: %q, want %q", c.what, c.got, c.want)
			}
		}
		if byID[process.ParentSpanID].Name != "orders.placed receive" || len(process.Links) != 1 || process.Links[0].SpanID != publish.SpanID {
			t.Errorf("the process span's parent is %q and its links %v; want kotel's receive span, and a link to the publish span", byID[process.ParentSpanID].Name, process.Links)
		}
		if _, ok := process.Attributes["messaging.kafka.message.offset"]; !ok || !strings.HasPrefix(process.Attributes["messaging.source.name"], "orders.placed") {
			t.Errorf("the process span lacks kotel's attributes: %v", process.Attributes)
		}
	})
}
