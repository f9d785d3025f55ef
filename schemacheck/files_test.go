package schemacheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFiles creates files (path → content) under a new temp dir and returns the dir.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCollectByFileName(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"orders-value.avsc":        `{"type":"string"}`,
		"nested/payments-key.json": `{"type":"string"}`,
		"shipping-value.proto":     `syntax = "proto3"; message S {}`,
		"README.md":                "not a schema",
	})
	files, err := Collect([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, f.Subject+"="+f.SchemaType)
	}
	want := "orders-value=AVRO payments-key=JSON shipping-value=PROTOBUF"
	if strings.Join(got, " ") != want {
		t.Fatalf("got %v, want %s", got, want)
	}
}

func TestCollectManifest(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"eventlens.yaml": `schemas:
  - subject: orders
    file: avro/order.avsc
    level: FULL
  - subject: customer
    file: customer.schema
    schemaType: json
    references:
      - {name: address.json, subject: address, version: 2}
`,
		"avro/order.avsc": `{"type":"string"}`,
		"customer.schema": `{"type":"object"}`,
		"ignored.avsc":    `{"type":"int"}`,
	})
	files, err := Collect([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 {
		t.Fatalf("want the 2 manifest entries only, got %+v", files)
	}
	c, o := files[0], files[1] // sorted by subject
	if c.Subject != "customer" || c.SchemaType != "JSON" || len(c.References) != 1 || c.References[0].Version != 2 || c.Text != `{"type":"object"}` {
		t.Errorf("customer entry: %+v", c)
	}
	if o.Subject != "orders" || o.SchemaType != "AVRO" || o.Level != "FULL" || o.Path != filepath.Join(dir, "avro/order.avsc") {
		t.Errorf("orders entry: %+v", o)
	}
}

func TestCollectErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		arg   string // relative to the temp dir
		want  string
	}{
		{"missing path", nil, "nope.avsc", "no such file"},
		{"unknown extension", map[string]string{"a.xsd": "<x/>"}, "a.xsd", `extension ".xsd"`},
		{"empty file", map[string]string{"a.avsc": "  \n"}, "a.avsc", "empty schema file"},
		{"manifest not YAML", map[string]string{"eventlens.yaml": "schemas: [unclosed"}, ".", "eventlens.yaml"},
		{"manifest unknown field", map[string]string{"eventlens.yaml": "schemas:\n  - {subject: a, file: a.avsc, colour: red}\n", "a.avsc": "{}"}, ".", "colour"},
		{"manifest empty", map[string]string{"eventlens.yaml": "schemas: []\n"}, ".", "no schemas listed"},
		{"manifest entry without subject", map[string]string{"eventlens.yaml": "schemas:\n  - {file: a.avsc}\n", "a.avsc": "{}"}, ".", "schemas[0]: no subject"},
		{"manifest bad type", map[string]string{"eventlens.yaml": "schemas:\n  - {subject: a, file: a.txt, schemaType: XML}\n", "a.txt": "{}"}, ".", `schemaType "XML"`},
		{"manifest file missing", map[string]string{"eventlens.yaml": "schemas:\n  - {subject: a, file: gone.avsc}\n"}, ".", "gone.avsc"},
		{"two files one subject", map[string]string{"x/a.avsc": "{}", "y/a.avsc": "{}"}, ".", "subject a comes from both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, tt.files)
			_, err := Collect([]string{filepath.Join(dir, tt.arg)})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got error %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}
