package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/eventlens/eventlens/schemaregistry"
)

// TestImportRegistersPayloads imports the official examples and the shop: every payload lands in
// the registry under its subject with its type, and importing everything again registers nothing.
func TestImportRegistersPayloads(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *Catalog) {
		streetlights := func(sep string) map[string]string {
			subjects := map[string]string{}
			for _, ch := range []string{"event.{streetlightId}.lighting.measured", "action.{streetlightId}.turn.on", "action.{streetlightId}.turn.off", "action.{streetlightId}.dim"} {
				subjects[strings.ReplaceAll("smartylighting.streetlights.1.0."+ch, ".", sep)+"-value"] = SchemaJSON
			}
			return subjects
		}
		social := map[string]string{
			"comment/liked-value": SchemaJSON, "comment/{commentId}/changed-value": SchemaJSON,
			"like/comment-value": SchemaJSON, "update/comment/likes-value": SchemaJSON,
		}
		socialFiles := func(version string) []string {
			var files []string
			for _, s := range []string{"backend", "comments-service", "frontend", "notification-service", "public-api"} {
				files = append(files, filepath.Join("testdata", version, "social-media", s, "asyncapi.yaml"))
			}
			return files
		}
		tests := []struct {
			name     string
			files    []string
			baseDir  string
			subjects map[string]string // subject → schema type
		}{
			{"2.6 streetlights kafka", []string{"testdata/asyncapi-2.6/streetlights-kafka.yml"}, "", streetlights(".")},
			{"3.0 streetlights kafka", []string{"testdata/asyncapi-3.0/streetlights-kafka.yml"}, "", streetlights(".")},
			{"2.6 streetlights mqtt", []string{"testdata/asyncapi-2.6/streetlights-mqtt.yml"}, "", streetlights("/")},
			{"3.0 streetlights mqtt", []string{"testdata/asyncapi-3.0/streetlights-mqtt.yml"}, "", streetlights("/")},
			{"2.6 social media", socialFiles("asyncapi-2.6"), "testdata/asyncapi-2.6/social-media", social},
			{"3.0 social media", socialFiles("asyncapi-3.0"), "testdata/asyncapi-3.0/social-media", social},
			{"shop", []string{"testdata/shop/orders.yaml", "testdata/shop/shipping.yaml"}, "", map[string]string{
				"order-commands-value": SchemaJSON, "parcel-scanned-value": SchemaJSON,
				"shop.orders.v1-value": SchemaAvro, "shop.payments.v1-PaymentReceived": SchemaProtobuf,
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx := context.Background()
				c := open(t)
				for _, f := range tt.files {
					res := mustImport(t, c, f, ImportOptions{BaseDir: tt.baseDir})
					for _, s := range res.Schemas {
						if s.Status == Refused {
							t.Errorf("%s: %s refused: %s", f, s.Subject, s.Reason)
							continue
						}
						// What the import reports is what the registry holds, and the catalog's
						// payload is the registered schema.
						m, err := c.Message(ctx, s.Message)
						if err != nil {
							t.Fatal(err)
						}
						schema := schemaregistry.NewSchema{Schema: m.Payload, SchemaType: m.SchemaType}
						if s.Key {
							schema = schemaregistry.NewSchema{Schema: m.Key, SchemaType: m.KeySchemaType}
						}
						got, err := c.registry.Lookup(ctx, s.Subject, schema, false, false)
						if err != nil || got.Version != s.Version || got.ID != s.ID || got.SchemaType != tt.subjects[s.Subject] {
							t.Errorf("%s: reported %+v; the registry has %+v, %v; want type %s", f, s, got, err, tt.subjects[s.Subject])
						}
					}
				}
				subjects, err := c.registry.Subjects(ctx, schemaregistry.SubjectFilter{})
				if err != nil {
					t.Fatal(err)
				}
				if want := slices.Sorted(maps.Keys(tt.subjects)); !reflect.DeepEqual(subjects, want) {
					t.Errorf("registry subjects:\n got %q\nwant %q", subjects, want)
				}
				before, err := c.registry.Counts(ctx)
				if err != nil {
					t.Fatal(err)
				}

				for _, f := range tt.files {
					res := mustImport(t, c, f, ImportOptions{BaseDir: tt.baseDir})
					if res.Changed {
						t.Errorf("%s: re-import changed the catalog", f)
					}
					for _, s := range res.Schemas {
						if s.Status != Unchanged || s.Version != 1 {
							t.Errorf("%s: re-import: %+v, want unchanged version 1", f, s)
						}
					}
				}
				after, err := c.registry.Counts(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if after != before {
					t.Errorf("re-import changed the registry: %+v, then %+v", before, after)
				}
			})
		}
	})
}

