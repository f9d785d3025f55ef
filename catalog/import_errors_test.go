package catalog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// dump writes every catalog table as text, to show that an import changed nothing.
func dump(t *testing.T, c *Catalog) string {
	t.Helper()
	var b strings.Builder
	for _, table := range []string{"catalog_owners", "catalog_documents", "catalog_document_versions", "catalog_domains",
		"catalog_services", "catalog_channels", "catalog_messages", "catalog_channel_messages", "catalog_operations",
		"catalog_operation_messages", "catalog_servers", "catalog_service_servers", "catalog_channel_servers",
		"catalog_channel_descriptions", "catalog_server_descriptions", "catalog_message_descriptions"} {
		for _, row := range testRows(t, c, table) {
			fmt.Fprintf(&b, "%s %s\n", table, row)
		}
	}
	return b.String()
}

// writeFiles writes files (name → content) under a new directory and returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// v2 is a small valid 2.6 document; its key is "Broken Service" like every case below, so a
// broken version of it must leave the imported one alone.
const v2 = `asyncapi: 2.6.0
info:
  title: Broken Service
  version: 1.0.0
servers:
  kafka:
    url: kafka.example:9092
    protocol: kafka
channels:
  orders:
    servers: [kafka]
    subscribe:
      message:
        $ref: '#/components/messages/OrderPlaced'
components:
  messages:
    OrderPlaced:
      payload:
        type: object
`

