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

	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/storage/storagetest"
)

func mustImport(t *testing.T, c *Catalog, file string, opts ImportOptions) ImportResult {
	t.Helper()
	res, err := c.ImportFile(context.Background(), file, opts)
	if err != nil {
		t.Fatalf("import %s: %v", file, err)
	}
	return res
}

// operationLine writes an operation as one comparable line: "service action channel [messages] group".
func operationLine(o Operation) string {
	line := fmt.Sprintf("%s %s %s %v", o.Service, o.Action, o.Channel, o.Messages)
	if o.ConsumerGroup != "" {
		line += " group=" + o.ConsumerGroup
	}
	return line
}

func TestImportStreetlights(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *Catalog) {
		const (
			measured = "smartylighting.streetlights.1.0.event.{streetlightId}.lighting.measured"
			on       = "smartylighting.streetlights.1.0.action.{streetlightId}.turn.on"
			off      = "smartylighting.streetlights.1.0.action.{streetlightId}.turn.off"
			dim      = "smartylighting.streetlights.1.0.action.{streetlightId}.dim"
		)
		mqtt := func(s string) string { return strings.ReplaceAll(s, ".", "/") }
		kafka := map[string]string{
			"receiveLightMeasurement": "Streetlights Kafka API receive " + measured + " [lightMeasured]",
			"turnOn":                  "Streetlights Kafka API send " + on + " [turnOnOff]",
			"turnOff":                 "Streetlights Kafka API send " + off + " [turnOnOff]",
			"dimLight":                "Streetlights Kafka API send " + dim + " [dimLight]",
		}
		mqttOps := map[string]string{
			"receiveLightMeasurement": "Streetlights MQTT API receive " + mqtt(measured) + " [lightMeasured]",
			"turnOn":                  "Streetlights MQTT API send " + mqtt(on) + " [turnOnOff]",
			"turnOff":                 "Streetlights MQTT API send " + mqtt(off) + " [turnOnOff]",
			"dimLight":                "Streetlights MQTT API send " + mqtt(dim) + " [dimLight]",
		}
		tests := []struct {
			file       string
			service    string
			operations map[string]string
			channel    string // a channel whose subject to check
		}{
			{"testdata/asyncapi-2.6/streetlights-kafka.yml", "Streetlights Kafka API", kafka, on},
			{"testdata/asyncapi-3.0/streetlights-kafka.yml", "Streetlights Kafka API", kafka, on},
			{"testdata/asyncapi-2.6/streetlights-mqtt.yml", "Streetlights MQTT API", mqttOps, mqtt(on)},
			{"testdata/asyncapi-3.0/streetlights-mqtt.yml", "Streetlights MQTT API", mqttOps, mqtt(on)},
		}
		for _, tt := range tests {
			t.Run(tt.file, func(t *testing.T) {
				ctx := context.Background()
				c := open(t)
				res := mustImport(t, c, tt.file, ImportOptions{})
				if res.Service != tt.service || res.Channels != 4 || res.Operations != 4 || res.Messages != 3 || len(res.Schemas) != 4 {
					t.Errorf("result = %+v, want service %q with 4 channels, 4 operations, 3 messages, 4 schemas", res, tt.service)
				}
				s, err := c.Service(ctx, tt.service)
				if err != nil {
					t.Fatal(err)
				}
				got := map[string]string{}
				for _, o := range s.Operations {
					got[o.Name] = operationLine(o)
				}
				if !reflect.DeepEqual(got, tt.operations) {
					t.Errorf("operations:\n got %v\nwant %v", got, tt.operations)
				}
				ch, err := c.Channel(ctx, tt.channel)
				if err != nil {
					t.Fatal(err)
				}
				if want := []ChannelMessage{{Message: "turnOnOff", Subject: tt.channel + "-value"}}; !reflect.DeepEqual(ch.Messages, want) {
					t.Errorf("channel messages = %v, want %v", ch.Messages, want)
				}
				m, err := c.Message(ctx, "lightMeasured")
				if err != nil {
					t.Fatal(err)
				}
				if m.Title != "Light measured" || m.ContentType != "application/json" || m.SchemaType != SchemaJSON {
					t.Errorf("message = %+v", m)
				}
				var payload map[string]any
				if err := json.Unmarshal([]byte(m.Payload), &payload); err != nil {
					t.Fatalf("payload %q: %v", m.Payload, err)
				}
				sentAt := payload["properties"].(map[string]any)["sentAt"].(map[string]any)
				if sentAt["format"] != "date-time" { // a $ref inside the payload, resolved
					t.Errorf("payload sentAt = %v", sentAt)
				}
			})
		}
	})
}