// payments is a document with an Avro payload written as YAML, a Protobuf payload and a JSON
// Schema payload; {{amount}} is the Avro field added by later versions of it.
const payments = `asyncapi: 3.0.0
info: {title: Payments, version: 1.0.0}
channels:
  payments:
    address: payments
    messages:
      PaymentTaken: {$ref: '#/components/messages/PaymentTaken'}
  refunds:
    address: refunds
    messages:
      RefundIssued: {$ref: '#/components/messages/RefundIssued'}
  audits:
    address: audits
    messages:
      Audited: {$ref: '#/components/messages/Audited'}
      Reviewed: {$ref: '#/components/messages/Reviewed'}
operations:
  takePayment: {action: send, channel: {$ref: '#/channels/payments'}}
  issueRefund: {action: send, channel: {$ref: '#/channels/refunds'}}
  audit: {action: send, channel: {$ref: '#/channels/audits'}}
components:
  messages:
    PaymentTaken:
      payload:
        schemaFormat: application/vnd.apache.avro+yaml;version=1.9.0
        schema:
          type: record
          name: PaymentTaken
          namespace: shop
          fields:
            - {name: paymentId, type: string}
{{amount}}
    RefundIssued:
      payload:
        schemaFormat: application/vnd.google.protobuf;version=3
        schema: |
          syntax = "proto3";
          message RefundIssued {
            string refund_id = 1;
{{reason}}
          }
    Audited:
      payload: {type: object, properties: {by: {type: string}}}
    Reviewed:
      payload: {type: object, properties: {reviewer: {type: string}}}
`