func TestImportBrokenDocuments(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *Catalog) {
		big := "asyncapi: 3.0.0\ninfo:\n  title: Broken Service\n  description: " + strings.Repeat("x", MaxDocumentBytes) + "\n"
		tests := []struct {
			name  string
			files map[string]string // root is "svc/asyncapi.yaml"; base directory is "svc"
			file  string            // the file the error names
			path  string            // the JSON path it names
			has   string            // the reason contains
		}{
			{"bad YAML", map[string]string{"svc/asyncapi.yaml": "asyncapi: 3.0.0\ninfo: [unclosed\n"},
				"asyncapi.yaml", "", "invalid YAML"},
			{"bad JSON", map[string]string{"svc/asyncapi.yaml": "{\"asyncapi\": \"3.0.0\",\n \"info\": }"},
				"asyncapi.yaml", "", "invalid JSON at line 2"},
			{"not an object", map[string]string{"svc/asyncapi.yaml": "- a\n- b\n"},
				"asyncapi.yaml", "$", "an AsyncAPI document is an object"},
			{"unknown version", map[string]string{"svc/asyncapi.yaml": strings.Replace(v2, "2.6.0", "1.2.0", 1)},
				"asyncapi.yaml", "$.asyncapi", `unsupported AsyncAPI version "1.2.0"`},
			{"3.1 not yet", map[string]string{"svc/asyncapi.yaml": strings.Replace(v2, "2.6.0", "3.1.0", 1)},
				"asyncapi.yaml", "$.asyncapi", `unsupported AsyncAPI version "3.1.0"`},
			{"no version", map[string]string{"svc/asyncapi.yaml": strings.Replace(v2, "asyncapi: 2.6.0\n", "", 1)},
				"asyncapi.yaml", "$.asyncapi", "missing"},
			{"no title", map[string]string{"svc/asyncapi.yaml": strings.Replace(v2, "title: Broken Service", "version2: x", 1)},
				"asyncapi.yaml", "$.info.title", "missing"},
			{"dangling $ref", map[string]string{"svc/asyncapi.yaml": strings.Replace(v2, "messages/OrderPlaced'", "messages/Nope'", 1)},
				"asyncapi.yaml", "$.channels.orders.subscribe.message", `$ref "#/components/messages/Nope" points to nothing`},
			{"dangling file $ref", map[string]string{"svc/asyncapi.yaml": strings.Replace(v2, "'#/components/messages/OrderPlaced'", "'messages.yaml#/OrderPlaced'", 1)},
				"asyncapi.yaml", "$.channels.orders.subscribe.message", "file messages.yaml does not exist"},
			{"dangling $ref in a referenced file", map[string]string{
				"svc/asyncapi.yaml":        strings.Replace(v2, "'#/components/messages/OrderPlaced'", "'common/messages.yaml#/OrderPlaced'", 1),
				"svc/common/messages.yaml": "OrderPlaced:\n  payload:\n    $ref: 'schemas.yaml#/Order'\n",
			}, "common/messages.yaml", "$.OrderPlaced.payload", "file common/schemas.yaml does not exist"},
			{"$ref cycle", map[string]string{"svc/asyncapi.yaml": payloadRef(v2, "A") + "  schemas:\n    A:\n      $ref: '#/components/schemas/B'\n    B:\n      $ref: '#/components/schemas/A'\n" +
				""}, "asyncapi.yaml", "$.components.schemas.B", "$ref cycle: asyncapi.yaml#/components/schemas/A -> asyncapi.yaml#/components/schemas/B -> asyncapi.yaml#/components/schemas/A"},
			{"recursive schema", map[string]string{"svc/asyncapi.yaml": payloadRef(v2, "Tree") + "  schemas:\n    Tree:\n      type: object\n      properties:\n        children:\n          type: array\n          items:\n            $ref: '#/components/schemas/Tree'\n"},
				"asyncapi.yaml", "$.components.schemas.Tree.properties.children.items", "$ref cycle: asyncapi.yaml#/components/schemas/Tree -> asyncapi.yaml#/components/schemas/Tree"},
			{"path leaving the directory", map[string]string{
				"svc/asyncapi.yaml": strings.Replace(v2, "'#/components/messages/OrderPlaced'", "'../secrets.yaml#/OrderPlaced'", 1),
				"secrets.yaml":      "OrderPlaced: {}\n",
			}, "asyncapi.yaml", "$.channels.orders.subscribe.message", "leaves the document's directory"},
			{"absolute path", map[string]string{"svc/asyncapi.yaml": strings.Replace(v2, "'#/components/messages/OrderPlaced'", "'/etc/passwd'", 1)},
				"asyncapi.yaml", "$.channels.orders.subscribe.message", "only paths relative to the document"},
			{"network $ref", map[string]string{"svc/asyncapi.yaml": strings.Replace(v2, "'#/components/messages/OrderPlaced'", "'https://example.com/messages.yaml#/OrderPlaced'", 1)},
				"asyncapi.yaml", "$.channels.orders.subscribe.message", "references over the network are not followed"},
			{"oversized document", map[string]string{"svc/asyncapi.yaml": big},
				"asyncapi.yaml", "", "over 8388608 bytes"},
			{"unknown message type", map[string]string{"svc/asyncapi.yaml": v2 + "      x-eventcatalog-message-type: rumour\n"},
				"asyncapi.yaml", "$.components.messages.OrderPlaced.x-eventcatalog-message-type", `"rumour": want event, command or query`},
			{"3.0 unknown action", map[string]string{"svc/asyncapi.yaml": "asyncapi: 3.0.0\ninfo: {title: Broken Service, version: '1'}\nchannels:\n  c: {address: c}\noperations:\n  op:\n    action: publish\n    channel: {$ref: '#/channels/c'}\n"},
				"asyncapi.yaml", "$.operations.op.action", `"publish": want send or receive`},
			{"3.0 operation on a missing channel", map[string]string{"svc/asyncapi.yaml": "asyncapi: 3.0.0\ninfo: {title: Broken Service, version: '1'}\nchannels:\n  c: {address: c}\noperations:\n  op:\n    action: send\n    channel: {$ref: '#/channels/d'}\n"},
				"asyncapi.yaml", "$.operations.op.channel", `channel "d" is not in this document's channels`},
			{"3.0 message not in the channel", map[string]string{"svc/asyncapi.yaml": "asyncapi: 3.0.0\ninfo: {title: Broken Service, version: '1'}\nchannels:\n  c:\n    address: c\n    messages:\n      m: {payload: {type: string}}\noperations:\n  op:\n    action: send\n    channel: {$ref: '#/channels/c'}\n    messages:\n      - $ref: '#/channels/c/messages/x'\n"},
				"asyncapi.yaml", "$.operations.op.messages[0]", `message "x" is not in channel "c"`},
		}
		for _, sc := range slices.Concat(serverCases, bindingCases) {
			tests = append(tests, struct {
				name  string
				files map[string]string
				file  string
				path  string
				has   string
			}{sc.name, map[string]string{"svc/asyncapi.yaml": sc.doc}, "asyncapi.yaml", sc.path, sc.has})
		}
		ctx := context.Background()
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := open(t)
				good := writeFiles(t, map[string]string{"asyncapi.yaml": v2})
				mustImport(t, c, filepath.Join(good, "asyncapi.yaml"), ImportOptions{})
				before := dump(t, c)

				dir := writeFiles(t, tt.files)
				root := filepath.Join(dir, "svc", "asyncapi.yaml")
				_, err := c.ImportFile(ctx, root, ImportOptions{})
				var de *DocumentError
				if !errors.As(err, &de) || !errors.Is(err, ErrInvalidDocument) {
					t.Fatalf("error = %v, want a *DocumentError", err)
				}
				wantFile := tt.file // a referenced file is named relative to the base directory
				if tt.file == "asyncapi.yaml" {
					wantFile = root // the root file is named as it was given
				}
				if de.File != wantFile {
					t.Errorf("file = %q, want %q", de.File, wantFile)
				}
				if de.Path != tt.path || !strings.Contains(de.Reason, tt.has) {
					t.Errorf("error at %q: %q\nwant at %q: ...%s...", de.Path, de.Reason, tt.path, tt.has)
				}
				if after := dump(t, c); after != before {
					t.Errorf("a broken document changed the catalog:\nbefore\n%s\nafter\n%s", before, after)
				}
			})
		}
	})
}

