package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// readTestdata reads one of the catalog package's test documents.
func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../catalog/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// asJSON rewrites a YAML document as JSON.
func asJSON(t *testing.T, doc string) string {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// decodeJSON decodes a response body, failing the test if it is not JSON.
func decodeJSON[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("response %q: %v", body, err)
	}
	return v
}

func TestCatalogImportOverHTTP(t *testing.T) {
	ts := startServer(t)
	kafka := readTestdata(t, "asyncapi-3.0/streetlights-kafka.yml")
	mqttJSON := asJSON(t, readTestdata(t, "asyncapi-2.6/streetlights-mqtt.yml"))

	type result struct {
		Document string
		Version  int
		Changed  bool
		Channels int
		Schemas  []struct {
			Subject, SchemaType, Status string
			Version, ID                 int
		}
	}
	tests := []struct {
		name, query, body string
		status            int
		changed           bool
		schemas           string // the status of every payload's registration
	}{
		{"YAML", "", kafka, http.StatusOK, true, "registered"},
		{"the same again", "", kafka, http.StatusOK, false, "unchanged"},
		{"JSON", "", mqttJSON, http.StatusOK, true, "registered"},
		{"JSON read the other way", "?reversePubSub=true", mqttJSON, http.StatusOK, true, "unchanged"},
	}
	for _, tt := range tests {
		resp, body := ts.do(t, http.MethodPost, "/api/catalog/asyncapi"+tt.query, "", strings.NewReader(tt.body))
		if resp.StatusCode != tt.status {
			t.Fatalf("%s: %d %s", tt.name, resp.StatusCode, body)
		}
		res := decodeJSON[result](t, body)
		if res.Changed != tt.changed || res.Channels != 4 || len(res.Schemas) != 4 || res.Schemas[0].SchemaType != "JSON" {
			t.Errorf("%s: %+v, want changed=%t, 4 channels and 4 JSON schemas", tt.name, res, tt.changed)
		}
		for _, s := range res.Schemas {
			if s.Status != tt.schemas || s.Version != 1 || s.ID == 0 {
				t.Errorf("%s: %+v, want %s as version 1 with an id", tt.name, s, tt.schemas)
			}
		}
	}
	// The registry API serves what the import registered.
	const subject = "smartylighting%2Fstreetlights%2F1%2F0%2Faction%2F%7BstreetlightId%7D%2Fturn%2Fon-value"
	if resp, body := ts.do(t, http.MethodGet, "/subjects/"+subject+"/versions/latest", "", nil); resp.StatusCode != http.StatusOK ||
		!strings.Contains(body, `"schemaType":"JSON"`) || !strings.Contains(body, `"version":1`) {
		t.Errorf("GET the imported subject: %d %s", resp.StatusCode, body)
	}

	_, body := ts.do(t, http.MethodGet, "/api/catalog/services/Streetlights%20MQTT%20API", "", nil)
	svc := decodeJSON[struct {
		Operations []struct{ Name, Action string }
	}](t, body)
	for _, o := range svc.Operations {
		if o.Name == "turnOn" && o.Action != "receive" {
			t.Errorf("after ?reversePubSub=true turnOn is %s, want receive", o.Action)
		}
	}

	_, body = ts.do(t, http.MethodGet, "/api/catalog/documents/Streetlights%20MQTT%20API", "", nil)
	if history := decodeJSON[[]struct{ Version int }](t, body); len(history) != 2 {
		t.Errorf("history of the MQTT document: %s, want two versions", body)
	}
}

