package schemaregistry

import (
	"slices"
	"testing"

	"github.com/eventlens/eventlens/schemaregistry/format"
)

// TestIncompatibilitiesOldAndNewTypes checks that a FORWARD difference, found by reading the new
// schema with the old one, names the old and new types the right way round.
func TestIncompatibilitiesOldAndNewTypes(t *testing.T) {
	payment := func(fields string) string {
		return `{"type":"record","name":"Payment","fields":[` + fields + `]}`
	}
	tests := []struct {
		name, level, old, next string
		want                   []string // type, field, old type → new type
	}{
		{"type change, backward", Backward, payment(`{"name":"id","type":"string"}`), payment(`{"name":"id","type":"long"}`),
			[]string{"TYPE_MISMATCH Payment.id string → long"}},
		{"type change, forward", Forward, payment(`{"name":"id","type":"string"}`), payment(`{"name":"id","type":"long"}`),
			[]string{"TYPE_MISMATCH Payment.id string → long"}},
		{"field removed, forward", Forward, payment(`{"name":"id","type":"string"},{"name":"note","type":"string"}`),
			payment(`{"name":"id","type":"string"}`),
			[]string{"READER_FIELD_MISSING_DEFAULT_VALUE Payment.note string → "}},
		{"field removed, backward", Backward, payment(`{"name":"id","type":"string"},{"name":"note","type":"string"}`),
			payment(`{"name":"id","type":"string"}`), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parse := func(text string) format.Schema {
				s, err := Formats()["AVRO"].Parse(text, nil)
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			diffs, _ := Incompatibilities(tt.level, parse(tt.next), []format.Schema{parse(tt.old)})
			var got []string
			for _, d := range diffs {
				got = append(got, d.Type+" "+d.Field+" "+d.OldType+" → "+d.NewType)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}