// TestImportSocialMedia imports the multi-file example, five services that share channels and
// messages through ../common, in both versions; both must tell the same story.
func TestImportSocialMedia(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *Catalog) {
		services := []string{"backend", "comments-service", "frontend", "notification-service", "public-api"}
		flows := map[string][2][]string{ // message: senders, receivers
			"commentLiked":       {{"Website Backend"}, {"Comments Service", "Notifications Service", "Public API"}},
			"likeComment":        {{"Website WebSocket Client"}, {"Website Backend"}},
			"commentChanged":     {{"Comments Service"}, {"Website Backend"}},
			"updateCommentLikes": {{"Website Backend"}, {"Website WebSocket Client"}},
		}
		for _, version := range []string{"asyncapi-2.6", "asyncapi-3.0"} {
			t.Run(version, func(t *testing.T) {
				ctx := context.Background()
				c := open(t)
				base := filepath.Join("testdata", version, "social-media")
				for _, s := range services {
					mustImport(t, c, filepath.Join(base, s, "asyncapi.yaml"), ImportOptions{BaseDir: base})
				}
				for name, want := range flows {
					m, err := c.Message(ctx, name)
					if err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(m.Senders, want[0]) || !reflect.DeepEqual(m.Readers, want[1]) {
						t.Errorf("%s: senders %v, receivers %v; want %v, %v", name, m.Senders, m.Readers, want[0], want[1])
					}
					if !strings.Contains(m.Payload, `"title":"`+name+`Payload"`) || strings.Contains(m.Payload, "$ref") {
						t.Errorf("%s: payload %s, want the common schema with references resolved", name, m.Payload)
					}
				}
				ch, err := c.Channel(ctx, "comment/liked")
				if err != nil {
					t.Fatal(err)
				}
				if want := []ChannelMessage{{Message: "commentLiked", Subject: "comment/liked-value"}}; !reflect.DeepEqual(ch.Messages, want) {
					t.Errorf("comment/liked messages = %v, want %v", ch.Messages, want)
				}
				o, err := c.Overview(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if o.Services != 5 || o.Channels != 4 || o.Messages != 4 {
					t.Errorf("overview = %+v, want 5 services, 4 channels, 4 messages", o)
				}
			})
		}
	})
}