// TestCatalogImportRefusedOverHTTP: a changed document whose payload breaks BACKWARD still
// imports (200, the catalog has the new version); the answer lists the refusal with the
// registry's code and reason, and the subject keeps its version.
func TestCatalogImportRefusedOverHTTP(t *testing.T) {
	ts := startServer(t)
	doc := func(fields string) string {
		return `{"asyncapi": "3.0.0", "info": {"title": "Payments", "version": "1.0.0"},
			"channels": {"payments": {"address": "payments", "messages": {"PaymentTaken": {"payload": {
				"schemaFormat": "application/vnd.apache.avro;version=1.9.0",
				"schema": {"type": "record", "name": "PaymentTaken", "fields": [` + fields + `]}}}}}}}`
	}
	type result struct {
		Version int
		Schemas []struct {
			Subject, Status, Reason string
			Version, ID, ErrorCode  int
		}
	}
	resp, body := ts.do(t, http.MethodPost, "/api/catalog/asyncapi", "", strings.NewReader(doc(`{"name": "id", "type": "string"}`)))
	if res := decodeJSON[result](t, body); resp.StatusCode != http.StatusOK || len(res.Schemas) != 1 || res.Schemas[0].Status != "registered" {
		t.Fatalf("first import: %d %s", resp.StatusCode, body)
	}
	resp, body = ts.do(t, http.MethodPost, "/api/catalog/asyncapi", "", strings.NewReader(doc(`{"name": "id", "type": "string"}, {"name": "amount", "type": "long"}`)))
	res := decodeJSON[result](t, body)
	if resp.StatusCode != http.StatusOK || res.Version != 2 || len(res.Schemas) != 1 {
		t.Fatalf("changed import: %d %s", resp.StatusCode, body)
	}
	if s := res.Schemas[0]; s.Subject != "payments-value" || s.Status != "refused" || s.ErrorCode != 409 || s.Version != 0 ||
		!strings.Contains(s.Reason, `Schema being registered is incompatible with an earlier schema for subject "payments-value"`) {
		t.Errorf("refusal = %+v", s)
	}
	if _, body := ts.do(t, http.MethodGet, "/subjects/payments-value/versions", "", nil); body != "[1]" {
		t.Errorf("versions of payments-value = %s, want [1]", body)
	}
}

func TestCatalogBrowseAndPatch(t *testing.T) {
	ts := startServer(t)
	if resp, body := ts.do(t, http.MethodPost, "/api/catalog/asyncapi", "", strings.NewReader(readTestdata(t, "asyncapi-2.6/streetlights-mqtt.yml"))); resp.StatusCode != http.StatusOK {
		t.Fatalf("import: %d %s", resp.StatusCode, body)
	}
	const channel = "smartylighting/streetlights/1/0/action/{streetlightId}/turn/on"
	lists := []struct {
		path string
		want int
	}{
		{"/api/catalog/services", 1},
		{"/api/catalog/channels", 4},
		{"/api/catalog/messages", 3},
		{"/api/catalog/domains", 0},
		{"/api/catalog/servers", 1},
		{"/api/catalog/owners", 0},
	}
	for _, l := range lists {
		resp, body := ts.do(t, http.MethodGet, l.path, "", nil)
		if got := decodeJSON[[]map[string]any](t, body); resp.StatusCode != http.StatusOK || len(got) != l.want {
			t.Errorf("GET %s: %d, %d items, want %d", l.path, resp.StatusCode, len(got), l.want)
		}
	}

	// A channel address with slashes and braces, escaped or not.
	for _, path := range []string{"/api/catalog/channels/" + url.PathEscape(channel), "/api/catalog/channels/" + channel} {
		resp, body := ts.do(t, http.MethodGet, path, "", nil)
		ch := decodeJSON[struct {
			Name     string
			Messages []struct{ Message, Subject string }
		}](t, body)
		if resp.StatusCode != http.StatusOK || ch.Name != channel || len(ch.Messages) != 1 || ch.Messages[0].Subject != channel+"-value" {
			t.Errorf("GET %s: %d %s", path, resp.StatusCode, body)
		}
	}

	resp, body := ts.do(t, http.MethodGet, "/api/catalog/servers/production", "", nil)
	server := decodeJSON[struct {
		Name, Host, Protocol string
		Variables            map[string]map[string]any
		Services, Channels   []string
	}](t, body)
	if resp.StatusCode != http.StatusOK || server.Host != "test.mosquitto.org:{port}" || server.Protocol != "mqtt" ||
		server.Variables["port"]["default"] != "1883" || !slices.Equal(server.Services, []string{"Streetlights MQTT API"}) || len(server.Channels) != 4 {
		t.Errorf("GET /api/catalog/servers/production: %d %s", resp.StatusCode, body)
	}

	patch := func(path, body string) (int, string) {
		req, _ := http.NewRequest(http.MethodPatch, ts.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b)
	}
	tests := []struct {
		name, path, body string
		status           int
		has              string
	}{
		{"service owner, description, tags", "/api/catalog/services/Streetlights%20MQTT%20API",
			`{"owner": "Team Lights", "description": "Runs the **city lights**.", "tags": ["iot", "city"]}`,
			http.StatusOK, `"owner":"Team Lights","tags":["iot","city"]`},
		{"channel description only", "/api/catalog/channels/" + url.PathEscape(channel),
			`{"description": "Turns a light on."}`, http.StatusOK, `"description":"Turns a light on."`},
		{"message owner", "/api/catalog/messages/turnOnOff", `{"owner": "Team Lights"}`, http.StatusOK, `"owner":"Team Lights"`},
		{"owner contact", "/api/catalog/owners/Team%20Lights", `{"email": "lights@city.example", "kind": "team"}`,
			http.StatusOK, `"email":"lights@city.example"`},
		{"owner of unknown kind", "/api/catalog/owners/Team%20Lights", `{"kind": "robot"}`, http.StatusUnprocessableEntity, `owner kind \"robot\"`},
		{"unknown service", "/api/catalog/services/nope", `{"description": "x"}`, http.StatusNotFound, `service \"nope\": not found`},
		{"unknown owner", "/api/catalog/owners/nope", `{"email": "x"}`, http.StatusNotFound, "not found"},
		{"empty tag", "/api/catalog/messages/turnOnOff", `{"tags": [""]}`, http.StatusUnprocessableEntity, "empty tag"},
		{"not JSON", "/api/catalog/messages/turnOnOff", `{"tags": `, http.StatusBadRequest, ""},
	}
	for _, tt := range tests {
		status, body := patch(tt.path, tt.body)
		if status != tt.status || !strings.Contains(body, tt.has) {
			t.Errorf("%s: %d %s\nwant %d with %s", tt.name, status, body, tt.status, tt.has)
		}
	}
	_, body = ts.do(t, http.MethodGet, "/api/catalog/owners/Team%20Lights", "", nil)
	owner := decodeJSON[struct {
		Email              string
		Services, Messages []string
	}](t, body)
	if owner.Email != "lights@city.example" || len(owner.Services) != 1 || len(owner.Messages) != 1 {
		t.Errorf("owner = %s, want the service and the message it was given", body)
	}
}

