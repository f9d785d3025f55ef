package avro

import (
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/hamba/avro/v2"

	"github.com/eventlens/eventlens/schemaregistry/format"
	"github.com/eventlens/eventlens/schemaregistry/javajson"
)

// maxDepth bounds the nesting of a schema's JSON. Real schemas stay far below it; hostile ones
// must not exhaust the stack of the recursive steps that follow (our model, hamba's parser).
const maxDepth = 64

// avroJSON prints JSON as Java Avro's Jackson does: it reads numbers with a fraction or an
// exponent as doubles.
var avroJSON = javajson.Options{Decimals: javajson.Doubles}

// Format is the Avro schema format.
type Format struct{}

var _ format.Format = Format{}

// Type is the registry's name for Avro.
func (Format) Type() string { return "AVRO" }

// Parse reads an Avro schema whose named types may come from refs, which are parsed first, in
// order, each able to use the ones before it (as Confluent resolves them). We read the text with
// Java Avro's rules, which the canonical text and the compatibility check need; hamba/avro then
// validates names, defaults and logical types on the canonical text, where the forms Java accepts
// and hamba does not (order "DESCENDING", a float default written as a string) are already gone.
func (Format) Parse(text string, refs []format.Reference) (format.Schema, error) {
	b := builder{names: map[string]*node{}}
	cache := &avro.SchemaCache{}
	known := make([]string, 0, len(refs))
	for _, ref := range refs {
		n, err := b.parse(ref.Schema)
		if err != nil {
			return nil, fmt.Errorf("%w: reference %q (subject %q version %d): %v",
				format.ErrInvalidSchema, ref.Name, ref.Subject, ref.Version, err)
		}
		if _, err := avro.ParseWithCache(canonical(n, known), "", cache); err != nil {
			return nil, fmt.Errorf("%w: reference %q (subject %q version %d): %v",
				format.ErrInvalidSchema, ref.Name, ref.Subject, ref.Version, err)
		}
		if n.named() {
			known = append(known, n.fullName())
		}
	}
	root, err := b.parse(text)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", format.ErrInvalidSchema, err)
	}
	text = canonical(root, known)
	validated, err := avro.ParseWithCache(text, "", cache)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", format.ErrInvalidSchema, err)
	}
	return &Schema{root: root, hamba: validated, canonical: text, known: known, refs: refs}, nil
}

func (b *builder) parse(text string) (*node, error) {
	v, err := javajson.Parse(text, maxDepth)
	if err != nil {
		return nil, fmt.Errorf("malformed JSON: %v", err)
	}
	return b.build(v, "")
}

// normalized is Confluent's normalize=true text: the normalized form read again, with the same
// references, and written canonically.
func normalized(root *node, known []string, refs []format.Reference) string {
	w := normalizer{known: map[string]bool{}}
	for _, k := range known {
		w.known[k] = true
	}
	w.schema(root)
	b := builder{names: map[string]*node{}}
	for _, ref := range refs {
		if _, err := b.parse(ref.Schema); err != nil {
			return canonical(root, known)
		}
	}
	n, err := b.parse(w.b.String())
	if err != nil {
		// Confluent fails here on rare schemas (a nested type in the null namespace inside a
		// named one); keeping the canonical text is the useful answer.
		return canonical(root, known)
	}
	return canonical(n, known)
}

// Schema is a parsed Avro schema. It is immutable and safe for concurrent use.
type Schema struct {
	root      *node
	hamba     avro.Schema
	canonical string
	known     []string // full names of the referenced types
	refs      []format.Reference

	normalizeOnce sync.Once // few schemas are ever normalized
	normalized    string
}

// Canonical is Java Avro's Schema.toString() with the referenced types written by name, the text
// Confluent stores and hashes to find an existing schema.
func (s *Schema) Canonical() string { return s.canonical }

// Normalized is the canonical text of Confluent's normalized schema (register with normalize=true).
func (s *Schema) Normalized() string {
	s.normalizeOnce.Do(func() { s.normalized = normalized(s.root, s.known, s.refs) })
	return s.normalized
}

// BackwardIncompatibilities lists every reason why data written with previous cannot be read with
// s, in Java Avro's order, each with Confluent's message for a backward check (s is "new").
func (s *Schema) BackwardIncompatibilities(previous format.Schema) []format.Difference {
	prev, ok := previous.(*Schema)
	if !ok {
		return []format.Difference{{Path: "/", OldPath: "/", NewPath: "/", Message: "Incompatible because of different schema type"}}
	}
	var c checker
	diffs := c.compare(s.root, prev.root)
	if c.err != nil {
		return []format.Difference{{Path: "/", OldPath: "/", NewPath: "/",
			Message: "Unexpected exception during compatibility check: " + c.err.Error()}}
	}
	return diffs
}

// ParsingCanonicalForm is the Avro specification's Parsing Canonical Form of s.
func ParsingCanonicalForm(s *Schema) string { return s.hamba.String() }

// Fingerprint64 is the CRC-64-AVRO fingerprint of s's Parsing Canonical Form.
func Fingerprint64(s *Schema) uint64 {
	fp, err := s.hamba.FingerprintUsing(avro.CRC64Avro)
	if err != nil {
		panic(err) // hamba fails only for unknown fingerprint types
	}
	return binary.BigEndian.Uint64(fp)
}

// HasTopLevelField reports whether s is a record with a field named name, as Confluent's
// AvroSchema.hasTopLevelField.
func (s *Schema) HasTopLevelField(name string) bool {
	return (s.root.typ == "record" || s.root.typ == "error") && s.root.fieldIndex[name] != nil
}
