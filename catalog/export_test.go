package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/eventlens/eventlens/catalog/asyncapitest"
)

// exportCorpora are the test documents, grouped as they are imported together.
var exportCorpora = []struct {
	name  string
	base  string // base directory for $refs, "" for each file's own
	files []string
}{
	{"streetlights 2.6 kafka", "", []string{"testdata/asyncapi-2.6/streetlights-kafka.yml"}},
	{"streetlights 2.6 mqtt", "", []string{"testdata/asyncapi-2.6/streetlights-mqtt.yml"}},
	{"streetlights 3.0 kafka", "", []string{"testdata/asyncapi-3.0/streetlights-kafka.yml"}},
	{"streetlights 3.0 mqtt", "", []string{"testdata/asyncapi-3.0/streetlights-mqtt.yml"}},
	{"adeo 3.0 kafka", "", []string{"testdata/asyncapi-3.0/adeo-kafka-request-reply.yml"}},
	{"social media 2.6", "testdata/asyncapi-2.6/social-media", socialMedia("testdata/asyncapi-2.6/social-media")},
	{"social media 3.0", "testdata/asyncapi-3.0/social-media", socialMedia("testdata/asyncapi-3.0/social-media")},
	{"shop", "", []string{"testdata/shop/orders.yaml", "testdata/shop/shipping.yaml"}},
	{"shop, shipping first", "", []string{"testdata/shop/shipping.yaml", "testdata/shop/orders.yaml"}},
	{"bindings", "", []string{"testdata/bindings/alerts.yaml", "testdata/bindings/dashboard.yaml"}},
	{"bindings, dashboard first", "", []string{"testdata/bindings/dashboard.yaml", "testdata/bindings/alerts.yaml"}},
}

func socialMedia(base string) []string {
	var files []string
	for _, s := range []string{"backend", "comments-service", "frontend", "notification-service", "public-api"} {
		files = append(files, filepath.Join(base, s, "asyncapi.yaml"))
	}
	return files
}

func importCorpus(t *testing.T, c *Catalog, base string, files []string) {
	t.Helper()
	for _, f := range files {
		mustImport(t, c, f, ImportOptions{BaseDir: base})
	}
}

// TestExportValidates exports every service of every test document, and the whole catalog, in
// YAML and JSON, and validates each against the AsyncAPI 3.0 JSON Schema.
func TestExportValidates(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *Catalog) {
		// The schema refuses what it should, so a pass below means something.
		for _, bad := range []string{
			`{"asyncapi": "3.0.0", "info": {"title": "no version"}}`,
			`{"asyncapi": "3.0.0", "info": {"title": "t", "version": "1"}, "operations": {"op": {"action": "publish", "channel": {"$ref": "#/channels/c"}}}}`,
			`{"asyncapi": "3.0.0", "info": {"title": "t", "version": "1"}, "channels": {"c": {"topic": "c"}}}`,
		} {
			if asyncapitest.Check([]byte(bad)) == nil {
				t.Errorf("the AsyncAPI schema accepts %s", bad)
			}
		}
		ctx := context.Background()
		all := open(t)
		for _, corpus := range exportCorpora {
			t.Run(corpus.name, func(t *testing.T) {
				c := open(t)
				importCorpus(t, c, corpus.base, corpus.files)
				importCorpus(t, all, corpus.base, corpus.files)
				services, err := c.Services(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range append(services, Service{}) { // Service{}: the whole catalog
					for _, format := range []string{"yaml", "json"} {
						out, err := exportAs(ctx, c, s.Name, format)
						if err != nil {
							t.Fatalf("export %q: %v", s.Name, err)
						}
						asyncapitest.Validate(t, fmt.Sprintf("export of %q as %s", s.Name, format), out)
					}
				}
			})
		}
		// Every document in one catalog: channels shared between documents, the largest export.
		out, err := all.Export(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		asyncapitest.Validate(t, "export of every test document", out)
	})
}

func exportAs(ctx context.Context, c *Catalog, service, format string) ([]byte, error) {
	if format == "json" {
		out, err := c.ExportJSON(ctx, service)
		if err == nil && !json.Valid(out) {
			err = errors.New("ExportJSON wrote something that is not JSON")
		}
		return out, err
	}
	return c.Export(ctx, service)
}