func TestCatalogErrorsOverHTTP(t *testing.T) {
	ts := startServer(t)
	tests := []struct {
		name, method, path, body string
		status                   int
		has                      string
	}{
		{"broken document", http.MethodPost, "/api/catalog/asyncapi", "asyncapi: 3.0.0\ninfo:\n  title: x\noperations:\n  op:\n    action: fly\n",
			http.StatusUnprocessableEntity, `api: $.operations.op.action: \"fly\": want send or receive`},
		{"not YAML", http.MethodPost, "/api/catalog/asyncapi", "asyncapi: [", http.StatusUnprocessableEntity, "invalid YAML"},
		{"file reference in an upload", http.MethodPost, "/api/catalog/asyncapi",
			"asyncapi: 3.0.0\ninfo: {title: x}\nchannels:\n  c:\n    $ref: 'channels.yaml#/c'\n", http.StatusUnprocessableEntity, "cannot reference other files"},
		{"bad switch", http.MethodPost, "/api/catalog/asyncapi?reversePubSub=maybe", "{}", http.StatusBadRequest, "reversePubSub"},
		{"too large", http.MethodPost, "/api/catalog/asyncapi", strings.Repeat("#", 2<<20), http.StatusRequestEntityTooLarge, "too large"},
		{"unknown channel", http.MethodGet, "/api/catalog/channels/nope", "", http.StatusNotFound, `channel \"nope\": not found`},
		{"unknown server", http.MethodGet, "/api/catalog/servers/nope", "", http.StatusNotFound, `server \"nope\": not found`},
		{"server without a protocol", http.MethodPost, "/api/catalog/asyncapi", "asyncapi: 3.0.0\ninfo: {title: x, version: '1'}\nservers:\n  kafka: {host: 'kafka:9092'}\n",
			http.StatusUnprocessableEntity, `api: $.servers.kafka.protocol: missing: a server needs a protocol`},
		{"unknown document", http.MethodGet, "/api/catalog/documents/nope", "", http.StatusNotFound, "not found"},
	}
	for _, tt := range tests {
		resp, body := ts.do(t, tt.method, tt.path, "", strings.NewReader(tt.body))
		if resp.StatusCode != tt.status || !strings.Contains(body, tt.has) || !strings.Contains(body, `"error_code"`) {
			t.Errorf("%s: %d %s\nwant %d with %s", tt.name, resp.StatusCode, body, tt.status, tt.has)
		}
	}
	_, body := ts.do(t, http.MethodGet, "/api/catalog/services", "", nil)
	if body != "[]\n" {
		t.Errorf("services after only broken imports: %s, want none", body)
	}
}