// paymentsDocument writes a version of the payments document: amount and reason are the lines
// that replace {{amount}} and {{reason}}.
func paymentsDocument(t *testing.T, amount, reason string) string {
	t.Helper()
	doc := strings.NewReplacer("{{amount}}", amount, "{{reason}}", reason).Replace(payments)
	file := filepath.Join(t.TempDir(), "payments.yaml")
	if err := os.WriteFile(file, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// registrations writes an import's registrations as "subject status version" lines.
func registrations(res ImportResult) []string {
	var out []string
	for _, s := range res.Schemas {
		line := s.Subject + " " + s.Status
		if s.Status != Refused {
			line += fmt.Sprintf(" v%d", s.Version)
		}
		out = append(out, line)
	}
	return out
}

// TestImportReportsIncompatiblePayloads imports a document, then a changed one whose Avro
// payload breaks BACKWARD: the registry's reason is reported, the old version stays latest, the
// rest of the import lands, and importing again after the subject allows it registers it.
func TestImportReportsIncompatiblePayloads(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *Catalog) {
		ctx := context.Background()
		c := open(t)

		first := mustImport(t, c, paymentsDocument(t, "", ""), ImportOptions{})
		want := []string{"audits-value registered v1", "audits-value refused", "payments-value registered v1", "refunds-value registered v1"}
		if got := registrations(first); !reflect.DeepEqual(got, want) {
			t.Errorf("first import: %q, want %q", got, want)
		}
		// Two different payloads on one channel cannot share its subject: the second is refused.
		if r := first.Refused(); len(r) != 1 || r[0].Message != "Reviewed" || !strings.Contains(r[0].Reason, `subject "audits-value" already takes the payload of message "Audited"`) {
			t.Errorf("refused = %+v", r)
		}
		latest, err := c.registry.Version(ctx, "payments-value", schemaregistry.Latest, false)
		if err != nil {
			t.Fatal(err)
		}
		if latest.SchemaType != SchemaAvro || !json.Valid([]byte(latest.Schema)) || !strings.Contains(latest.Schema, `"name":"PaymentTaken"`) {
			t.Errorf("the YAML Avro payload should be registered as JSON: %+v", latest)
		}

		// amount without a default: a new reader cannot read old payments (BACKWARD, the default).
		// reason: a new Protobuf field, which is compatible.
		const amount = "            - {name: amount, type: long}"
		const reason = "            string reason = 2;"
		changed := paymentsDocument(t, amount, reason)
		second := mustImport(t, c, changed, ImportOptions{})
		if !second.Changed || second.Version != 2 {
			t.Errorf("the changed document should land as version 2: %+v", second)
		}
		want = []string{"audits-value unchanged v1", "audits-value refused", "payments-value refused", "refunds-value registered v2"}
		if got := registrations(second); !reflect.DeepEqual(got, want) {
			t.Errorf("changed import: %q, want %q", got, want)
		}
		var refused SchemaRegistration
		for _, s := range second.Refused() {
			if s.Subject == "payments-value" {
				refused = s
			}
		}
		m, err := c.Message(ctx, "PaymentTaken")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(m.Payload, `"amount"`) {
			t.Errorf("the catalog should hold the document's new payload: %s", m.Payload)
		}
		// The reason is the registry's own answer to this registration.
		_, regErr := c.registry.Register(ctx, "payments-value", schemaregistry.NewSchema{Schema: m.Payload, SchemaType: SchemaAvro}, schemaregistry.RegisterOptions{})
		if regErr == nil || refused.ErrorCode != schemaregistry.CodeIncompatibleSchema || refused.Reason != regErr.Error() ||
			refused.Message != "PaymentTaken" || refused.Channel != "payments" {
			t.Errorf("refused = %+v, want code 409 and the registry's message %v", refused, regErr)
		}
		if !strings.Contains(refused.Reason, "amount") {
			t.Errorf("the reason should name the field: %s", refused.Reason)
		}
		if latest, err := c.registry.Version(ctx, "payments-value", schemaregistry.Latest, false); err != nil || latest.Version != 1 {
			t.Errorf("payments-value latest = %+v, %v; want version 1 still", latest, err)
		}

		// The same document again: the catalog is unchanged and the registry still refuses.
		again := mustImport(t, c, changed, ImportOptions{})
		want = []string{"audits-value unchanged v1", "audits-value refused", "payments-value refused", "refunds-value unchanged v2"}
		if got := registrations(again); again.Changed || !reflect.DeepEqual(got, want) {
			t.Errorf("import again: changed=%t %q, want %q", again.Changed, got, want)
		}

		// Once the subject allows the change, importing again registers it.
		if _, err := c.registry.SetConfig(ctx, "payments-value", schemaregistry.ConfigUpdate{Compatibility: schemaregistry.Set(schemaregistry.None)}); err != nil {
			t.Fatal(err)
		}
		retried := mustImport(t, c, changed, ImportOptions{})
		want = []string{"audits-value unchanged v1", "audits-value refused", "payments-value registered v2", "refunds-value unchanged v2"}
		if got := registrations(retried); !reflect.DeepEqual(got, want) {
			t.Errorf("after compatibility NONE: %q, want %q", got, want)
		}
	})
}

// TestBrokenImportRegistersNothing: a document that does not import registers none of its payloads.
func TestBrokenImportRegistersNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *Catalog) {
		ctx := context.Background()
		c := open(t)
		doc := strings.Replace(payments, "{{amount}}", "", 1)
		doc = strings.Replace(doc, "{{reason}}", "", 1)
		doc = strings.Replace(doc, "$ref: '#/channels/refunds'", "$ref: '#/channels/nope'", 1)
		if _, err := c.ImportDocument(ctx, []byte(doc), ImportOptions{}); err == nil {
			t.Fatal("a broken document imported")
		}
		if counts, err := c.registry.Counts(ctx); err != nil || counts != (schemaregistry.Counts{}) {
			t.Errorf("registry after a broken import: %+v, %v; want empty", counts, err)
		}
	})
}