func TestImportShop(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *Catalog) {
		ctx := context.Background()
		c := open(t)
		orders := mustImport(t, c, "testdata/shop/orders.yaml", ImportOptions{})
		shipping := mustImport(t, c, "testdata/shop/shipping.yaml", ImportOptions{})
		if orders.Document != "urn:shop:orders" || shipping.Document != "Shipping Service" {
			t.Errorf("document keys %q, %q: want the id, else the title", orders.Document, shipping.Document)
		}

		t.Run("operations", func(t *testing.T) {
			want := []string{
				"Orders Service receive order-commands [CancelOrder GetOrder]",
				"Orders Service receive shop.payments.v1 [PaymentReceived] group=orders-service", // 2.x: the trait overrides
				"Orders Service send shop.orders.v1 [OrderPlaced]",
				"Shipping Service receive shop.orders.v1 [OrderPlaced] group=shipping", // 3.0: the object wins
				"Shipping Service send parcel-scanned [ParcelScanned]",
			}
			var got []string
			for _, name := range []string{"Orders Service", "Shipping Service"} {
				s, err := c.Service(ctx, name)
				if err != nil {
					t.Fatal(err)
				}
				for _, o := range s.Operations {
					got = append(got, operationLine(o))
				}
			}
			sort.Strings(got)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("operations:\n got %q\nwant %q", got, want)
			}
			s, _ := c.Service(ctx, "Shipping Service")
			for _, o := range s.Operations {
				if o.Name == "onOrderPlaced" && o.Summary != "Summary from a trait." {
					t.Errorf("3.0 trait should fill what the operation lacks: summary %q", o.Summary)
				}
			}
		})

		t.Run("channels", func(t *testing.T) {
			ch, err := c.Channel(ctx, "shop.orders.v1")
			if err != nil {
				t.Fatal(err)
			}
			if ch.Address != "orders" || ch.KafkaTopic != "shop.orders.v1" || !reflect.DeepEqual(ch.ConsumerGroups, []string{"shipping"}) {
				t.Errorf("channel = %+v: want the Kafka topic as name, the address kept, consumer group shipping", ch)
			}
			amqp, err := c.Channel(ctx, "order-commands")
			if err != nil {
				t.Fatal(err)
			}
			exchange := amqp.Bindings["amqp"].(map[string]any)["exchange"].(map[string]any)
			if exchange["name"] != "orders" {
				t.Errorf("AMQP binding = %v", amqp.Bindings)
			}
			scans, err := c.Channel(ctx, "parcel-scanned")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(scans.Tags, []string{"tracking"}) || scans.Description != "A parcel went through a scanner." {
				t.Errorf("parcel-scanned = %+v", scans)
			}
		})

		t.Run("messages", func(t *testing.T) {
			tests := []struct {
				name, kind, schemaType, contentType, payloadHas string
				channels                                        []MessageChannel
			}{
				{"OrderPlaced", KindEvent, SchemaAvro, "", `"type":"record"`, []MessageChannel{{"shop.orders.v1", "shop.orders.v1-value", ""}}},
				{"PaymentReceived", KindEvent, SchemaProtobuf, "", "message PaymentReceived {", []MessageChannel{{"shop.payments.v1", "shop.payments.v1-PaymentReceived", ""}}},
				{"CancelOrder", KindCommand, SchemaJSON, "application/json", `"format":"uuid"`, []MessageChannel{{"order-commands", "order-commands-value", ""}}},
				{"GetOrder", KindQuery, SchemaJSON, "", `"orderId"`, []MessageChannel{{"order-commands", "order-commands-value", ""}}},
				{"ParcelScanned", KindEvent, SchemaJSON, "application/json", `"required":["parcelId"]`, []MessageChannel{{"parcel-scanned", "parcel-scanned-value", ""}}},
			}
			for _, tt := range tests {
				m, err := c.Message(ctx, tt.name)
				if err != nil {
					t.Fatal(err)
				}
				if m.Kind != tt.kind || m.SchemaType != tt.schemaType || m.ContentType != tt.contentType ||
					!strings.Contains(m.Payload, tt.payloadHas) || !reflect.DeepEqual(m.Channels, tt.channels) {
					t.Errorf("%s = %+v\nwant kind %s, schema %s, content type %q, payload with %s, channels %v",
						tt.name, m, tt.kind, tt.schemaType, tt.contentType, tt.payloadHas, tt.channels)
				}
			}
		})

		t.Run("owners and domains", func(t *testing.T) {
			team, err := c.Owner(ctx, "Team Checkout")
			if err != nil {
				t.Fatal(err)
			}
			if team.Kind != "team" || team.Email != "checkout@shop.example" || !reflect.DeepEqual(team.Services, []string{"Orders Service"}) {
				t.Errorf("Team Checkout = %+v: want info.contact as the owner of Orders Service", team)
			}
			ada, err := c.Owner(ctx, "Ada Lovelace")
			if err != nil {
				t.Fatal(err)
			}
			if ada.Kind != "person" || !reflect.DeepEqual(ada.Messages, []string{"OrderPlaced"}) {
				t.Errorf("Ada Lovelace = %+v: want the x-owner of OrderPlaced", ada)
			}
			if _, err := c.Owner(ctx, "Team Logistics"); err != nil {
				t.Error(err)
			}
			d, err := c.Domain(ctx, "sales")
			if err != nil {
				t.Fatal(err)
			}
			if d.Description == "" || !reflect.DeepEqual(d.Services, []string{"Orders Service"}) {
				t.Errorf("domain sales = %+v", d)
			}
			s, _ := c.Service(ctx, "Orders Service")
			if !strings.Contains(s.Description, "**orders**") || !reflect.DeepEqual(s.Tags, []string{"core"}) || s.Version != "2.1.0" {
				t.Errorf("service = %+v: want the Markdown description, tags and version", s)
			}
		})

		t.Run("schemas registered", func(t *testing.T) {
			var got []string
			for _, s := range orders.Schemas {
				got = append(got, s.Subject+" "+s.SchemaType+" "+s.Status)
			}
			want := []string{"order-commands-value JSON registered", "order-commands-value JSON unchanged", "shop.orders.v1-value AVRO registered", "shop.payments.v1-PaymentReceived PROTOBUF registered"}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("schemas = %v, want %v", got, want)
			}
		})
	})
}

func TestImportReversePubSub(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *Catalog) {
		for _, tt := range []struct {
			opts ImportOptions
			want string
		}{
			{ImportOptions{}, "send"},
			{ImportOptions{ReversePubSub: true}, "receive"},
		} {
			c := open(t)
			mustImport(t, c, "testdata/shop/orders.yaml", tt.opts)
			s, err := c.Service(context.Background(), "Orders Service")
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range s.Operations {
				if o.Name == "publishOrderPlaced" && o.Action != tt.want {
					t.Errorf("reverse=%t: subscribe operation has action %s, want %s", tt.opts.ReversePubSub, o.Action, tt.want)
				}
			}
		}
	})
}

