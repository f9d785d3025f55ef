// Package asyncapitest checks documents against the official AsyncAPI 3.0 JSON Schema, for the
// tests of the catalog's export and of the demo. Only tests import it, so the schema it embeds
// stays out of the eventlens binary.
package asyncapitest

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// schemaJSON is asyncapi-3.0.0-schema.json: see README.md beside it for its source and license.
//
//go:embed asyncapi-3.0.0-schema.json
var schemaJSON []byte

var compiled = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	const url = "https://eventlens.invalid/asyncapi-3.0.0.json" // never fetched: the schema is added here
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	return c.Compile(url)
})

// Validate fails the test when doc, YAML or JSON, is not a valid AsyncAPI 3.0 document.
func Validate(t testing.TB, name string, doc []byte) {
	t.Helper()
	if err := Check(doc); err != nil {
		t.Errorf("%s does not validate against AsyncAPI 3.0:\n%v\n%s", name, err, doc)
	}
}

// Check validates doc, YAML or JSON, against the AsyncAPI 3.0 schema.
func Check(doc []byte) error {
	schema, err := compiled()
	if err != nil {
		return err
	}
	var v any
	if err := yaml.Unmarshal(doc, &v); err != nil {
		return err
	}
	js, err := json.Marshal(v)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		return err
	}
	return schema.Validate(inst)
}
