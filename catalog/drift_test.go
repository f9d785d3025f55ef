package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// Drift over OTLP, for every kind, is tested in server/drift_test.go; these are its rules.

func TestChannelSpeaksSystem(t *testing.T) {
	tests := []struct {
		bindings []string
		system   string
		want     bool
	}{
		{nil, "kafka", true},                       // no bindings: anything
		{[]string{"kafka"}, "kafka", true},         // the same protocol
		{[]string{"kafka"}, "rabbitmq", false},     // another known one
		{[]string{"amqp"}, "rabbitmq", true},       // RabbitMQ speaks AMQP
		{[]string{"amqp", "kafka"}, "kafka", true}, // one of several
		{[]string{"kafka"}, "my-broker", true},     // a system eventlens does not know
		{[]string{"x-custom"}, "kafka", true},      // bindings eventlens does not know
		{[]string{"mqtt5"}, "MQTT", true},          // systems compared case-insensitively
		{[]string{"googlepubsub"}, "aws_sqs", false},
	}
	for _, tt := range tests {
		ch := &documentedChannel{name: "c", bindings: tt.bindings}
		if got := ch.speaks(tt.system); got != tt.want {
			t.Errorf("bindings %v, system %q: %t, want %t", tt.bindings, tt.system, got, tt.want)
		}
	}
}

func TestDriftQueryDefaults(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *Catalog) {
		now := time.Date(2025, 6, 9, 12, 0, 0, 0, time.UTC)
		q, err := DriftQuery{}.withDefaults(now)
		if err != nil || !q.At.Equal(now) || q.NotObservedFor != 7*24*time.Hour || !q.Since.Equal(now.AddDate(0, 0, -7)) {
			t.Errorf("defaults: %+v, %v", q, err)
		}
		for _, bad := range []DriftQuery{
			{Kinds: []string{"drifty"}},
			{NotObservedFor: -time.Hour},
			{Since: now.Add(time.Hour)},
		} {
			if _, err := bad.withDefaults(now); !errors.Is(err, ErrInvalidQuery) {
				t.Errorf("%+v: %v, want ErrInvalidQuery", bad, err)
			}
		}
		if _, err := open(t).Drift(context.Background(), DriftQuery{}); err == nil {
			t.Error("drift without an ingester: no error")
		}
	})
}

// What drift compares the traces with, read from the store: the same on both backends.
func TestDocumented(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *Catalog) {
		c := open(t)
		mustImport(t, c, "testdata/shop/orders.yaml", ImportOptions{})
		mustImport(t, c, "testdata/shop/shipping.yaml", ImportOptions{})
		d, err := c.documented(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !d.services["Orders Service"] || !d.services["Shipping Service"] || len(d.services) != 2 {
			t.Errorf("services %v", d.services)
		}
		orders := d.byName["shop.orders.v1"]
		if orders == nil || d.byAddress["orders"] != orders || !slices.Equal(orders.bindings, []string{"kafka"}) ||
			!slices.Equal(orders.subjects, []string{"shop.orders.v1-value"}) {
			t.Fatalf("channel shop.orders.v1: %+v", orders)
		}
		var ops []string
		for _, op := range d.ops {
			if !op.since.Equal(c.now()) {
				t.Errorf("operation %+v: since %v, want the import's time %v", op, op.since, c.now())
			}
			ops = append(ops, fmt.Sprintf("%s %s %s %s %s", op.service, op.name, op.action, op.channel, op.group))
		}
		want := []string{
			"Orders Service onOrderCommand receive order-commands ",
			"Orders Service onPaymentReceived receive shop.payments.v1 orders-service",
			"Orders Service publishOrderPlaced send shop.orders.v1 ",
			"Shipping Service onOrderPlaced receive shop.orders.v1 shipping",
			"Shipping Service sendParcelScanned send parcel-scanned ",
		}
		if !slices.Equal(ops, want) {
			t.Errorf("operations\n%s\nwant\n%s", strings.Join(ops, "\n"), strings.Join(want, "\n"))
		}
	})
}