// TestImportServers imports official examples and the shop: every server lands with what its
// document says (a 2.x url split into host and pathname), tied to the service that declares it
// and to the channels available on it; importing again changes none of it.
func TestImportServers(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *Catalog) {
		scram := "scram-connections test.mykafkacluster.org:18092 kafka-secure"
		mtls := "mtls-connections test.mykafkacluster.org:28092 kafka-secure"
		measured := "smartylighting.streetlights.1.0.event.{streetlightId}.lighting.measured"
		social := []string{"mosquitto test.mosquitto.org mqtt", "websiteWebSocketServer mycompany.com/ws ws"}
		tests := []struct {
			name     string
			files    []string
			base     string
			servers  []string          // "name host[pathname] protocol[ version]", by name
			service  string            // whose servers to check ...
			declares []string          // ... are these
			channels map[string]string // channel → its servers
			check    func(t *testing.T, c *Catalog)
		}{
			{"2.6 streetlights kafka", []string{"testdata/asyncapi-2.6/streetlights-kafka.yml"}, "",
				[]string{mtls, scram}, "Streetlights Kafka API", []string{"mtls-connections", "scram-connections"},
				map[string]string{measured: "[mtls-connections scram-connections]"}, nil},
			{"3.0 streetlights kafka", []string{"testdata/asyncapi-3.0/streetlights-kafka.yml"}, "",
				[]string{mtls, scram}, "Streetlights Kafka API", []string{"mtls-connections", "scram-connections"},
				map[string]string{measured: "[mtls-connections scram-connections]"}, func(t *testing.T, c *Catalog) {
					s, err := c.Server(context.Background(), "scram-connections")
					if err != nil {
						t.Fatal(err)
					}
					if s.Description != "Test broker secured with scramSha256" || !reflect.DeepEqual(s.Tags, []string{"env:test-scram", "kind:remote", "visibility:private"}) {
						t.Errorf("scram-connections = %+v, want its description and tags", s)
					}
				}},
			{"2.6 streetlights mqtt", []string{"testdata/asyncapi-2.6/streetlights-mqtt.yml"}, "",
				[]string{"production test.mosquitto.org:{port} mqtt"}, "Streetlights MQTT API", []string{"production"}, nil, checkPortVariable},
			{"3.0 streetlights mqtt", []string{"testdata/asyncapi-3.0/streetlights-mqtt.yml"}, "",
				[]string{"production test.mosquitto.org:{port} mqtt"}, "Streetlights MQTT API", []string{"production"}, nil, checkPortVariable},
			{"2.6 social media", socialMedia("testdata/asyncapi-2.6/social-media"), "testdata/asyncapi-2.6/social-media",
				social, "Website Backend", []string{"mosquitto", "websiteWebSocketServer"},
				map[string]string{"comment/liked": "[mosquitto]", "like/comment": "[websiteWebSocketServer]"}, nil},
			{"3.0 social media", socialMedia("testdata/asyncapi-3.0/social-media"), "testdata/asyncapi-3.0/social-media",
				social, "Website Backend", []string{"mosquitto", "websiteWebSocketServer"},
				map[string]string{"comment/liked": "[mosquitto]", "like/comment": "[websiteWebSocketServer]"}, nil},
			{"3.0 adeo kafka", []string{"testdata/asyncapi-3.0/adeo-kafka-request-reply.yml"}, "",
				[]string{"dev dev.url:9092 kafka-secure", "production prod.url:9092 kafka-secure", "staging staging.url:9092 kafka-secure"},
				"Adeo AsyncAPI Case Study", []string{"dev", "production", "staging"},
				map[string]string{"adeo-{env}-case-study-COSTING-RESPONSE-{version}": "[dev production staging]"}, func(t *testing.T, c *Catalog) {
					s, err := c.Server(context.Background(), "production")
					if err != nil {
						t.Fatal(err)
					}
					if url := s.Bindings["kafka"].(map[string]any)["schemaRegistryUrl"]; url != "https://schema-registry.prod.url/" {
						t.Errorf("production kafka binding = %v, want its schemaRegistryUrl", s.Bindings)
					}
				}},
			{"shop", []string{"testdata/shop/orders.yaml", "testdata/shop/shipping.yaml"}, "",
				[]string{"kafka kafka.shop.example:9092 kafka 3.7", "rabbitmq rabbitmq.shop.example:5672/{vhost} amqp 0-9-1"},
				"Orders Service", []string{"kafka", "rabbitmq"},
				map[string]string{"order-commands": "[rabbitmq]", "shop.orders.v1": "[kafka]", "parcel-scanned": "[kafka]"}, func(t *testing.T, c *Catalog) {
					s, err := c.Server(context.Background(), "kafka")
					if err != nil {
						t.Fatal(err)
					}
					// Both documents declare it; the first imported comes first.
					if !reflect.DeepEqual(s.Services, []string{"Orders Service", "Shipping Service"}) || s.Document != "urn:shop:orders" ||
						!reflect.DeepEqual(s.Channels, []string{"parcel-scanned", "shop.orders.v1", "shop.payments.v1"}) {
						t.Errorf("kafka = %+v, want both services, the first document, every Kafka channel", s)
					}
				}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx := context.Background()
				c := open(t)
				importCorpus(t, c, tt.base, tt.files)
				servers, err := c.Servers(ctx)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, s := range servers {
					line := s.Name + " " + s.Host + s.Pathname + " " + s.Protocol
					if s.ProtocolVersion != "" {
						line += " " + s.ProtocolVersion
					}
					got = append(got, line)
				}
				if !reflect.DeepEqual(got, tt.servers) {
					t.Errorf("servers:\n got %q\nwant %q", got, tt.servers)
				}
				s, err := c.Service(ctx, tt.service)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(s.Servers, tt.declares) {
					t.Errorf("%s servers = %q, want %q", tt.service, s.Servers, tt.declares)
				}
				for name, want := range tt.channels {
					ch, err := c.Channel(ctx, name)
					if err != nil {
						t.Fatal(err)
					}
					if got := fmt.Sprint(ch.Servers); got != want {
						t.Errorf("channel %s servers = %s, want %s", name, got, want)
					}
				}
				if tt.check != nil {
					tt.check(t, c)
				}
				before := dump(t, c)
				importCorpus(t, c, tt.base, tt.files)
				if after := dump(t, c); after != before {
					t.Errorf("re-import changed the catalog:\nbefore\n%s\nafter\n%s", before, after)
				}
			})
		}
	})
}

