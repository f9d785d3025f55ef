package server

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// exchange is one request and the exact answer it must get.
type exchange struct {
	method, path, body string
	status             int
	want               string
}

// run sends each request in turn and compares status and body, with every guid and timestamp
// (which change from run to run) written as "*".
func (ts *testServer) run(t *testing.T, steps []exchange) {
	t.Helper()
	for i, s := range steps {
		status, out := ts.call(t, s.method, s.path, s.body)
		out = variable.ReplaceAllString(out, `"$1":"*"`)
		if status != s.status || out != s.want {
			t.Errorf("%d %s %s\n got %d %s\nwant %d %s", i, s.method, s.path, status, out, s.status, s.want)
		}
	}
}

var variable = regexp.MustCompile(`"(guid|ts|createTs|updateTs)":("[^"]*"|\d+)`)

// The data-contract members of a config as Confluent's ConfigResource answers them, and what a
// registration makes of them.
func TestRegistryDataContractsOverHTTP(t *testing.T) {
	ts := startServer(t)
	rec := func(n int) string { return body(avroRecord("Order", n)) }
	ts.run(t, []exchange{
		{"PUT", "/config", ``, 200, `{"compatibility":"BACKWARD"}`},
		{"PUT", "/config", `{"defaultMetadata":{"properties":{"owner":"platform","tier":"gold"},"sensitive":["ssn"]},` +
			`"overrideMetadata":{"properties":{"tier":"silver"}},` +
			`"defaultRuleSet":{"domainRules":[{"name":"positive","kind":"CONDITION","mode":"WRITE","type":"CEL","expr":"message.f0 > 0"}]},` +
			`"overrideRuleSet":{"domainRules":[{"name":"audited","kind":"CONDITION","mode":"WRITE","type":"CEL","expr":"true"}]}}`, 200,
			`{"defaultMetadata":{"properties":{"owner":"platform","tier":"gold"},"sensitive":["ssn"]},"overrideMetadata":{"properties":{"tier":"silver"}},` +
				`"defaultRuleSet":{"domainRules":[{"name":"positive","kind":"CONDITION","mode":"WRITE","type":"CEL","expr":"message.f0 \u003e 0"}]},` +
				`"overrideRuleSet":{"domainRules":[{"name":"audited","kind":"CONDITION","mode":"WRITE","type":"CEL","expr":"true"}]}}`},
		{"PUT", "/config", `{"compatibility":"FULL","validateFields":true}`, 200,
			`{"compatibility":"FULL","validateFields":true,"defaultMetadata":{"properties":{"owner":"platform","tier":"gold"},"sensitive":["ssn"]},"overrideMetadata":{"properties":{"tier":"silver"}},` +
				`"defaultRuleSet":{"domainRules":[{"name":"positive","kind":"CONDITION","mode":"WRITE","type":"CEL","expr":"message.f0 \u003e 0"}]},` +
				`"overrideRuleSet":{"domainRules":[{"name":"audited","kind":"CONDITION","mode":"WRITE","type":"CEL","expr":"true"}]}}`},
		// null clears; what is left out stays.
		{"PUT", "/config", `{"defaultRuleSet":null,"overrideRuleSet":null,"validateFields":null}`, 200,
			`{"compatibility":"FULL","defaultMetadata":{"properties":{"owner":"platform","tier":"gold"},"sensitive":["ssn"]},"overrideMetadata":{"properties":{"tier":"silver"}}}`},
		{"GET", "/config", ``, 200,
			`{"compatibilityLevel":"FULL","defaultMetadata":{"properties":{"owner":"platform","tier":"gold"},"sensitive":["ssn"]},"overrideMetadata":{"properties":{"tier":"silver"}}}`},
		{"PUT", "/config", `{"compatibility":"BACKWARD"}`, 200,
			`{"compatibility":"BACKWARD","defaultMetadata":{"properties":{"owner":"platform","tier":"gold"},"sensitive":["ssn"]},"overrideMetadata":{"properties":{"tier":"silver"}}}`},
		{"POST", "/subjects/orders-value/versions", rec(1)[:len(rec(1))-1] + `,"metadata":{"properties":{"owner":"orders"},"tags":{"f0":["PII","ID"]}}}`, 200,
			`{"version":1,"id":1,"guid":"*","metadata":{"tags":{"f0":["ID","PII"]},"properties":{"owner":"orders","tier":"silver"},"sensitive":["ssn"]},"schema":"{\"type\":\"record\",\"name\":\"Order\",\"fields\":[{\"name\":\"f0\",\"type\":\"int\"}]}"}`},
		// Without metadata the new version carries the previous one's.
		{"POST", "/subjects/orders-value/versions", rec(2), 200,
			`{"version":2,"id":2,"guid":"*","metadata":{"tags":{"f0":["ID","PII"]},"properties":{"owner":"orders","tier":"silver"},"sensitive":["ssn"]},"schema":"{\"type\":\"record\",\"name\":\"Order\",\"fields\":[{\"name\":\"f0\",\"type\":\"int\"},{\"name\":\"f1\",\"type\":\"int\",\"default\":0}]}"}`},
		{"POST", "/subjects/orders-value", rec(2), 200,
			`{"subject":"orders-value","version":2,"id":2,"guid":"*","metadata":{"tags":{"f0":["ID","PII"]},"properties":{"owner":"orders","tier":"silver"},"sensitive":["ssn"]},"schema":"{\"type\":\"record\",\"name\":\"Order\",\"fields\":[{\"name\":\"f0\",\"type\":\"int\"},{\"name\":\"f1\",\"type\":\"int\",\"default\":0}]}","ts":"*"}`},

		// A subject's own config: compatibilityGroup and reserved fields.
		{"PUT", "/config/g", `{"compatibilityGroup":"major","validateFields":true,"defaultMetadata":{"properties":{"confluent:reserved":"f3"}}}`, 200,
			`{"validateFields":true,"compatibilityGroup":"major","defaultMetadata":{"properties":{"confluent:reserved":"f3"}}}`},
		// Confluent fills a subject config's missing level too (with the server's default).
		{"GET", "/config/g", ``, 200, `{"compatibilityLevel":"BACKWARD","validateFields":true,"compatibilityGroup":"major","defaultMetadata":{"properties":{"confluent:reserved":"f3"}}}`},
		{"GET", "/config/g?defaultToGlobal=true", ``, 200, `{"compatibilityLevel":"BACKWARD","validateFields":true,"compatibilityGroup":"major","defaultMetadata":{"properties":{"confluent:reserved":"f3"}}}`},
		{"POST", "/subjects/g/versions", body(avroRecord("G", 2), `,"metadata":{"properties":{"major":"1"}}`), 200,
			`{"version":1,"id":3,"guid":"*","metadata":{"properties":{"confluent:reserved":"f3","major":"1"}},"schema":"{\"type\":\"record\",\"name\":\"G\",\"fields\":[{\"name\":\"f0\",\"type\":\"int\"},{\"name\":\"f1\",\"type\":\"int\",\"default\":0}]}"}`},
		{"POST", "/subjects/g/versions", body(avroRecord("G", 4)), 409,
			`{"error_code":409,"message":"Schema being registered is incompatible with an earlier schema for subject \"g\", details: [The new schema has field that conflicts with the reserved field f3., {validateFields: 'true', compatibility: 'BACKWARD'}]"}`},
		{"POST", "/subjects/g/versions", body(`{"type":"record","name":"G","fields":[{"name":"f0","type":"string"}]}`, `,"metadata":{"properties":{"major":"2"}}`), 200,
			`{"version":2,"id":4,"guid":"*","metadata":{"properties":{"confluent:reserved":"f3","major":"2"}},"schema":"{\"type\":\"record\",\"name\":\"G\",\"fields\":[{\"name\":\"f0\",\"type\":\"string\"}]}"}`},

		// An alias answers for its subject under /subjects.
		{"PUT", "/config/orders", `{"alias":"orders-value"}`, 200, `{"alias":"orders-value"}`},
		{"GET", "/subjects/orders/versions", ``, 200, `[1,2]`},
		{"GET", "/subjects/orders/versions/latest/schema", ``, 200, `{"type":"record","name":"Order","fields":[{"name":"f0","type":"int"},{"name":"f1","type":"int","default":0}]}`},
		{"POST", "/compatibility/subjects/orders/versions/latest", rec(3), 200, `{"is_compatible":true}`},
		{"GET", "/config/orders?defaultToGlobal=true", ``, 200, `{"compatibilityLevel":"BACKWARD","alias":"orders-value"}`},

		// Rule sets are checked as Confluent checks them.
		{"PUT", "/config/r", `{"defaultRuleSet":{"domainRules":[{"name":"9lives","type":"CEL"}]}}`, 422,
			`{"error_code":42210,"message":"Invalid rule set: rule '9lives': Illegal initial character in rule name: 9lives"}`},
		{"POST", "/subjects/r/versions", body(avroRecord("R", 1), `,"ruleSet":{"migrationRules":[{"name":"up","type":"JSONATA","mode":"WRITE"}]}`), 422,
			`{"error_code":42210,"message":"Invalid rule set: rule 'up': Migration rules can only be UPGRADE, DOWNGRADE, UPDOWN"}`},
		{"PUT", "/config/r", `{"defaultMetadata":"owner"}`, 422,
			`{"error_code":422,"message":"Unprocessable JSON request body: json: cannot unmarshal string into Go struct field configUpdateJSON.defaultMetadata of type schemaregistry.Metadata"}`},
		{"PUT", "/config/r", `{"defaultMetadata":{`, 400, `{"error_code":400,"message":"Malformed JSON request body: unexpected end of JSON input"}`},
		{"PUT", "/config/r", `{"compatibility":""}`, 422,
			`{"error_code":42203,"message":"Invalid compatibility level \"\". Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive"}`},
	})
}