// TestImportAvroPayloadForms: an Avro payload may be a YAML object, a string of YAML or JSON, or
// a type name; the registry always gets JSON.
func TestImportAvroPayloadForms(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *Catalog) {
		const doc = `asyncapi: 2.6.0
info: {title: Avro forms, version: 1.0.0}
channels:
  yaml-object:
    subscribe: {message: {name: A, schemaFormat: application/vnd.apache.avro+yaml;version=1.9.0,
      payload: {type: record, name: Parcel, fields: [{name: id, type: string}]}}}
  yaml-string:
    subscribe:
      message:
        name: B
        schemaFormat: application/vnd.apache.avro+yaml;version=1.9.0
        payload: |
          type: record
          name: Parcel
          fields:
            - {name: id, type: string}
  json-string:
    subscribe: {message: {name: C, schemaFormat: application/vnd.apache.avro+json;version=1.9.0,
      payload: '{"type": "record", "name": "Parcel", "fields": [{"name": "id", "type": "string"}]}'}}
  type-name:
    subscribe: {message: {name: D, schemaFormat: application/vnd.apache.avro;version=1.9.0, payload: string}}
`
		ctx := context.Background()
		c := open(t)
		res, err := c.ImportDocument(ctx, []byte(doc), ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]int{}
		for _, s := range res.Schemas {
			if s.Status != Registered || s.SchemaType != SchemaAvro {
				t.Errorf("%+v, want a registered Avro schema", s)
				continue
			}
			got, err := c.registry.Version(ctx, s.Subject, s.Version, false)
			if err != nil || !json.Valid([]byte(got.Schema)) {
				t.Errorf("%s: %+v, %v; want JSON", s.Subject, got, err)
			}
			ids[s.Subject] = s.ID
		}
		if len(ids) != 4 || ids["yaml-object-value"] != ids["yaml-string-value"] || ids["yaml-object-value"] != ids["json-string-value"] || ids["type-name-value"] == ids["json-string-value"] {
			t.Errorf("schema ids by subject: %v; want the three records to be one schema and the type name another", ids)
		}
	})
}

// keyedDocument is a 3.0 document whose messages carry Kafka keys: an Avro key in a Multi Format Schema
// Object, and on one topic two messages whose keys disagree. {{key}} is the Avro key's fields.
const keyedDocument = `asyncapi: 3.0.0
info: {title: Keys, version: 1.0.0}
channels:
  parcels:
    address: parcels
    bindings: {kafka: {topic: shop.parcels}}
    messages:
      ParcelSent:
        payload: {type: object}
        bindings:
          kafka:
            key:
              schemaFormat: application/vnd.apache.avro;version=1.9.0
              schema: {type: record, name: ParcelKey, fields: [{{key}}]}
  users:
    address: users
    messages:
      UserA:
        payload: {type: object}
        bindings: {kafka: {key: {type: string}}}
      UserB:
        payload: {type: object}
        bindings: {kafka: {key: {type: integer}}}
`