func TestCatalogExportOverHTTP(t *testing.T) {
	ts := startServer(t)
	for _, doc := range []string{"asyncapi-3.0/streetlights-kafka.yml", "asyncapi-2.6/streetlights-mqtt.yml"} {
		if resp, body := ts.do(t, http.MethodPost, "/api/catalog/asyncapi", "", strings.NewReader(readTestdata(t, doc))); resp.StatusCode != http.StatusOK {
			t.Fatalf("import %s: %d %s", doc, resp.StatusCode, body)
		}
	}
	// A document as the export writes it: enough of it to see that the right service came out.
	type exported struct {
		AsyncAPI string `yaml:"asyncapi" json:"asyncapi"`
		Info     struct{ Title string }
		Channels map[string]struct {
			Address string `yaml:"address" json:"address"`
		}
		Operations map[string]struct {
			Action  string `yaml:"action" json:"action"`
			Service string `yaml:"x-eventlens-service" json:"x-eventlens-service"`
		}
	}
	tests := []struct {
		name, query, contentType string
		title                    string
		operations               int
	}{
		{"a service in YAML", "?service=" + url.QueryEscape("Streetlights Kafka API"), "application/yaml", "Streetlights Kafka API", 4},
		{"a service in YAML, said so", "?service=" + url.QueryEscape("Streetlights MQTT API") + "&format=yaml", "application/yaml", "Streetlights MQTT API", 4},
		{"a service in JSON", "?format=json&service=" + url.QueryEscape("Streetlights MQTT API"), "application/json", "Streetlights MQTT API", 4},
		{"the whole catalog", "", "application/yaml", "eventlens catalog", 8},
		{"the whole catalog in JSON", "?format=json", "application/json", "eventlens catalog", 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := ts.do(t, http.MethodGet, "/api/catalog/asyncapi"+tt.query, "", nil)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != tt.contentType {
				t.Fatalf("%d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			var doc exported
			var err error
			if tt.contentType == "application/json" {
				err = json.Unmarshal([]byte(body), &doc)
			} else {
				err = yaml.Unmarshal([]byte(body), &doc)
			}
			if err != nil {
				t.Fatalf("%v:\n%s", err, body)
			}
			if doc.AsyncAPI != "3.0.0" || doc.Info.Title != tt.title || len(doc.Operations) != tt.operations {
				t.Errorf("asyncapi %q, title %q, %d operations; want 3.0.0, %q, %d:\n%s", doc.AsyncAPI, doc.Info.Title, len(doc.Operations), tt.title, tt.operations, body)
			}
			for key, op := range doc.Operations {
				if (tt.title == "eventlens catalog") != (op.Service != "") {
					t.Errorf("operation %s: x-eventlens-service %q", key, op.Service)
				}
			}
		})
	}

	// The export imports again as the same service: nothing changes.
	_, body := ts.do(t, http.MethodGet, "/api/catalog/asyncapi?service="+url.QueryEscape("Streetlights Kafka API"), "", nil)
	resp, res := ts.do(t, http.MethodPost, "/api/catalog/asyncapi", "", strings.NewReader(body))
	if resp.StatusCode != http.StatusOK || !strings.Contains(res, `"service":"Streetlights Kafka API"`) || !strings.Contains(res, `"operations":4`) {
		t.Errorf("re-import of the export: %d %s", resp.StatusCode, res)
	}

	errorCases := []struct {
		name, query string
		status      int
		has         string
	}{
		{"unknown service", "?service=Nope", http.StatusNotFound, `export service \"Nope\": no such service in the catalog`},
		{"empty service", "?service=", http.StatusBadRequest, "name a service"},
		{"unknown format", "?format=xml", http.StatusBadRequest, `format=\"xml\": want yaml or json`},
	}
	for _, tt := range errorCases {
		resp, body := ts.do(t, http.MethodGet, "/api/catalog/asyncapi"+tt.query, "", nil)
		if resp.StatusCode != tt.status || !strings.Contains(body, tt.has) {
			t.Errorf("%s: %d %s\nwant %d with %s", tt.name, resp.StatusCode, body, tt.status, tt.has)
		}
	}
}

// TestCatalogImportReportsConflicts: two documents describe one channel with different
// partitions; the sender's value stays and the answer to the other lists the conflict, again
// when the same document is imported again.
func TestCatalogImportReportsConflicts(t *testing.T) {
	ts := startServer(t)
	doc := func(title, action string, partitions int) string {
		return fmt.Sprintf(`{"asyncapi": "3.0.0", "info": {"title": %q, "version": "1.0.0"},
			"channels": {"orders": {"address": "orders", "bindings": {"kafka": {"partitions": %d}}}},
			"operations": {"op": {"action": %q, "channel": {"$ref": "#/channels/orders"}}}}`, title, partitions, action)
	}
	type conflict struct {
		Kind, Name, Field, KeptFrom, IgnoredFrom string
		Kept, Ignored                            any
	}
	type result struct {
		Changed   bool
		Conflicts []conflict
	}
	partitions := conflict{Kind: "channel", Name: "orders", Field: "bindings.kafka.partitions",
		Kept: 12.0, KeptFrom: "Orders", Ignored: 6.0, IgnoredFrom: "Billing"}
	tests := []struct {
		name, body string
		changed    bool
		conflicts  []conflict
	}{
		{"the sender", doc("Orders", "send", 12), true, []conflict{}},
		{"a receiver that disagrees", doc("Billing", "receive", 6), true, []conflict{partitions}},
		{"the receiver again", doc("Billing", "receive", 6), false, []conflict{partitions}},
	}
	for _, tt := range tests {
		resp, body := ts.do(t, http.MethodPost, "/api/catalog/asyncapi", "", strings.NewReader(tt.body))
		res := decodeJSON[result](t, body)
		if resp.StatusCode != http.StatusOK || res.Changed != tt.changed || !reflect.DeepEqual(res.Conflicts, tt.conflicts) {
			t.Errorf("%s: %d %s\nwant changed=%t, conflicts %+v", tt.name, resp.StatusCode, body, tt.changed, tt.conflicts)
		}
	}
	if _, body := ts.do(t, http.MethodGet, "/api/catalog/channels/orders", "", nil); !strings.Contains(body, `"partitions":12`) {
		t.Errorf("channel orders = %s, want the sender's partitions", body)
	}
}

// TestCatalogBindingsOverHTTP: message and operation bindings are shown where messages and
// operations are, and a disagreement between two documents' message bindings is reported by
// the import like any conflict.
func TestCatalogBindingsOverHTTP(t *testing.T) {
	ts := startServer(t)
	type result struct {
		Conflicts []struct{ Kind, Name, Field, KeptFrom, IgnoredFrom string }
	}
	var last result
	for _, name := range []string{"bindings/alerts.yaml", "bindings/dashboard.yaml"} {
		resp, body := ts.do(t, http.MethodPost, "/api/catalog/asyncapi", "", strings.NewReader(readTestdata(t, name)))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("import %s: %d %s", name, resp.StatusCode, body)
		}
		last = decodeJSON[result](t, body)
	}
	if c := last.Conflicts; len(c) != 1 || c[0].Kind != "message" || c[0].Name != "AlertRaised" ||
		c[0].Field != "bindings.kafka.schemaLookupStrategy" || c[0].KeptFrom != "urn:eventlens:test:alerts" || c[0].IgnoredFrom != "Alerts Dashboard" {
		t.Errorf("conflicts %+v, want AlertRaised's schemaLookupStrategy kept from the producer", c)
	}

	type operation struct {
		Name     string
		Bindings map[string]any
	}
	tests := []struct {
		path string
		get  func(body string) any // the part of the answer that holds the bindings
		want string                // as JSON
	}{
		{"/api/catalog/messages/MailRequested", func(body string) any {
			return decodeJSON[struct{ Bindings any }](t, body).Bindings
		}, `{"amqp":{"contentEncoding":"gzip","messageType":"mail.requested"}}`},
		{"/api/catalog/messages", func(body string) any {
			for _, m := range decodeJSON[[]struct {
				Name     string
				Bindings any
			}](t, body) {
				if m.Name == "AlertRaised" {
					return m.Bindings
				}
			}
			return nil
		}, `{"kafka":{"bindingVersion":"0.5.0","schemaIdLocation":"payload","schemaIdPayloadEncoding":"4","schemaLookupStrategy":"TopicIdStrategy"}}`},
		{"/api/catalog/services/Alerts%20Service", func(body string) any {
			for _, o := range decodeJSON[struct{ Operations []operation }](t, body).Operations {
				if o.Name == "soundAlarm" {
					return o.Bindings
				}
			}
			return nil
		}, `{"mqtt":{"qos":2,"retain":true}}`},
		{"/api/catalog/channels/mail", func(body string) any {
			ops := decodeJSON[struct{ Operations []operation }](t, body).Operations
			if len(ops) != 1 {
				return nil
			}
			amqp, _ := ops[0].Bindings["amqp"].(map[string]any)
			return amqp["deliveryMode"]
		}, `2`},
	}
	for _, tt := range tests {
		resp, body := ts.do(t, http.MethodGet, tt.path, "", nil)
		got, err := json.Marshal(tt.get(body))
		if resp.StatusCode != http.StatusOK || err != nil || string(got) != tt.want {
			t.Errorf("GET %s: %d, bindings %s, want %s\n%s", tt.path, resp.StatusCode, got, tt.want, body)
		}
	}
}
