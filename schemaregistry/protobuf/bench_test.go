package protobuf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchPair is the corpus' largest pair of .proto files, NestedTestProto and its variant
// without a map, or skips when the corpus is absent.
func benchPair(b *testing.B) (string, string) {
	dir := filepath.Join(corpusDir, "io/confluent/kafka/schemaregistry/protobuf/diff")
	o, err := os.ReadFile(filepath.Join(dir, "NestedTestProto.proto"))
	if err != nil {
		b.Skipf("corpus not available: %v", err)
	}
	u, err := os.ReadFile(filepath.Join(dir, "NestedNoMapTestProto.proto"))
	if err != nil {
		b.Skipf("corpus not available: %v", err)
	}
	return string(o), string(u)
}

// descriptorProto is google/protobuf/descriptor.proto (55 KB), a large real schema.
func descriptorProto(b *testing.B) string {
	src, err := builtinSource("google/protobuf/descriptor.proto")
	if err != nil {
		b.Fatal(err)
	}
	return src
}

func BenchmarkParseCorpusLargest(b *testing.B) {
	o, _ := benchPair(b)
	b.SetBytes(int64(len(o)))
	for b.Loop() {
		if _, err := Parse(o, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseDescriptorProto(b *testing.B) {
	src := descriptorProto(b)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := Parse(src, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDiffCorpusLargest(b *testing.B) {
	o, u := benchPair(b)
	so, err := Parse(o, nil)
	if err != nil {
		b.Fatal(err)
	}
	su, err := Parse(u, nil)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		Diff(so, su)
	}
}

func BenchmarkDiffDescriptorProto(b *testing.B) {
	src := descriptorProto(b)
	so, err := Parse(src, nil)
	if err != nil {
		b.Fatal(err)
	}
	// The update renumbers one field and drops a message, so the diff has work to report.
	upd := strings.Replace(src, "optional string name = 1;", "optional bytes name = 100;", 1)
	upd = strings.Replace(upd, "message SourceCodeInfo {", "message SourceCodeInfoRenamed {", 1)
	upd = strings.ReplaceAll(upd, "optional SourceCodeInfo source_code_info", "optional SourceCodeInfoRenamed source_code_info")
	su, err := Parse(upd, nil)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		Diff(so, su)
	}
}
