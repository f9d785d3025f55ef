package avro

import (
	"fmt"
	"strings"
	"testing"
)

// recordWith is a record of n fields of varied types, the later ones with defaults so that each
// version can read the ones before it.
func recordWith(n int) string {
	types := []string{`"int"`, `"string"`, `["null","long"]`, `{"type":"array","items":"double"}`,
		`{"type":"map","values":"string"}`}
	defaults := []string{`0`, `""`, `null`, `[]`, `{}`}
	var b strings.Builder
	b.WriteString(`{"type":"record","name":"Event","namespace":"com.acme","fields":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"name":"f%d","type":%s`, i, types[i%len(types)])
		if i >= 1 {
			fmt.Fprintf(&b, `,"default":%s`, defaults[i%len(defaults)])
		}
		b.WriteByte('}')
	}
	b.WriteString(`]}`)
	return b.String()
}

func BenchmarkParse(b *testing.B) {
	text := recordWith(100)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (Format{}).Parse(text, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBackwardIncompatibilities(b *testing.B) {
	newer, older := mustParse(b, recordWith(100)), mustParse(b, recordWith(99))
	b.ReportAllocs()
	for b.Loop() {
		if d := newer.BackwardIncompatibilities(older); len(d) != 0 {
			b.Fatal(d)
		}
	}
}

// BenchmarkTransitive100 is a BACKWARD_TRANSITIVE check: one new version against 100 stored
// versions of a record that grew from 1 to 100 fields.
func BenchmarkTransitive100(b *testing.B) {
	var stored []*Schema
	for n := 1; n <= 100; n++ {
		stored = append(stored, mustParse(b, recordWith(n)))
	}
	newer := mustParse(b, recordWith(100))
	b.ReportAllocs()
	for b.Loop() {
		for _, old := range stored {
			if d := newer.BackwardIncompatibilities(old); len(d) != 0 {
				b.Fatal(d)
			}
		}
	}
}
