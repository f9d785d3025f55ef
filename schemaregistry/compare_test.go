package schemaregistry

import (
	"slices"
	"testing"
)

// TestCompareChangesAtTheLevel checks that every format lists each change by field, and marks
// it breaking exactly in the directions the subject's level checks.
func TestCompareChangesAtTheLevel(t *testing.T) {
	r := newRegistry(t)
	register := func(subject, schemaType string, schemas ...string) {
		t.Helper()
		if _, err := r.SetConfig(ctx, subject, ConfigUpdate{Compatibility: Set(None)}); err != nil {
			t.Fatal(err)
		}
		for _, s := range schemas {
			if _, err := r.Register(ctx, subject, NewSchema{Schema: s, SchemaType: schemaType}, RegisterOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Avro: a promotion (breaks forward), a field without a default (breaks backward), a doc.
	register("avro", "AVRO", `{"type":"record","name":"R","fields":[{"name":"n","type":"int"}]}`,
		`{"type":"record","name":"R","doc":"An R","fields":[{"name":"n","type":"long"},{"name":"m","type":"string"}]}`)
	// JSON Schema: a closed content model gains an optional property (breaks forward only).
	register("json", "JSON", `{"type":"object","properties":{"id":{"type":"string"}},"additionalProperties":false}`,
		`{"type":"object","properties":{"id":{"type":"string"},"email":{"type":"string"}},"additionalProperties":false}`)
	// Protobuf: a field's scalar kind changes (breaks both ways), one is added (breaks neither).
	register("proto", "PROTOBUF", `syntax = "proto3"; message M { string id = 1; }`,
		`syntax = "proto3"; message M { int64 id = 1; string note = 2; }`)

	tests := []struct {
		subject, level string
		want           []string // type, field, then the direction it breaks or "ok"
	}{
		{"avro", None, []string{"DOC_CHANGED R ok", "TYPE_CHANGED R.n ok", "FIELD_ADDED R.m ok"}},
		{"avro", Backward, []string{"DOC_CHANGED R ok", "TYPE_CHANGED R.n ok", "FIELD_ADDED R.m BACKWARD"}},
		{"avro", ForwardTransitive, []string{"DOC_CHANGED R ok", "TYPE_CHANGED R.n FORWARD", "FIELD_ADDED R.m ok"}},
		{"avro", Full, []string{"DOC_CHANGED R ok", "TYPE_CHANGED R.n FORWARD", "FIELD_ADDED R.m BACKWARD"}},
		{"json", Backward, []string{"OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL email ok"}},
		{"json", Forward, []string{"OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL email FORWARD"}},
		{"proto", Full, []string{"FIELD_SCALAR_KIND_CHANGED M.id (1) FULL", "FIELD_ADDED M.note (2) ok"}},
	}
	for _, tt := range tests {
		t.Run(tt.subject+" "+tt.level, func(t *testing.T) {
			if _, err := r.SetConfig(ctx, tt.subject, ConfigUpdate{Compatibility: Set(tt.level)}); err != nil {
				t.Fatal(err)
			}
			c, err := r.Compare(ctx, tt.subject, 1, 2)
			if err != nil {
				t.Fatal(err)
			}
			if !c.Complete {
				t.Errorf("the list of changes is not complete")
			}
			var got []string
			breaks := false
			for _, ch := range c.Changes {
				how := ch.Direction
				if ch.Compatible {
					how = "ok"
				}
				breaks = breaks || !ch.Compatible
				got = append(got, ch.Type+" "+ch.Field+" "+how)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			if breaks != (len(c.Incompatible) > 0) {
				t.Errorf("a change breaks: %v, but the verdict lists %d incompatibilities", breaks, len(c.Incompatible))
			}
		})
	}
}
