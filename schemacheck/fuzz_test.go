package schemacheck

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzManifest feeds arbitrary eventlens.yaml files to Collect: it must return files or an
// error, never panic or hang.
func FuzzManifest(f *testing.F) {
	f.Add("schemas:\n  - {subject: a, file: a.avsc}\n")
	f.Add("schemas:\n  - subject: b\n    file: b.json\n    schemaType: json\n    references: [{name: x, subject: y, version: 1}]\n")
	f.Add("schemas: &a [*a]\n")
	f.Add("schemas:\n  - {subject: a, file: ../../etc/passwd}\n")
	f.Add("{")
	f.Fuzz(func(t *testing.T, manifest string) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "a.avsc"), []byte(`"string"`), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, ManifestName), []byte(manifest), 0o644); err != nil {
			t.Fatal(err)
		}
		files, err := Collect([]string{dir})
		if err == nil && len(files) == 0 {
			t.Fatal("a manifest with no schemas was accepted")
		}
	})
}

// FuzzLineOf feeds arbitrary schema texts and paths to the line finder.
func FuzzLineOf(f *testing.F) {
	f.Add("AVRO", `{"fields":[{"name":"a","type":"int"}]}`, "/fields/0/type")
	f.Add("JSON", `{"properties":{"a~b/c":{}}}`, "#/properties/a~0b~1c")
	f.Add("PROTOBUF", "message M {\n  int32 a = 1;\n}\n", "#/M/1")
	f.Add("PROTOBUF", "message M {", "#/M/oneof/")
	f.Fuzz(func(t *testing.T, schemaType, text, path string) {
		if line := lineOf(schemaType, text, path); line < 0 {
			t.Fatalf("negative line %d", line)
		}
	})
}