// v3Servers is a small 3.0 document with a server and a channel on it, for the server cases.
const v3Servers = `asyncapi: 3.0.0
info: {title: Broken Service, version: '1'}
servers:
  kafka: {host: 'kafka.example:9092', protocol: kafka}
channels:
  c:
    address: c
    servers:
      - $ref: '#/servers/kafka'
`

// serverCases are malformed and hostile servers: each must be refused with its file, path and
// reason, and change nothing.
var serverCases = []struct {
	name, doc, path, has string
}{
	{"servers not an object", strings.Replace(v2, "  kafka:\n    url: kafka.example:9092\n    protocol: kafka\n", "  - kafka\n", 1),
		"$.servers", "want an object, found a list"},
	{"server not an object", strings.Replace(v2, "  kafka:\n    url: kafka.example:9092\n    protocol: kafka\n", "  kafka: [kafka.example]\n", 1),
		"$.servers.kafka", "want a server object, found a list"},
	{"2.x server without url", strings.Replace(v2, "    url: kafka.example:9092\n", "", 1),
		"$.servers.kafka.url", "missing: a server needs a url"},
	{"server without protocol", strings.Replace(v2, "    protocol: kafka\n", "", 1),
		"$.servers.kafka.protocol", "missing: a server needs a protocol"},
	{"3.0 server without host", strings.Replace(v3Servers, "host: 'kafka.example:9092', ", "", 1),
		"$.servers.kafka.host", "missing: a server needs a host"},
	{"3.0 host that is a number", strings.Replace(v3Servers, "'kafka.example:9092'", "9092", 1),
		"$.servers.kafka.host", "want a string, found a number"},
	{"server name with a path", strings.Replace(v2, "servers:\n  kafka:", "servers:\n  '../../etc/kafka':", 1),
		`$.servers["../../etc/kafka"]`, `server name "../../etc/kafka": use letters, digits`},
	{"server name with markup", strings.Replace(v2, "servers:\n  kafka:", "servers:\n  '<script>alert(1)</script>':", 1),
		`$.servers["<script>alert(1)</script>"]`, "use letters, digits"},
	{"server bindings not an object", strings.Replace(v2, "    protocol: kafka\n", "    protocol: kafka\n    bindings: [kafka]\n", 1),
		"$.servers.kafka.bindings", "want an object of bindings, found a list"},
	{"server variables not an object", strings.Replace(v2, "    protocol: kafka\n", "    protocol: kafka\n    variables: port\n", 1),
		"$.servers.kafka.variables", "want an object of server variables, found a string"},
	{"server tag without a name", strings.Replace(v2, "    protocol: kafka\n", "    protocol: kafka\n    tags: [{description: nameless}]\n", 1),
		"$.servers.kafka.tags[0]", "a tag needs a name"},
	{"server $ref to nothing", strings.Replace(v2, "  kafka:\n    url: kafka.example:9092\n    protocol: kafka\n", "  kafka:\n    $ref: '#/components/servers/kafka'\n", 1),
		"$.servers.kafka", `$ref "#/components/servers/kafka" points to nothing`},
	{"2.x channel on an undeclared server", strings.Replace(v2, "servers: [kafka]", "servers: [kafka, rabbitmq]", 1),
		"$.channels.orders.servers[1]", `server "rabbitmq" is not in this document's servers`},
	{"2.x channel servers not a list", strings.Replace(v2, "servers: [kafka]", "servers: kafka", 1),
		"$.channels.orders.servers", "want a list of servers, found a string"},
	{"2.x channel server that is not a name", strings.Replace(v2, "servers: [kafka]", "servers: [{name: kafka}]", 1),
		"$.channels.orders.servers[0]", "want a server name, found an object"},
	{"3.0 channel on an undeclared server", strings.Replace(v3Servers, "'#/servers/kafka'", "'#/servers/rabbitmq'", 1),
		"$.channels.c.servers[0]", `server "rabbitmq" is not in this document's servers`},
	{"3.0 channel server by name, not by reference", strings.Replace(v3Servers, "      - $ref: '#/servers/kafka'\n", "      - kafka\n", 1),
		"$.channels.c.servers[0]", "want a $ref to #/servers/…"},
	{"3.0 channel server reference elsewhere", strings.Replace(v3Servers, "'#/servers/kafka'", "'#/channels/c'", 1),
		"$.channels.c.servers[0]", `$ref "#/channels/c": want #/servers/<name>`},
}

