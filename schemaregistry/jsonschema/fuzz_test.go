package jsonschema

import (
	"fmt"
	"strings"
	"testing"
)

// FuzzParseAndDiff feeds pairs of schema texts through parsing, the diff under both policies
// and the canonical forms. Seeds are every pair of Confluent's corpora, so they run as ordinary
// tests.
func FuzzParseAndDiff(f *testing.F) {
	for _, file := range []string{"diff-schema-examples.json", "diff-schema-examples-2020-12.json"} {
		for _, c := range readCases(f, file) {
			f.Add(string(c.OriginalSchema), string(c.UpdateSchema))
		}
	}
	recursive := string(readCorpus(f, "recursive-schema.json"))
	f.Add(recursive, recursive)
	f.Fuzz(func(t *testing.T, a, b string) {
		original, errA := Parse(a, nil)
		update, errB := Parse(b, nil)
		if errA != nil || errB != nil {
			return
		}
		for _, p := range []Policy{Strict, Lenient} {
			for _, c := range Diff(original, update, p) {
				if !strings.HasPrefix(c.Path, "#/") || c.Type == "" {
					t.Fatalf("malformed change %v", c)
				}
			}
		}
		if bad := original.BackwardIncompatibilities(original); len(bad) != 0 {
			t.Fatalf("schema is incompatible with itself: %v", bad)
		}
		again, err := Parse(original.Canonical(), nil)
		if err != nil {
			t.Fatalf("canonical text does not parse: %v", err)
		}
		if again.Canonical() != original.Canonical() || again.Normalized() != original.Normalized() {
			t.Fatalf("canonical form is not stable:\n%s\n%s", original.Canonical(), again.Canonical())
		}
	})
}

func BenchmarkDiff(b *testing.B) {
	largest := func(file string) (string, string) {
		var best diffCase
		for _, c := range readCases(b, file) {
			if len(c.OriginalSchema)+len(c.UpdateSchema) > len(best.OriginalSchema)+len(best.UpdateSchema) {
				best = c
			}
		}
		return string(best.OriginalSchema), string(best.UpdateSchema)
	}
	recursive := string(readCorpus(b, "recursive-schema.json"))
	pairs := []struct{ name, a, b string }{
		{"recursive", recursive, recursive},
		{"500 properties", wideSchema(500, "string"), wideSchema(500, "integer")},
	}
	for _, file := range []string{"diff-schema-examples.json", "diff-schema-examples-2020-12.json"} {
		a, c := largest(file)
		pairs = append(pairs, struct{ name, a, b string }{"largest " + file, a, c})
	}
	for _, p := range pairs {
		original, err := Parse(p.a, nil)
		if err != nil {
			b.Fatal(err)
		}
		update, err := Parse(p.b, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				Diff(original, update, Strict)
			}
		})
	}
	b.Run("parse 500 properties", func(b *testing.B) {
		text := wideSchema(500, "string")
		for b.Loop() {
			if _, err := Parse(text, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// wideSchema is an object of n properties, each an object with a few constrained fields.
func wideSchema(n int, leaf string) string {
	var sb strings.Builder
	sb.WriteString(`{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "required": ["p0"], "properties": {`)
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `"p%d": {"type": "object", "additionalProperties": false, "properties": {"id": {"type": %q}, "tags": {"type": "array", "items": {"type": "string", "maxLength": 20}}, "kind": {"enum": ["a", "b", "c"]}}}`, i, leaf)
	}
	sb.WriteString(`}}`)
	return sb.String()
}