// TestExportRoundTrip imports each corpus, exports each service, imports the exports into a
// fresh catalog and expects the same catalog.
func TestExportRoundTrip(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *Catalog) {
		ctx := context.Background()
		for _, corpus := range exportCorpora {
			t.Run(corpus.name, func(t *testing.T) {
				first := open(t)
				importCorpus(t, first, corpus.base, corpus.files)
				services, err := first.Services(ctx)
				if err != nil {
					t.Fatal(err)
				}
				// Import the exports in the order of the original imports, so that where two
				// documents describe one channel, the same one speaks last.
				sort.SliceStable(services, func(i, j int) bool {
					return documentOrder(t, first, services[i].Name) < documentOrder(t, first, services[j].Name)
				})
				second := open(t)
				for _, s := range services {
					out, err := first.Export(ctx, s.Name)
					if err != nil {
						t.Fatal(err)
					}
					if _, err := second.ImportDocument(ctx, out, ImportOptions{Source: s.Name + ".yaml"}); err != nil {
						t.Fatalf("re-import the export of %q: %v\n%s", s.Name, err, out)
					}
				}
				want, got := dumpCatalog(t, first), dumpCatalog(t, second)
				if want != got {
					t.Errorf("the re-imported catalog differs:\n%s", lineDiff(want, got))
				}
			})
		}
	})
}

func documentOrder(t *testing.T, c *Catalog, service string) int {
	t.Helper()
	return testInt(t, c, `SELECT document_id FROM catalog_services WHERE name = ?`, service)
}