// v3Operation is a small 3.0 document with one operation, for the operation binding cases.
const v3Operation = `asyncapi: 3.0.0
info: {title: Broken Service, version: '1'}
channels:
  c: {address: c}
operations:
  op:
    action: receive
    channel: {$ref: '#/channels/c'}
`

// bindingCases are malformed and hostile bindings of messages, operations and channels: each
// must be refused with its file, path and reason, and change nothing.
var bindingCases = []struct {
	name, doc, path, has string
}{
	{"message bindings not an object", v2 + "      bindings: [kafka]\n",
		"$.components.messages.OrderPlaced.bindings", "want an object of bindings, found a list"},
	{"message binding not an object", v2 + "      bindings: {amqp: gzip}\n",
		"$.components.messages.OrderPlaced.bindings.amqp", "want an object of amqp bindings, found a string"},
	{"message binding with markup for a protocol", v2 + "      bindings: {'<script>alert(1)</script>': {}}\n",
		`$.components.messages.OrderPlaced.bindings["<script>alert(1)</script>"]`, `binding "<script>alert(1)</script>": a protocol is named with letters`},
	{"message binding with a path for a protocol", v2 + "      bindings: {'../kafka': {key: {type: string}}}\n",
		`$.components.messages.OrderPlaced.bindings["../kafka"]`, `binding "../kafka": a protocol is named with letters`},
	{"message binding with an empty protocol", v2 + "      bindings: {'': {}}\n",
		`$.components.messages.OrderPlaced.bindings[""]`, `binding "": a protocol is named with letters`},
	{"message bindings $ref to nothing", v2 + "      bindings: {$ref: '#/components/messageBindings/nope'}\n",
		"$.components.messages.OrderPlaced.bindings", `$ref "#/components/messageBindings/nope" points to nothing`},
	{"2.x operation bindings not an object", strings.Replace(v2, "    subscribe:\n", "    subscribe:\n      bindings: kafka\n", 1),
		"$.channels.orders.subscribe.bindings", "want an object of bindings, found a string"},
	{"2.x operation binding not an object", strings.Replace(v2, "    subscribe:\n", "    subscribe:\n      bindings: {kafka: [groupId]}\n", 1),
		"$.channels.orders.subscribe.bindings.kafka", "want an object of kafka bindings, found a list"},
	{"3.0 operation binding not an object", v3Operation + "    bindings: {mqtt: 1}\n",
		"$.operations.op.bindings.mqtt", "want an object of mqtt bindings, found a number"},
	{"3.0 operation binding with a space in its protocol", v3Operation + "    bindings: {'kafka secure': {}}\n",
		`$.operations.op.bindings["kafka secure"]`, `binding "kafka secure": a protocol is named with letters`},
	{"channel binding not an object", strings.Replace(v2, "    servers: [kafka]\n", "    servers: [kafka]\n    bindings: {kafka: shop.orders}\n", 1),
		"$.channels.orders.bindings.kafka", "want an object of kafka bindings, found a string"},
}