// READONLY and READONLY_OVERRIDE refuse config writes and deletes with 42205, as registrations;
// IMPORT answers 42205 for a version that exists and 42207 for an id another schema holds;
// list endpoints take offset and limit.
func TestRegistryModesAndPagesOverHTTP(t *testing.T) {
	ts := startServer(t)
	ts.mustCall(t, "PUT", "/config", `{"compatibility":"NONE"}`)
	for i, s := range []string{"a", "b", "c"} {
		ts.mustCall(t, "POST", "/subjects/"+s+"/versions", body(avroRecord("Same", 1)))
		ts.mustCall(t, "POST", "/subjects/"+s+"/versions", body(avroRecord(fmt.Sprint("R", i), 1)))
		ts.mustCall(t, "POST", "/subjects/"+s+"/versions", body(avroRecord(fmt.Sprint("R", i), 2)))
	}
	readOnly := func(s string) string {
		return `{"error_code":42205,"message":"Subject ` + s + ` is in read-only mode; set the mode to READWRITE (PUT /mode/` + s + `) to write"}`
	}
	registryReadOnly := `{"error_code":42205,"message":"The registry is in read-only mode; set the global mode to READWRITE (PUT /mode) to write"}`
	ts.run(t, []exchange{
		{"PUT", "/config", `{"compatibility":"BACKWARD"}`, 200, `{"compatibility":"BACKWARD"}`},
		{"PUT", "/config/a", `{"compatibility":"FULL"}`, 200, `{"compatibility":"FULL"}`},
		{"PUT", "/mode/a", `{"mode":"READONLY"}`, 200, `{"mode":"READONLY"}`},
		{"PUT", "/config/a", `{"compatibility":"NONE"}`, 422, readOnly("a")},
		{"DELETE", "/config/a", ``, 422, readOnly("a")},
		{"PUT", "/config/a", ``, 200, `{"compatibility":"FULL"}`},
		{"PUT", "/mode", `{"mode":"READONLY_OVERRIDE"}`, 200, `{"mode":"READONLY_OVERRIDE"}`},
		{"PUT", "/config/b", `{"compatibility":"NONE"}`, 422, readOnly("b")},
		{"PUT", "/config", `{"compatibility":"NONE"}`, 422, registryReadOnly},
		{"DELETE", "/config", ``, 422, registryReadOnly},
		{"DELETE", "/mode", ``, 200, `{"mode":"READONLY_OVERRIDE"}`},
		{"DELETE", "/mode/a", ``, 200, `{"mode":"READONLY"}`},
		{"DELETE", "/config/a", ``, 200, `{"compatibilityLevel":"FULL"}`},

		{"GET", "/subjects?offset=1&limit=1", ``, 200, `["b"]`},
		{"GET", "/subjects?offset=5", ``, 200, `[]`},
		{"GET", "/subjects/a/versions?offset=1", ``, 200, `[2,3]`},
		{"GET", "/subjects/a/versions?offset=1&limit=1", ``, 200, `[2]`},
		{"GET", "/schemas/ids/1/subjects?offset=1&limit=1", ``, 200, `["b"]`},
		{"GET", "/schemas/ids/1/versions?limit=2", ``, 200, `[{"subject":"a","version":1},{"subject":"b","version":1}]`},
		{"GET", "/schemas/ids/1/versions?offset=2&limit=-1", ``, 200, `[{"subject":"c","version":1}]`},
		{"GET", "/schemas?subjectPrefix=c&offset=1&limit=1", ``, 200,
			`[{"subject":"c","version":2,"id":6,"guid":"*","schema":"{\"type\":\"record\",\"name\":\"R2\",\"fields\":[{\"name\":\"f0\",\"type\":\"int\"}]}","ts":"*"}]`},
		{"GET", "/schemas?subjectPrefix=c&latestOnly=true&limit=1", ``, 200,
			`[{"subject":"c","version":3,"id":7,"guid":"*","schema":"{\"type\":\"record\",\"name\":\"R2\",\"fields\":[{\"name\":\"f0\",\"type\":\"int\"},{\"name\":\"f1\",\"type\":\"int\",\"default\":0}]}","ts":"*"}]`},

		{"PUT", "/mode/imp", `{"mode":"IMPORT"}`, 200, `{"mode":"IMPORT"}`},
		{"POST", "/subjects/imp/versions", body(avroRecord("Imp", 1), `,"id":100,"version":1`), 200, `{"version":1,"id":100,"guid":"*","schema":"{\"type\":\"record\",\"name\":\"Imp\",\"fields\":[{\"name\":\"f0\",\"type\":\"int\"}]}"}`},
		{"POST", "/subjects/imp/versions", body(avroRecord("Imp", 2), `,"id":101,"version":1`), 422,
			`{"error_code":42205,"message":"Subject imp already has version 1 (schema id 100); a version cannot be overwritten"}`},
		{"POST", "/subjects/imp/versions", body(avroRecord("Imp", 2), `,"id":100,"version":2`), 422,
			`{"error_code":42207,"message":"Schema id 100 is already used by a different schema; import this schema with another id"}`},
		// The same schema under another id is not an error: Confluent allows it since 7.2.
		{"POST", "/subjects/imp/versions", body(avroRecord("Imp", 1), `,"id":103,"version":2`), 200, `{"version":2,"id":103,"guid":"*","schema":"{\"type\":\"record\",\"name\":\"Imp\",\"fields\":[{\"name\":\"f0\",\"type\":\"int\"}]}"}`},
		{"POST", "/subjects/imp2/versions", body(avroRecord("Imp", 1), `,"id":102,"version":1`), 422,
			`{"error_code":42205,"message":"Subject imp2 is not in import mode: a schema id may only be given in IMPORT mode (PUT /mode/imp2 {\"mode\":\"IMPORT\"})"}`},
	})
}