// dumpCatalog writes what the round trip must keep, one fact a line. Payloads are compared as
// canonical JSON (keys sorted); a channel's address is not compared, since the export writes its
// Kafka topic there.
func dumpCatalog(t *testing.T, c *Catalog) string {
	t.Helper()
	ctx := context.Background()
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	services, err := c.Services(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range services {
		add("service %q version=%q domain=%q owner=%q tags=%q description=%q", s.Name, s.Version, s.Domain, s.Owner, s.Tags, s.Description)
		full, err := c.Service(ctx, s.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range full.Operations {
			bindings, _ := json.Marshal(o.Bindings)
			add("operation %q %q: %s %q %q group=%q summary=%q description=%q bindings=%s", o.Service, o.Name, o.Action, o.Channel, o.Messages, o.ConsumerGroup, o.Summary, o.Description, bindings)
		}
		add("service %q servers=%q", s.Name, full.Servers)
	}
	servers, err := c.Servers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, sv := range servers {
		variables, _ := json.Marshal(sv.Variables)
		bindings, _ := json.Marshal(sv.Bindings)
		full, err := c.Server(ctx, sv.Name)
		if err != nil {
			t.Fatal(err)
		}
		add("server %q host=%q pathname=%q protocol=%q version=%q tags=%q variables=%s bindings=%s description=%q services=%q channels=%q",
			sv.Name, sv.Host, sv.Pathname, sv.Protocol, sv.ProtocolVersion, sv.Tags, variables, bindings, sv.Description, full.Services, full.Channels)
	}
	channels, err := c.Channels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range channels {
		bindings, _ := json.Marshal(ch.Bindings)
		add("channel %q topic=%q owner=%q tags=%q bindings=%s description=%q", ch.Name, ch.KafkaTopic, ch.Owner, ch.Tags, bindings, ch.Description)
		full, err := c.Channel(ctx, ch.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range full.Messages {
			add("channel %q carries %q as subject %q key subject %q", ch.Name, m.Message, m.Subject, m.KeySubject)
		}
		add("channel %q servers=%q", ch.Name, full.Servers)
	}
	messages, err := c.Messages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	canonical := func(message, typ, schema string) string {
		if typ == SchemaProtobuf || schema == "" {
			return schema
		}
		var v any
		if err := json.Unmarshal([]byte(schema), &v); err != nil {
			t.Fatalf("message %q schema: %v", message, err)
		}
		b, _ := json.Marshal(v)
		return string(b)
	}
	for _, m := range messages {
		bindings, _ := json.Marshal(m.Bindings)
		add("message %q kind=%s type=%q subject=%q owner=%q tags=%q title=%q summary=%q contentType=%q description=%q payload=%s keyType=%q key=%s bindings=%s",
			m.Name, m.Kind, m.SchemaType, m.Subject, m.Owner, m.Tags, m.Title, m.Summary, m.ContentType, m.Description,
			canonical(m.Name, m.SchemaType, m.Payload), m.KeySchemaType, canonical(m.Name, m.KeySchemaType, m.Key), bindings)
	}
	owners, err := c.Owners(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range owners {
		add("owner %q kind=%s email=%q url=%q description=%q", o.Name, o.Kind, o.Email, o.URL, o.Description)
	}
	domains, err := c.Domains(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range domains {
		add("domain %q owner=%q description=%q", d.Name, d.Owner, d.Description)
	}
	return strings.Join(lines, "\n")
}

// lineDiff lists the lines only one side has.
func lineDiff(want, got string) string {
	count := map[string]int{}
	for _, l := range strings.Split(want, "\n") {
		count[l]++
	}
	for _, l := range strings.Split(got, "\n") {
		count[l]--
	}
	var out []string
	for l, n := range count {
		switch {
		case n > 0:
			out = append(out, "- "+l)
		case n < 0:
			out = append(out, "+ "+l)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

func TestExportKeys(t *testing.T) {
	k := newKeys()
	tests := []struct{ name, key string }{
		{"orders", "orders"},
		{"shop.orders.v1", "shop.orders.v1"},
		{"comment/{commentId}/changed", "comment_commentId_changed"},
		{"send comment/liked", "send_comment_liked"},
		{"send comment liked", "send_comment_liked_2"}, // same key as the one before: numbered
		{"Bestellung-Größe", "Bestellung-Gr_e"},
		{"", "_"},
	}
	for _, tt := range tests {
		k.add(tt.name)
	}
	for _, tt := range tests {
		if got := k.of(tt.name); got != tt.key {
			t.Errorf("key of %q: %q, want %q", tt.name, got, tt.key)
		}
	}
}

func TestExportPayload(t *testing.T) {
	tests := []struct {
		name string
		m    Message
		want string // the payload as JSON
	}{
		{"no payload", Message{}, `null`},
		{"JSON Schema inline", Message{SchemaType: SchemaJSON, Payload: `{"type":"object","maxLength":12,"multipleOf":0.5}`},
			`{"maxLength":12,"multipleOf":0.5,"type":"object"}`},
		{"JSON Schema that is not an object", Message{SchemaType: SchemaJSON, Payload: `[1]`},
			`{"schemaFormat":"application/schema+json;version=draft-07","schema":[1]}`},
		{"Avro with its format", Message{SchemaType: SchemaAvro, SchemaFormat: "application/vnd.apache.avro+json;version=1.9.0", Payload: `"string"`},
			`{"schemaFormat":"application/vnd.apache.avro+json;version=1.9.0","schema":"string"}`},
		{"Avro without a format", Message{SchemaType: SchemaAvro, Payload: `{"type":"record","name":"R","fields":[]}`},
			`{"schemaFormat":"application/vnd.apache.avro;version=1.9.0","schema":{"fields":[],"name":"R","type":"record"}}`},
		{"Protobuf as text", Message{SchemaType: SchemaProtobuf, Payload: "syntax = \"proto3\";\nmessage M {}"},
			`{"schemaFormat":"application/vnd.google.protobuf;version=3","schema":"syntax = \"proto3\";\nmessage M {}"}`},
		{"another format", Message{SchemaFormat: "application/raml+yaml;version=1.0", Payload: `{"type":"string"}`},
			`{"schemaFormat":"application/raml+yaml;version=1.0","schema":{"type":"string"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := exportPayload(tt.m)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(v)
			if string(got) != tt.want {
				t.Errorf("got %s\nwant %s", got, tt.want)
			}
		})
	}
	if _, err := exportPayload(Message{SchemaType: SchemaJSON, Payload: `{`}); err == nil {
		t.Error("a stored payload that is not JSON exported without an error")
	}
}

// TestExportAfterPatches: what people set through the API is exported, and contact details the
// AsyncAPI schema would refuse stay out of info.contact but in x-eventlens-owner.
func TestExportAfterPatches(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *Catalog) {
		ctx := context.Background()
		c := open(t)
		mustImport(t, c, "testdata/shop/orders.yaml", ImportOptions{})
		email, kind := "checkout at shop", "person"
		if err := c.UpdateOwner(ctx, "Team Checkout", OwnerPatch{Email: &email, Kind: &kind}); err != nil {
			t.Fatal(err)
		}
		description, tags := "Patched through the API.", []string{"core", "billing", "core"}
		if err := c.Update(ctx, "message", "GetOrder", Patch{Description: &description, Tags: &tags}); err != nil {
			t.Fatal(err)
		}
		out, err := c.Export(ctx, "Orders Service")
		if err != nil {
			t.Fatal(err)
		}
		asyncapitest.Validate(t, "export after patches", out)
		var doc struct {
			Info struct {
				Contact map[string]string
				Owner   map[string]string `yaml:"x-eventlens-owner"`
			}
			Components struct {
				Messages map[string]struct {
					Description string
					Tags        []struct{ Name string }
				}
			}
		}
		if err := yaml.Unmarshal(out, &doc); err != nil {
			t.Fatal(err)
		}
		if _, ok := doc.Info.Contact["email"]; ok || doc.Info.Owner["email"] != email || doc.Info.Owner["kind"] != kind {
			t.Errorf("contact %v, owner %v: want the invalid email in x-eventlens-owner only", doc.Info.Contact, doc.Info.Owner)
		}
		m := doc.Components.Messages["GetOrder"]
		if m.Description != description || len(m.Tags) != 2 {
			t.Errorf("GetOrder: %+v, want the patched description and two distinct tags", m)
		}
	})
}

// TestExportOldBindingVersions: a 2.x document's bindings may carry versions, and fields, that
// AsyncAPI 3.0 no longer knows; the export names the newest version, leaves such fields out and
// stays valid, while the catalog keeps what the document said.
func TestExportOldBindingVersions(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *Catalog) {
		ctx := context.Background()
		c := open(t)
		doc := `
asyncapi: 2.6.0
info: {title: Old Bindings, version: 1.0.0}
channels:
  orders:
    bindings:
      kafka: {topic: shop.orders, bindingVersion: 0.1.0}
      amqp: {is: routingKey, exchange: {name: orders, type: topic}, bindingVersion: 0.2.0}
      mqtt5: {bindingVersion: 0.2.0}
    subscribe:
      operationId: sendOrder
      bindings:
        amqp: {replyTo: orders.replies, deliveryMode: 2, bindingVersion: 0.2.0}
        x-note: {owner: shop}
      message:
        name: OrderPlaced
        payload: {type: object}
        bindings:
          kafka: {key: {type: string}, bindingVersion: 0.1.0}
          amqp: {messageType: order.placed, bindingVersion: 0.2.0}
    publish:
      operationId: onOrderQuery
      bindings:
        kafka: {groupId: {type: string, enum: [orders]}, bindingVersion: 0.1.0}
        http: {type: request, method: POST, bindingVersion: 0.1.0}
      message: {name: OrderQuery, payload: {type: object}}
`
		if _, err := c.ImportDocument(ctx, []byte(doc), ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		out, err := c.Export(ctx, "Old Bindings")
		if err != nil {
			t.Fatal(err)
		}
		asyncapitest.Validate(t, "export of old binding versions", out)
		var exported map[string]any
		if err := yaml.Unmarshal(out, &exported); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			path string // through the exported document
			want string // as JSON
		}{
			{"channels/shop.orders/bindings/kafka", `{"bindingVersion":"0.5.0","topic":"shop.orders"}`},
			{"channels/shop.orders/bindings/amqp", `{"bindingVersion":"0.3.0","exchange":{"name":"orders","type":"topic"},"is":"routingKey"}`},
			{"channels/shop.orders/bindings/x-mqtt5", `{"bindingVersion":"0.2.0"}`}, // 3.0 has no MQTT 5 binding
			{"operations/sendOrder/bindings", `{"amqp":{"bindingVersion":"0.3.0","deliveryMode":2},"x-note":{"owner":"shop"}}`},
			{"operations/onOrderQuery/bindings", `{"http":{"bindingVersion":"0.3.0","method":"POST"},"kafka":{"bindingVersion":"0.5.0","groupId":{"enum":["orders"],"type":"string"}}}`},
			{"components/messages/OrderPlaced/bindings", `{"amqp":{"bindingVersion":"0.3.0","messageType":"order.placed"},"kafka":{"bindingVersion":"0.5.0","key":{"type":"string"}}}`},
			{"components/messages/OrderQuery/bindings", `null`},
		}
		for _, tt := range tests {
			v := any(exported)
			for _, key := range strings.Split(tt.path, "/") {
				m, _ := v.(map[string]any)
				v = m[key]
			}
			if got := jsonOf(t, v); got != tt.want {
				t.Errorf("%s = %s, want %s", tt.path, got, tt.want)
			}
		}

		// What the catalog holds is unchanged.
		ch, err := c.Channel(ctx, "shop.orders")
		if err != nil {
			t.Fatal(err)
		}
		m, err := c.Message(ctx, "OrderPlaced")
		if err != nil {
			t.Fatal(err)
		}
		stored := []struct{ what, got, want string }{
			{"channel bindings", jsonOf(t, ch.Bindings), `{"amqp":{"bindingVersion":"0.2.0","exchange":{"name":"orders","type":"topic"},"is":"routingKey"},"kafka":{"bindingVersion":"0.1.0","topic":"shop.orders"},"mqtt5":{"bindingVersion":"0.2.0"}}`},
			{"message bindings", jsonOf(t, m.Bindings), `{"amqp":{"bindingVersion":"0.2.0","messageType":"order.placed"},"kafka":{"bindingVersion":"0.1.0"}}`},
			{"operation bindings", jsonOf(t, ch.Operations[1].Bindings), `{"amqp":{"bindingVersion":"0.2.0","deliveryMode":2,"replyTo":"orders.replies"},"x-note":{"owner":"shop"}}`},
		}
		for _, s := range stored {
			if s.got != s.want {
				t.Errorf("stored %s = %s, want %s", s.what, s.got, s.want)
			}
		}
	})
}

// TestExportServersAndKeys: servers are exported with their bindings (old binding versions made
// current), channels list their servers unless they are on all of them, and a message's Kafka
// key goes back into its kafka binding, where import reads it again.
func TestExportServersAndKeys(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *Catalog) {
		ctx := context.Background()
		c := open(t)
		importCorpus(t, c, "", []string{"testdata/shop/orders.yaml", "testdata/asyncapi-3.0/adeo-kafka-request-reply.yml"})
		old := strings.Replace(v2, "    protocol: kafka\n", "    protocol: kafka\n    bindings: {kafka: {schemaRegistryUrl: 'https://registry.example/', bindingVersion: 0.1.0}}\n", 1)
		if _, err := c.ImportDocument(ctx, []byte(old), ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		type doc struct {
			Servers map[string]struct {
				Host, Pathname, Protocol string
				Bindings                 map[string]map[string]any
			}
			Channels map[string]struct {
				Servers []map[string]string
			}
			Components struct {
				Messages map[string]struct {
					Bindings map[string]map[string]any
				}
			}
		}
		export := func(service string) doc {
			out, err := c.Export(ctx, service)
			if err != nil {
				t.Fatal(err)
			}
			asyncapitest.Validate(t, "export of "+service, out)
			var d doc
			if err := yaml.Unmarshal(out, &d); err != nil {
				t.Fatal(err)
			}
			return d
		}

		orders := export("Orders Service")
		rabbit := orders.Servers["rabbitmq"]
		if rabbit.Host != "rabbitmq.shop.example:5672" || rabbit.Pathname != "/{vhost}" || rabbit.Protocol != "amqp" {
			t.Errorf("rabbitmq = %+v, want the 2.x url as host and pathname", rabbit)
		}
		if got := orders.Channels["order-commands"].Servers; !reflect.DeepEqual(got, []map[string]string{{"$ref": "#/servers/rabbitmq"}}) {
			t.Errorf("order-commands servers = %v, want a reference to rabbitmq", got)
		}

		adeo := export("Adeo AsyncAPI Case Study")
		if url := adeo.Servers["production"].Bindings["kafka"]["schemaRegistryUrl"]; url != "https://schema-registry.prod.url/" {
			t.Errorf("production bindings = %v", adeo.Servers["production"].Bindings)
		}
		for _, ch := range adeo.Channels {
			if ch.Servers != nil {
				t.Errorf("a channel on every server lists them: %v", ch.Servers)
			}
		}
		key, _ := adeo.Components.Messages["CostingResponse"].Bindings["kafka"]["key"].(map[string]any)
		schema, _ := key["schema"].(map[string]any)
		if !strings.HasPrefix(fmt.Sprint(key["schemaFormat"]), "application/vnd.apache.avro") || schema["name"] != "CostingResponseKey" {
			t.Errorf("CostingResponse kafka key = %v, want the Avro key in a Multi Format Schema Object", key)
		}

		broken := export("Broken Service")
		if v := broken.Servers["kafka"].Bindings["kafka"]["bindingVersion"]; v != "0.5.0" {
			t.Errorf("kafka server bindingVersion %v, want 0.1.0 exported as 0.5.0", v)
		}
	})
}

// TestExportKeepsMergedChannels exports the shop, imported in either order: the shared channel
// keeps the Orders Service's partitions and description, and OrderPlaced its pii tag and owner
// (given only by the Orders Service, which sends it), in every export; each validates and the
// service exports re-import to the same catalog without conflicts.
func TestExportKeepsMergedChannels(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *Catalog) {
		ctx := context.Background()
		for _, order := range [][]string{{"orders", "shipping"}, {"shipping", "orders"}} {
			t.Run(strings.Join(order, ","), func(t *testing.T) {
				first := open(t)
				for _, name := range order {
					mustImport(t, first, "testdata/shop/"+name+".yaml", ImportOptions{})
				}
				second := open(t)
				for _, service := range []string{"", "Orders Service", "Shipping Service"} {
					out, err := first.Export(ctx, service)
					if err != nil {
						t.Fatal(err)
					}
					asyncapitest.Validate(t, "export of "+exportName(service), out)
					var doc struct {
						Channels map[string]struct {
							Description string
							Bindings    map[string]map[string]any
						}
						Components struct {
							Messages map[string]struct {
								Tags  []struct{ Name string }
								Owner struct{ Name, Kind string } `yaml:"x-eventlens-owner"`
							}
						}
					}
					if err := yaml.Unmarshal(out, &doc); err != nil {
						t.Fatal(err)
					}
					orders := doc.Channels["shop.orders.v1"]
					if orders.Bindings["kafka"]["partitions"] != 12 || orders.Description != "Every order placed in the shop." {
						t.Errorf("export of %s: shop.orders.v1 = %+v, want partitions 12 and the Orders Service's description", exportName(service), orders)
					}
					placed := doc.Components.Messages["OrderPlaced"]
					if len(placed.Tags) != 1 || placed.Tags[0].Name != "pii" || placed.Owner.Name != "Ada Lovelace" || placed.Owner.Kind != "person" {
						t.Errorf("export of %s: OrderPlaced = %+v, want the pii tag and Ada Lovelace", exportName(service), placed)
					}
					if service == "" {
						continue // the whole catalog is a view, not a document to import
					}
					res, err := second.ImportDocument(ctx, out, ImportOptions{Source: service + ".yaml"})
					if err != nil {
						t.Fatalf("re-import the export of %q: %v", service, err)
					}
					if len(res.Conflicts) != 0 {
						t.Errorf("re-import of %q: conflicts %v, want none", service, res.Conflicts)
					}
				}
				if want, got := dumpCatalog(t, first), dumpCatalog(t, second); want != got {
					t.Errorf("the re-imported catalog differs:\n%s", lineDiff(want, got))
				}
			})
		}
	})
}
