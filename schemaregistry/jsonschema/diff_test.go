package jsonschema

import "testing"

func TestDiffTooComplexIsIncompatible(t *testing.T) {
	s, err := Parse(`{"type": "string"}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	changes := compareBounded(Strict, s.root, s.root, 0)
	if len(changes) != 1 || changes[0].Type != tooComplex || Strict.Compatible(tooComplex) || Lenient.Compatible(tooComplex) {
		t.Errorf("changes = %v, want one incompatible %s", changes, tooComplex)
	}
}