// The associations API answers as Confluent's AssociationsResource: what a client sets, what
// confluent-kafka-go asks before it serializes, and the errors.
func TestRegistryAssociationsOverHTTP(t *testing.T) {
	ts := startServer(t)
	ts.mustCall(t, "POST", "/subjects/orders-contract/versions", body(avroRecord("Order", 1)))
	order := `{"type":"record","name":"Order","fields":[{"name":"f0","type":"int"}]}`
	ordersAssoc := `{"subject":"orders-contract","guid":"*","resourceName":"orders","resourceNamespace":"lkc-1","resourceId":"t-1","resourceType":"topic","associationType":"value","lifecycle":"WEAK","frozen":false,"createTs":"*","updateTs":"*"}`
	ts.run(t, []exchange{
		// Before anything is associated: an empty list, on which clients fall back to <topic>-value.
		{"GET", "/associations/resources/-/orders?resourceType=topic&associationType=value", ``, 200, `[]`},
		{"POST", "/associations", `{"resourceName":"orders","resourceNamespace":"lkc-1","resourceId":"t-1","associations":[{"subject":"orders-contract"}]}`, 200,
			`{"resourceName":"orders","resourceNamespace":"lkc-1","resourceId":"t-1","resourceType":"topic","associations":[{"subject":"orders-contract","associationType":"value","lifecycle":"WEAK","frozen":false}]}`},
		{"GET", "/associations/resources/-/orders?resourceType=topic&associationType=value", ``, 200, `[` + ordersAssoc + `]`},
		{"GET", "/associations/resources/lkc-1/orders", ``, 200, `[` + ordersAssoc + `]`},
		{"GET", "/associations/resources/lkc-2/orders", ``, 200, `[]`},
		{"GET", "/associations/resources/-/orders?associationType=key", ``, 200, `[]`},
		{"GET", "/associations/resources/t-1", ``, 200, `[` + ordersAssoc + `]`},
		{"GET", "/associations/subjects/orders-contract?lifecycle=WEAK", ``, 200, `[` + ordersAssoc + `]`},
		{"GET", "/associations/subjects/orders-contract?offset=1", ``, 200, `[]`},
		{"POST", "/associations", `{"resourceName":"orders","resourceNamespace":"lkc-1","resourceId":"t-1","associations":[{"subject":"orders-contract","associationType":"value"}]}`, 200,
			`{"resourceName":"orders","resourceNamespace":"lkc-1","resourceId":"t-1","resourceType":"topic","associations":[{"subject":"orders-contract","associationType":"value","lifecycle":"WEAK","frozen":false}]}`},
		{"POST", "/associations", `{"resourceName":"orders","resourceNamespace":"lkc-1","resourceId":"t-1","associations":[{"subject":"elsewhere"}]}`, 409,
			`{"error_code":40903,"message":"An association of type 'value' already exists for resource 'orders'"}`},

		// A STRONG association registers its schema under the topic's own subject.
		{"POST", "/associations", `{"resourceName":"payments","resourceNamespace":"lkc-1","resourceId":"t-2","associations":[{"schema":{"schema":` + jsonString(order) + `}}]}`, 200,
			`{"resourceName":"payments","resourceNamespace":"lkc-1","resourceId":"t-2","resourceType":"topic","associations":[{"subject":":.lkc-1:payments-value","associationType":"value","lifecycle":"STRONG","frozen":true,` +
				`"schema":{"subject":":.lkc-1:payments-value","version":1,"id":1,"guid":"*","schema":` + jsonString(order) + `,"ts":"*"}}]}`},
		{"PUT", "/associations/resources/t-2", `{"resourceName":"payments","resourceNamespace":"lkc-1","associations":[{"lifecycle":"WEAK"}]}`, 422,
			`{"error_code":42212,"message":"The association specified an invalid value for property: 'subject', detail: WEAK associations cannot use subject ':.lkc-1:payments-value'"}`},
		{"PUT", "/associations/resources/t-9", `{"resourceName":"payments","resourceNamespace":"lkc-1","resourceId":"t-2","associations":[{"subject":"x"}]}`, 422,
			`{"error_code":42212,"message":"The association specified an invalid value for property: 'resourceId', detail: Resource ID in the path parameter does not match the resource ID in the request body"}`},
		{"DELETE", "/associations/resources/t-2", ``, 409, `{"error_code":40908,"message":"The association of type  'value' is frozen for subject ':.lkc-1:payments-value'"}`},
		{"DELETE", "/associations/resources/t-2?cascadeLifecycle=true", ``, 204, ``},
		{"GET", "/subjects/:.lkc-1:payments-value/versions", ``, 404, `{"error_code":40401,"message":"Subject ':.lkc-1:payments-value' not found."}`},
		{"DELETE", "/associations/resources/t-2", ``, 404, `{"error_code":40410,"message":"Association for 't-2' not found."}`},

		// Hostile and malformed requests.
		{"POST", "/associations", `{"resourceName":"shop.orders","resourceNamespace":"lkc-1","resourceId":"t-3","associations":[{"subject":"orders-contract"}]}`, 422,
			`{"error_code":42212,"message":"The association specified an invalid value for property: 'resourceName', detail: illegal character '.'"}`},
		{"POST", "/associations", `{"resourceName":"` + strings.Repeat("o", 257) + `","resourceNamespace":"lkc-1","resourceId":"t-3","associations":[{"subject":"orders-contract"}]}`, 422,
			`{"error_code":42212,"message":"The association specified an invalid value for property: 'resourceName', detail: exceeds max length of 256"}`},
		{"POST", "/associations", `{"resourceName":"o","resourceNamespace":"lkc-1","resourceId":"t-3","associations":[{"subject":"a\u0001b"}]}`, 422,
			`{"error_code":42212,"message":"The association specified an invalid value for property: 'subject', detail: must not be empty"}`},
		{"POST", "/associations", `{"resourceName":"o","resourceNamespace":"lkc-1","resourceId":"t-3","associations":[{"subject":"never-registered"}]}`, 409,
			`{"error_code":40907,"message":"No active (non-deleted) version exists for subject 'never-registered'"}`},
		{"POST", "/associations", `{"resourceName":"o","associations":[`, 400, `{"error_code":400,"message":"Malformed JSON request body: unexpected end of JSON input"}`},
		{"POST", "/associations", `{"resourceName":1}`, 422,
			`{"error_code":422,"message":"Unprocessable JSON request body: json: cannot unmarshal number into Go struct field associationRequestJSON.resourceName of type string"}`},
		{"POST", "/associations", ``, 422, `{"error_code":422,"message":"The request body is empty; send a JSON object"}`},
		{"GET", "/associations/resources/-/%ff", ``, 200, `[]`},
	})
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
