package catalog

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bindingsCorpus documents message and operation bindings of every kind that the official
// examples lack (their operations carry a Kafka clientId or an MQTT qos, Adeo's message a Kafka
// key only; the round-trip tests cover those).
var bindingsCorpus = []string{"testdata/bindings/alerts.yaml", "testdata/bindings/dashboard.yaml"}

// TestImportKeepsBindings: message and operation bindings land as the documents give them (a
// message's Kafka key apart, as its key schema), a message's are merged from the producer's and
// the consumer's documents with the disagreement reported, in either import order; importing
// again changes nothing, and a changed document updates them in place.
func TestImportKeepsBindings(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *Catalog) {
		ctx := context.Background()
		messages := []struct{ name, bindings string }{
			// The producer's (Alerts Service) strategy wins; the consumer adds the bindingVersion.
			{"AlertRaised", `{"kafka":{"bindingVersion":"0.5.0","schemaIdLocation":"payload","schemaIdPayloadEncoding":"4","schemaLookupStrategy":"TopicIdStrategy"}}`},
			{"AlertAcknowledged", `{"kafka":{"schemaIdLocation":"header"}}`},
			{"MailRequested", `{"amqp":{"contentEncoding":"gzip","messageType":"mail.requested"}}`},
			{"SoundAlarm", `{"mqtt":{"contentType":"application/json","payloadFormatIndicator":1}}`},
			{"AlertPage", `{"http":{"bindingVersion":"0.3.0","headers":{"properties":{"ETag":{"type":"string"}},"type":"object"},"statusCode":200}}`},
		}
		operations := []struct{ service, name, group, bindings string }{ // by service and name, as Operations lists them
			{"Alerts Dashboard", "receiveAlerts", "dashboard", `{"kafka":{"bindingVersion":"0.5.0","clientId":{"enum":["dashboard-1"],"type":"string"},"groupId":{"enum":["dashboard"],"type":"string"}}}`},
			{"Alerts Dashboard", "serveAlertFeed", "", `{"http":{"bindingVersion":"0.3.0","method":"GET","query":{"properties":{"since":{"format":"date-time","type":"string"}},"type":"object"}}}`},
			{"Alerts Service", "onAlertAck", "alerts", `{"kafka":{"clientId":{"enum":["alerts-acks"],"type":"string"},"groupId":{"enum":["alerts"],"type":"string"}}}`},
			{"Alerts Service", "sendAlert", "", `{"kafka":{"clientId":{"enum":["alerts-service"],"type":"string"}}}`},
			{"Alerts Service", "sendMail", "", `{"amqp":{"ack":false,"bcc":["mail.archive"],"cc":["mail.audit"],"deliveryMode":2,"expiration":100000,"mandatory":true,"priority":5,"timestamp":true,"userId":"alerts"}}`},
			{"Alerts Service", "soundAlarm", "", `{"mqtt":{"qos":2,"retain":true}}`},
		}
		strategy := Conflict{Kind: "message", Name: "AlertRaised", Field: "bindings.kafka.schemaLookupStrategy",
			Kept: "TopicIdStrategy", KeptFrom: "urn:eventlens:test:alerts", Ignored: "RecordNameStrategy", IgnoredFrom: "Alerts Dashboard"}

		check := func(t *testing.T, c *Catalog) {
			t.Helper()
			for _, want := range messages {
				m, err := c.Message(ctx, want.name)
				if err != nil {
					t.Fatal(err)
				}
				if got := jsonOf(t, m.Bindings); got != want.bindings {
					t.Errorf("message %s bindings\n got %s\nwant %s", want.name, got, want.bindings)
				}
			}
			if m, err := c.Message(ctx, "AlertRaised"); err != nil || m.Key != `{"format":"uuid","type":"string"}` {
				t.Errorf("AlertRaised key = %q (%v), want its Kafka key schema", m.Key, err)
			}
			ops, err := c.Operations(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(ops) != len(operations) {
				t.Fatalf("%d operations, want %d", len(ops), len(operations))
			}
			for i, want := range operations {
				o := ops[i]
				if got := jsonOf(t, o.Bindings); o.Service != want.service || o.Name != want.name || o.ConsumerGroup != want.group || got != want.bindings {
					t.Errorf("operation %s %s group %q bindings\n got %s\nwant %s %s group %q bindings %s",
						o.Service, o.Name, o.ConsumerGroup, got, want.service, want.name, want.group, want.bindings)
				}
			}
		}

		for _, order := range [][]string{bindingsCorpus, {bindingsCorpus[1], bindingsCorpus[0]}} {
			t.Run(filepath.Base(order[0])+" first", func(t *testing.T) {
				c := open(t)
				var last ImportResult
				for _, f := range order {
					last = mustImport(t, c, f, ImportOptions{})
				}
				if len(last.Conflicts) != 1 || last.Conflicts[0] != strategy {
					t.Errorf("conflicts of the later import: %+v, want %+v", last.Conflicts, strategy)
				}
				check(t, c)

				before := dump(t, c)
				for _, f := range order {
					res := mustImport(t, c, f, ImportOptions{})
					if res.Changed || len(res.Conflicts) != 1 || res.Conflicts[0] != strategy {
						t.Errorf("%s again: changed=%t conflicts %+v, want unchanged with the one conflict", f, res.Changed, res.Conflicts)
					}
				}
				if after := dump(t, c); after != before {
					t.Errorf("re-import changed the catalog:\n%s", lineDiff(before, after))
				}
			})
		}

		// A changed document replaces what it said: the bindings it changed and dropped.
		c := open(t)
		importCorpus(t, c, "", bindingsCorpus)
		original, err := os.ReadFile(bindingsCorpus[0])
		if err != nil {
			t.Fatal(err)
		}
		changed := strings.Replace(string(original), "messageType: mail.requested", "messageType: mail.queued", 1)
		changed = strings.Replace(changed, "          retain: true\n", "", 1)
		changed = strings.Replace(changed, "schemaLookupStrategy: TopicIdStrategy", "schemaLookupStrategy: RecordNameStrategy", 1)
		file := filepath.Join(writeFiles(t, map[string]string{"alerts.yaml": changed}), "alerts.yaml")
		res := mustImport(t, c, file, ImportOptions{})
		if !res.Changed || res.Version != 2 || len(res.Conflicts) != 0 {
			t.Errorf("changed document: changed=%t version %d conflicts %+v, want version 2 and no conflict left", res.Changed, res.Version, res.Conflicts)
		}
		messages[2].bindings = `{"amqp":{"contentEncoding":"gzip","messageType":"mail.queued"}}`
		messages[0].bindings = strings.Replace(messages[0].bindings, "TopicIdStrategy", "RecordNameStrategy", 1)
		operations[5].bindings = `{"mqtt":{"qos":2}}`
		check(t, c)
	})
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestImportAfterUpgradeRereadsUnchangedDocuments checks a document stored by an older importer
// (another hash, no message bindings kept) is read again when imported unchanged, and only once.
func TestImportAfterUpgradeRereadsUnchangedDocuments(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *Catalog) {
		c := open(t)
		file := filepath.Join("testdata", "bindings", "alerts.yaml")
		mustImport(t, c, file, ImportOptions{})
		testExec(t, c, `UPDATE catalog_documents SET hash = 'an older importer'`)
		testExec(t, c, `UPDATE catalog_messages SET bindings = '{}'`)
		if res := mustImport(t, c, file, ImportOptions{}); !res.Changed {
			t.Fatalf("the unchanged document was skipped though an older importer stored it: %+v", res)
		}
		m, err := c.Message(context.Background(), "MailRequested")
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Bindings) == 0 {
			t.Errorf("MailRequested has no bindings after the re-read")
		}
		if res := mustImport(t, c, file, ImportOptions{}); res.Changed {
			t.Errorf("a second import of the same document changed the catalog: %+v", res)
		}
	})
}

// TestImportBindingWithoutFields checks a protocol written with nothing under it (YAML
// "kafka:") is kept as a binding with no fields, as "kafka: {}" is.
func TestImportBindingWithoutFields(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *Catalog) {
		c := open(t)
		doc := "asyncapi: 2.6.0\ninfo: {title: Bare, version: 1.0.0}\nchannels:\n  orders:\n    bindings:\n      kafka:\n    subscribe:\n      message: {name: Placed, payload: {type: object}}\n"
		if _, err := c.ImportDocument(context.Background(), []byte(doc), ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		ch, err := c.Channel(context.Background(), "orders")
		if err != nil {
			t.Fatal(err)
		}
		if got := jsonOf(t, ch.Bindings); got != `{"kafka":{}}` {
			t.Errorf("channel bindings %s, want {\"kafka\":{}}", got)
		}
	})
}
