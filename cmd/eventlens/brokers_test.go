package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eventlens/eventlens/rabbitmq/rabbittest"
)

// eventlens serve polling a real Kafka (kfake) and a real RabbitMQ shows what they say in
// consumer health, for consumers no span names: a group committed behind the end of its topic,
// with its lag; a queue with its depth, no consumer attached, and the dead-letter queue its
// rejected messages went to. On /api/health, the health page, the sources page, /readyz and /metrics.
func TestServeShowsBrokerHealth(t *testing.T) {
	ctx := context.Background()
	k, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "orders"))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(k.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for i := range 50 {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "orders", Value: fmt.Appendf(nil, "order %d", i)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	var committed kadm.Offsets
	committed.Add(kadm.Offset{Topic: "orders", Partition: 0, At: 20, LeaderEpoch: -1})
	if _, err := kadm.NewClient(cl).CommitOffsets(ctx, "billing", committed); err != nil {
		t.Fatal(err)
	}

	v := rabbittest.New(t)
	v.Must(v.Ch.ExchangeDeclare("mails", "direct", false, false, false, false, nil))
	v.Must(v.Ch.ExchangeDeclare("mails.dlx", "fanout", false, false, false, false, nil))
	v.DeclareQueue("mailer", amqp.Table{"x-dead-letter-exchange": "mails.dlx"})
	v.DeclareQueue("mailer.dlq", nil)
	v.Must(v.Ch.QueueBind("mailer", "mail", "mails", false, nil))
	v.Must(v.Ch.QueueBind("mailer.dlq", "", "mails.dlx", false, nil))
	for i := range 5 {
		v.Must(v.Ch.PublishWithContext(ctx, "mails", "mail", false, false, amqp.Publishing{Body: fmt.Appendf(nil, "mail %d", i)}))
	}
	for range 2 { // two rejected without requeue: dead letters; three stay, with nobody consuming
		d, ok, err := v.Ch.Get("mailer", false)
		v.Must(err)
		if !ok {
			t.Fatal("no message to reject")
		}
		v.Must(d.Reject(false))
	}

	p := startServe(t, t.TempDir()+"/eventlens.db", "--kafka-cluster", "shop="+strings.Join(k.ListenAddrs(), ","),
		"--kafka-poll-interval", "1s", "--rabbitmq-management-url", v.Watch, "--rabbitmq-poll-interval", "1s", "--rabbitmq-timeout", "1s")

	type consumer struct {
		Service, Status string
		Group           string   `json:"consumer_group"`
		Channel         string   `json:"channel_key"`
		Reasons         []string `json:"reasons"`
		Sources         []string
		Lag             *int64
		QueueDepth      *int64 `json:"queue_depth"`
		DeadLetters     []struct {
			Channel string `json:"channel_key"`
			Depth   *int64
		} `json:"dead_letters"`
	}
	var billing, mailer consumer
	within(t, 30*time.Second, "/api/health shows the Kafka group's lag and the RabbitMQ queue with its dead letters", func() bool {
		_, body := get(t, p.URL+"/api/health")
		var report struct{ Consumers []consumer }
		if err := json.Unmarshal([]byte(body), &report); err != nil {
			t.Fatalf("/api/health: %v: %s", err, body)
		}
		for _, c := range report.Consumers {
			switch {
			case c.Group == "billing" && c.Channel == "kafka/orders":
				billing = c
			case c.Group == "mailer" && c.Channel == "rabbitmq/mails":
				mailer = c
			}
		}
		return billing.Lag != nil && *billing.Lag == 30 && mailer.QueueDepth != nil && *mailer.QueueDepth == 3 &&
			len(mailer.DeadLetters) == 1 && mailer.DeadLetters[0].Depth != nil && *mailer.DeadLetters[0].Depth == 2
	})
	if billing.Service != "billing" || strings.Join(billing.Sources, ",") != "kafka" {
		t.Errorf("the Kafka group: %+v, want it under its group's name, from Kafka", billing)
	}
	if mailer.Status != "degraded" || !strings.Contains(strings.Join(mailer.Reasons, " "), "no consumer attached") ||
		mailer.DeadLetters[0].Channel != "rabbitmq/mailer.dlq" {
		t.Errorf("the RabbitMQ queue: %+v, want degraded (nobody consumes), its DLQ mailer.dlq", mailer)
	}

	_, html := get(t, p.URL+"/health")
	for _, want := range []string{"30 behind", "3 queued", "mailer.dlq", "2 waiting"} {
		if !strings.Contains(html, want) {
			t.Errorf("the health page lacks %q", want)
		}
	}
	if _, page := get(t, p.URL+"/sources"); !strings.Contains(page, "shop") || !strings.Contains(page, ">ok<") {
		t.Errorf("/sources does not show the Kafka cluster as ok")
	}
	_, ready := get(t, p.URL+"/readyz")
	if !strings.Contains(ready, `"kind":"kafka","name":"shop","state":"ok"`) || !strings.Contains(ready, `"kind":"rabbitmq"`) {
		t.Errorf("/readyz does not list the sources: %s", ready)
	}
	_, metrics := get(t, p.URL+"/metrics")
	if !strings.Contains(metrics, `eventlens_source_up{kind="kafka",name="shop"} 1`) {
		t.Errorf("/metrics lacks the Kafka source's state")
	}
}