// payloadRef makes the payload of doc's message a $ref to the schema name.
func payloadRef(doc, name string) string {
	return strings.Replace(doc, "payload:\n        type: object", "payload:\n        $ref: '#/components/schemas/"+name+"'", 1)
}

func TestImportDocumentRefusesFileReferences(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *Catalog) {
		c := open(t)
		doc := strings.Replace(v2, "'#/components/messages/OrderPlaced'", "'messages.yaml#/OrderPlaced'", 1)
		_, err := c.ImportDocument(context.Background(), []byte(doc), ImportOptions{Source: "upload"})
		var de *DocumentError
		if !errors.As(err, &de) || de.File != "upload" || !strings.Contains(de.Reason, "cannot reference other files") {
			t.Fatalf("error = %v, want an uploaded document to refuse file references", err)
		}
		if _, err := c.ImportDocument(context.Background(), []byte(v2), ImportOptions{}); err != nil {
			t.Fatalf("a document with only local references: %v", err)
		}
	})
}

func TestReimportChangesNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *Catalog) {
		ctx := context.Background()
		c := open(t)
		for _, f := range []string{"testdata/shop/orders.yaml", "testdata/shop/shipping.yaml"} {
			mustImport(t, c, f, ImportOptions{})
		}
		before := dump(t, c)
		for _, f := range []string{"testdata/shop/orders.yaml", "testdata/shop/shipping.yaml"} {
			res := mustImport(t, c, f, ImportOptions{})
			if res.Changed || res.Version != 1 {
				t.Errorf("%s again: changed=%t version=%d, want unchanged version 1", f, res.Changed, res.Version)
			}
		}
		if after := dump(t, c); after != before {
			t.Errorf("re-import changed the catalog:\nbefore\n%s\nafter\n%s", before, after)
		}
		// The same document read the other way is a different import.
		if res := mustImport(t, c, "testdata/shop/orders.yaml", ImportOptions{ReversePubSub: true}); !res.Changed {
			t.Error("the reverse switch should make a new version")
		}
		if _, err := c.DocumentHistory(ctx, "urn:shop:orders"); err != nil {
			t.Error(err)
		}
	})
}