// checkPortVariable checks the streetlights MQTT server's {port} variable.
func checkPortVariable(t *testing.T, c *Catalog) {
	t.Helper()
	s, err := c.Server(context.Background(), "production")
	if err != nil {
		t.Fatal(err)
	}
	port, _ := s.Variables["port"].(map[string]any)
	if port["default"] != "1883" || !reflect.DeepEqual(port["enum"], []any{"1883", "8883"}) {
		t.Errorf("production variables = %v, want port with default 1883 and enum 1883, 8883", s.Variables)
	}
}

// TestImportFailsWhenTheRegistryStoreFails: a payload the store could not register (away, disk
// full; here a trigger that fails every new version) fails the import, so no client takes the
// answer for done; importing again registers it.
func TestImportFailsWhenTheRegistryStoreFails(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		c := openCatalog(t, db)
		if db.Postgres != nil {
			storagetest.Exec(t, db, `CREATE FUNCTION fail_version() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected store failure'; END $$ LANGUAGE plpgsql`)
			storagetest.Exec(t, db, `CREATE TRIGGER fail_version BEFORE INSERT ON sr_versions FOR EACH ROW EXECUTE FUNCTION fail_version()`)
		} else {
			storagetest.Exec(t, db, `CREATE TRIGGER fail_version BEFORE INSERT ON sr_versions BEGIN SELECT RAISE(ABORT, 'injected store failure'); END`)
		}
		_, err := c.ImportFile(context.Background(), "testdata/shop/orders.yaml", ImportOptions{})
		var de *DocumentError
		if err == nil || errors.As(err, &de) || !strings.Contains(err.Error(), "register") {
			t.Fatalf("import with a failing registry store: %v, want a registration error", err)
		}

		if n := storagetest.Int(t, db, `SELECT count(*) FROM sr_versions`); n != 0 {
			t.Fatalf("%d versions stored through the failing trigger", n)
		}
		storagetest.Exec(t, db, `DROP TRIGGER fail_version`+map[bool]string{true: ` ON sr_versions`}[db.Postgres != nil])
		res := mustImport(t, c, "testdata/shop/orders.yaml", ImportOptions{})
		if len(res.Schemas) == 0 || res.Changed {
			t.Fatalf("import again: %+v, want the same document with its payloads", res)
		}
		for i, s := range res.Schemas {
			// A second message with the same payload under the subject is unchanged.
			if (s.Status != Registered && (i == 0 || s.Status != Unchanged)) || s.ID == 0 {
				t.Errorf("import again: %s %s id %d (%s), want registered", s.Subject, s.Status, s.ID, s.Reason)
			}
		}
	})
}