// TestImportRegistersKafkaKeys: a message's Kafka key schema (bindings.kafka.key) is registered
// as <topic>-key, in 2.x and 3.0, from the official Adeo example and from documents written
// here; a key that breaks compatibility is refused, not forced, and importing again changes
// nothing.
func TestImportRegistersKafkaKeys(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *Catalog) {
		ctx := context.Background()
		adeoKey, err := os.ReadFile("testdata/asyncapi-3.0/adeo/CostingResponseKey.avsc")
		if err != nil {
			t.Fatal(err)
		}
		const v2Key = `asyncapi: 2.6.0
info: {title: Orders, version: 1.0.0}
channels:
  orders:
    bindings: {kafka: {topic: shop.orders}}
    subscribe:
      message:
        name: OrderPlaced
        payload: {type: object}
        bindings: {kafka: {key: {$ref: '#/components/schemas/OrderId'}, bindingVersion: 0.1.0}}
components:
  schemas:
    OrderId: {type: string, format: uuid}
`
		tests := []struct {
			name    string
			file    string // or doc
			doc     string
			subject string
			typ     string
			schema  string // the key schema the registry holds (any text Lookup takes as the same schema)
			refused map[string]string
		}{
			{"3.0 adeo: an Avro file as the key", "testdata/asyncapi-3.0/adeo-kafka-request-reply.yml", "",
				"adeo-{env}-case-study-COSTING-RESPONSE-{version}-key", SchemaAvro, string(adeoKey), nil},
			{"2.6: a JSON Schema $ref as the key", "", v2Key, "shop.orders-key", SchemaJSON, `{"format":"uuid","type":"string"}`, nil},
			{"3.0: an Avro Multi Format Schema Object as the key", "", strings.ReplaceAll(keyedDocument, "{{key}}", `{name: id, type: string}`),
				"shop.parcels-key", SchemaAvro, `{"type":"record","name":"ParcelKey","fields":[{"name":"id","type":"string"}]}`,
				map[string]string{"users-key": `subject "users-key" already takes the key of message "UserA" on channel "users" in this document; the messages of one topic share its key schema`}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := open(t)
				importKeys := func() ImportResult {
					if tt.file != "" {
						return mustImport(t, c, tt.file, ImportOptions{})
					}
					res, err := c.ImportDocument(ctx, []byte(tt.doc), ImportOptions{})
					if err != nil {
						t.Fatal(err)
					}
					return res
				}
				res := importKeys()
				var key SchemaRegistration
				refused := map[string]string{}
				for _, s := range res.Schemas {
					if s.Subject == tt.subject {
						key = s
					}
					if s.Status == Refused {
						refused[s.Subject] = s.Reason
					}
				}
				if key.Status != Registered || !key.Key || key.SchemaType != tt.typ {
					t.Fatalf("%s: %+v, want a registered %s key", tt.subject, key, tt.typ)
				}
				if len(refused) > 0 || len(tt.refused) > 0 {
					if !reflect.DeepEqual(refused, tt.refused) {
						t.Errorf("refused %q, want %q", refused, tt.refused)
					}
				}
				got, err := c.registry.Lookup(ctx, tt.subject, schemaregistry.NewSchema{Schema: tt.schema, SchemaType: tt.typ}, false, false)
				if err != nil || got.Version != 1 || got.ID != key.ID {
					t.Errorf("registry %s: %+v, %v; want version 1 with id %d holding %s", tt.subject, got, err, key.ID, tt.schema)
				}
				m, err := c.Message(ctx, key.Message)
				if err != nil {
					t.Fatal(err)
				}
				if m.KeySchemaType != tt.typ || m.Key == "" || len(m.Channels) != 1 || m.Channels[0].KeySubject != tt.subject {
					t.Errorf("message %s = %+v, want its %s key on subject %s", m.Name, m, tt.typ, tt.subject)
				}

				before, err := c.registry.Counts(ctx)
				if err != nil {
					t.Fatal(err)
				}
				again := importKeys()
				for _, s := range again.Schemas {
					if s.Subject == tt.subject && (s.Status != Unchanged || s.Version != 1 || s.ID != key.ID) {
						t.Errorf("re-import: %+v, want unchanged version 1", s)
					}
				}
				if after, _ := c.registry.Counts(ctx); after != before || again.Changed {
					t.Errorf("re-import changed something: changed=%t, registry %+v then %+v", again.Changed, before, after)
				}
			})
		}
	})
}

// TestImportRefusesIncompatibleKey: a changed document whose key breaks the subject's
// compatibility gets a 409 for it; the subject keeps its version and the catalog the new key.
func TestImportRefusesIncompatibleKey(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *Catalog) {
		ctx := context.Background()
		c := open(t)
		if _, err := c.ImportDocument(ctx, []byte(strings.ReplaceAll(keyedDocument, "{{key}}", `{name: id, type: string}`)), ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		// A new field without a default: readers of the new key cannot read old keys (BACKWARD).
		res, err := c.ImportDocument(ctx, []byte(strings.ReplaceAll(keyedDocument, "{{key}}", `{name: id, type: string}, {name: region, type: string}`)), ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var key SchemaRegistration
		for _, s := range res.Schemas {
			if s.Subject == "shop.parcels-key" {
				key = s
			}
		}
		if key.Status != Refused || key.ErrorCode != 409 || !key.Key || !strings.Contains(key.Reason, "incompatible") {
			t.Errorf("shop.parcels-key: %+v, want refused with 409", key)
		}
		versions, err := c.registry.Versions(ctx, "shop.parcels-key", schemaregistry.SubjectFilter{})
		if err != nil || !reflect.DeepEqual(versions, []int{1}) {
			t.Errorf("shop.parcels-key versions %v, %v; want only version 1", versions, err)
		}
		m, err := c.Message(ctx, "ParcelSent")
		if err != nil || !strings.Contains(m.Key, "region") {
			t.Errorf("ParcelSent key %q, %v; want the document's new key in the catalog", m.Key, err)
		}
	})
}