func TestChangedDocumentUpdatesInPlace(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *Catalog) {
		ctx := context.Background()
		c := open(t)
		original, err := os.ReadFile("testdata/shop/orders.yaml")
		if err != nil {
			t.Fatal(err)
		}
		// A second document shares the topic shop.orders.v1, so it must survive the first one dropping it.
		mustImport(t, c, "testdata/shop/shipping.yaml", ImportOptions{})
		avro, err := os.ReadFile("testdata/shop/schemas/order-placed.avsc")
		if err != nil {
			t.Fatal(err)
		}
		proto, err := os.ReadFile("testdata/shop/schemas/payment.proto")
		if err != nil {
			t.Fatal(err)
		}
		dir := writeFiles(t, map[string]string{"orders.yaml": string(original), "schemas/order-placed.avsc": string(avro), "schemas/payment.proto": string(proto)})
		file := filepath.Join(dir, "orders.yaml")
		first := mustImport(t, c, file, ImportOptions{})
		changed := strings.Replace(string(original), "Takes **orders**", "Takes *all* orders", 1)
		// Drop the order-commands channel and its two messages, and the orders channel.
		changed = changed[:strings.Index(changed, "  order-commands:")] + changed[strings.Index(changed, "components:"):]
		changed = strings.Replace(changed, "  orders:\n    description: Every order placed in the shop.\n    servers: [kafka]\n    bindings:\n      kafka:\n        topic: shop.orders.v1\n        partitions: 12\n    subscribe:\n      operationId: publishOrderPlaced\n      message:\n        $ref: '#/components/messages/OrderPlaced'\n", "", 1)
		// Drop the rabbitmq server (only order-commands used it) and describe the kafka server anew.
		changed = changed[:strings.Index(changed, "  rabbitmq:")] + changed[strings.Index(changed, "channels:"):]
		changed = strings.Replace(changed, "The shop's Kafka cluster.", "The shop's main Kafka cluster.", 1)
		if err := os.WriteFile(file, []byte(changed), 0o644); err != nil {
			t.Fatal(err)
		}
		second := mustImport(t, c, file, ImportOptions{})
		if !second.Changed || second.Version != 2 || second.Hash == first.Hash {
			t.Errorf("second import = %+v, want version 2 with a new hash", second)
		}
		s, err := c.Service(ctx, "Orders Service")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(s.Description, "*all*") || len(s.Operations) != 1 || s.Operations[0].Name != "onPaymentReceived" ||
			!slices.Equal(s.Servers, []string{"kafka"}) {
			t.Errorf("service after the change = %+v", s)
		}
		if _, err := c.Server(ctx, "rabbitmq"); !errors.Is(err, ErrNotFound) {
			t.Errorf("server rabbitmq: %v, want it removed", err)
		}
		kafka, err := c.Server(ctx, "kafka")
		if err != nil {
			t.Fatal(err)
		}
		// The Shipping Service's document declared kafka first, so its description stays, and the
		// new one is reported.
		if kafka.Description != "The shop's Kafka cluster." || kafka.Document != "Shipping Service" ||
			!slices.Equal(kafka.Services, []string{"Orders Service", "Shipping Service"}) ||
			!slices.Equal(kafka.Channels, []string{"parcel-scanned", "shop.orders.v1", "shop.payments.v1"}) {
			t.Errorf("server kafka after the change = %+v, want the first description, both services, their channels", kafka)
		}
		want := []Conflict{{Kind: "server", Name: "kafka", Field: "description", Kept: "The shop's Kafka cluster.", KeptFrom: "Shipping Service",
			Ignored: "The shop's main Kafka cluster.", IgnoredFrom: "urn:shop:orders"}}
		if !reflect.DeepEqual(second.Conflicts, want) {
			t.Errorf("conflicts = %+v, want %+v", second.Conflicts, want)
		}
		for _, gone := range []string{"CancelOrder", "GetOrder"} {
			if _, err := c.Message(ctx, gone); !errors.Is(err, ErrNotFound) {
				t.Errorf("message %s: %v, want it removed with the channel", gone, err)
			}
		}
		if _, err := c.Channel(ctx, "order-commands"); !errors.Is(err, ErrNotFound) {
			t.Errorf("channel order-commands: %v, want it removed", err)
		}
		ch, err := c.Channel(ctx, "shop.orders.v1")
		if err != nil {
			t.Fatalf("shop.orders.v1 is still used by the Shipping Service: %v", err)
		}
		if len(ch.Operations) != 1 || ch.Operations[0].Service != "Shipping Service" {
			t.Errorf("shop.orders.v1 operations = %+v, want only the Shipping Service's", ch.Operations)
		}
		// What only the Orders Service's document said about the channel went with it.
		if want := map[string]any{"kafka": map[string]any{"topic": "shop.orders.v1"}}; ch.Description != "" || !reflect.DeepEqual(ch.Bindings, want) {
			t.Errorf("shop.orders.v1 = %+v, want the Shipping Service's description only", ch)
		}
		history, err := c.DocumentHistory(ctx, "urn:shop:orders")
		if err != nil {
			t.Fatal(err)
		}
		if len(history) != 2 || history[0].Hash != first.Hash || history[1].Hash != second.Hash || history[1].Source != file {
			t.Errorf("history = %+v", history)
		}
	})
}

func TestReversePubSubInTheDocument(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *Catalog) {
		for _, tt := range []struct {
			extension string
			opts      ImportOptions
			want      string
		}{
			{"", ImportOptions{}, ActionSend},
			{"x-eventlens-reverse-pubsub: true\n", ImportOptions{}, ActionReceive},
			{"x-eventlens-reverse-pubsub: true\n", ImportOptions{ReversePubSub: true}, ActionSend}, // the two switches cancel out
		} {
			c := open(t)
			if _, err := c.ImportDocument(context.Background(), []byte(tt.extension+v2), tt.opts); err != nil {
				t.Fatal(err)
			}
			s, err := c.Service(context.Background(), "Broken Service")
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Operations) != 1 || s.Operations[0].Action != tt.want {
				t.Errorf("%q with %+v: operations %+v, want one %s", tt.extension, tt.opts, s.Operations, tt.want)
			}
		}
	})
}