// TestImportRegistersPayloadsWithReferences: payloads that $ref other files and components are
// registered with the references resolved. An Avro type that two fields $ref is defined once
// and named the second time (Avro refuses a name defined twice). What cannot be resolved from
// the document is refused by the registry, and the answer says why: a Protobuf import (it is
// not a $ref) and an Avro type named but defined nowhere.
func TestImportRegistersPayloadsWithReferences(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *Catalog) {
		const address = `{"type": "record", "name": "Address", "namespace": "shop", "fields": [{"name": "street", "type": "string"}]}`
		v2 := func(format, payload string) string {
			return "asyncapi: 2.6.0\ninfo: {title: Refs, version: '1'}\nchannels:\n  orders:\n    subscribe:\n      message:\n        name: OrderPlaced\n" +
				"        schemaFormat: " + format + "\n        payload:\n" + payload
		}
		const avro = "application/vnd.apache.avro;version=1.9.0"
		tests := []struct {
			name   string
			files  map[string]string // a.yaml is imported
			status string
			has    string // the registered schema, or the refusal, contains
		}{
			{"Avro: one file $ref'd by two fields", map[string]string{
				"a.yaml":       v2(avro, "          type: record\n          name: Order\n          namespace: shop\n          fields:\n            - {name: billing, type: {$ref: 'address.avsc'}}\n            - {name: shipping, type: {$ref: 'address.avsc'}}\n"),
				"address.avsc": address,
			}, Registered, `{"name":"shipping","type":"Address"}`}, // the registry writes names relative to the namespace
			{"Avro: a component $ref'd in a union and an array", map[string]string{
				"a.yaml": v2(avro, "          $ref: 'schemas.yaml#/Order'\n"),
				"schemas.yaml": "Order:\n  type: record\n  name: Order\n  namespace: shop\n  fields:\n    - {name: billing, type: ['null', {$ref: '#/Address'}]}\n" +
					"    - {name: stops, type: {type: array, items: {$ref: '#/Address'}}}\nAddress: " + address + "\n",
			}, Registered, `"items":"Address"`},
			{"Avro: two different types with one name", map[string]string{
				"a.yaml": v2(avro, "          type: record\n          name: Order\n          namespace: shop\n          fields:\n            - {name: billing, type: {$ref: 'address.avsc'}}\n"+
					"            - {name: shipping, type: {type: record, name: Address, fields: [{name: city, type: string}]}}\n"),
				"address.avsc": address,
			}, Refused, `type "shop.Address" is defined twice`},
			{"JSON Schema: a file whose schemas refer to each other", map[string]string{
				"a.yaml":       v2("application/schema+json;version=draft-07", "          type: object\n          properties:\n            billing: {$ref: 'schemas.json#/definitions/Address'}\n            shipping: {$ref: 'schemas.json#/definitions/Address'}\n"),
				"schemas.json": `{"definitions": {"Address": {"type": "object", "properties": {"street": {"$ref": "#/definitions/Street"}}}, "Street": {"type": "string", "maxLength": 80}}}`,
			}, Registered, `"shipping":{"properties":{"street":{"maxLength":80,"type":"string"}},"type":"object"}`},
			{"Protobuf: an import is not a $ref", map[string]string{
				"a.yaml":        v2("application/vnd.google.protobuf;version=3", "          $ref: 'order.proto'\n"),
				"order.proto":   "syntax = \"proto3\";\npackage shop;\nimport \"address.proto\";\nmessage Order { Address billing = 1; }\n",
				"address.proto": "syntax = \"proto3\";\npackage shop;\nmessage Address { string street = 1; }\n",
			}, Refused, `could not resolve path "address.proto"`},
			{"Avro: a type named but defined nowhere", map[string]string{
				"a.yaml": v2(avro, "          type: record\n          name: Order\n          namespace: shop\n          fields:\n            - {name: billing, type: shop.Address}\n"),
			}, Refused, `unknown type "shop.Address"`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx := context.Background()
				c := open(t)
				res := mustImport(t, c, filepath.Join(writeFiles(t, tt.files), "a.yaml"), ImportOptions{})
				if len(res.Schemas) != 1 || res.Schemas[0].Status != tt.status {
					t.Fatalf("schemas = %+v, want one %s", res.Schemas, tt.status)
				}
				s := res.Schemas[0]
				got := s.Reason
				if s.Status == Registered {
					v, err := c.registry.Version(ctx, s.Subject, s.Version, false)
					if err != nil {
						t.Fatal(err)
					}
					got = v.Schema
					if strings.Contains(got, "$ref") {
						t.Errorf("registered schema %s still has a $ref", got)
					}
				}
				if !strings.Contains(got, tt.has) {
					t.Errorf("%s: %s\nwant it to contain %s", s.Status, got, tt.has)
				}
			})
		}
	})
}
