package schemaregistry

import (
	"context"
	"slices"
	"testing"
)

// TestVerdictsAreRemembered: a check asked again is answered from the verdict cache with what
// the diff found the first time, for each level and policy on its own; a schema with references
// is diffed every time.
func TestVerdictsAreRemembered(t *testing.T) {
	ctx := context.Background()
	r := newRegistry(t)
	mustRegister := func(subject, schema string, refs ...Reference) {
		t.Helper()
		if _, err := r.Register(ctx, subject, NewSchema{Schema: schema, References: refs}, RegisterOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	mustRegister("s", record("R", 2))
	breaking := NewSchema{Schema: `{"type":"record","name":"R","fields":[{"name":"f0","type":"int"},{"name":"new","type":"string"}]}`}
	compatible := NewSchema{Schema: record("R", 3)}
	var first [][]string
	for round := range 2 {
		for i, in := range []NewSchema{breaking, compatible, breaking} {
			if i == 2 {
				if _, err := r.SetConfig(ctx, "s", ConfigUpdate{Compatibility: Set(Forward)}); err != nil {
					t.Fatal(err)
				}
			}
			msgs, err := r.CheckCompatibility(ctx, "s", Latest, false, in, CheckOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if round == 0 {
				first = append(first, msgs)
			} else if !slices.Equal(msgs, first[i]) {
				t.Errorf("check %d asked again: %q, first %q", i, msgs, first[i])
			}
			if i == 2 {
				if _, err := r.DeleteConfig(ctx, "s"); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if len(first[0]) == 0 || len(first[1]) != 0 {
		t.Fatalf("verdicts %q: want the first breaking, the second compatible", first)
	}
	if n := len(r.verdicts.entries); n != 3 {
		t.Errorf("%d verdicts kept, want 3 (two schemas at BACKWARD, one at FORWARD)", n)
	}
	mustRegister("t", `{"type":"record","name":"T","fields":[]}`)
	withRef := NewSchema{Schema: `{"type":"record","name":"U","fields":[{"name":"t","type":"T"}]}`, References: []Reference{{Name: "T", Subject: "t", Version: 1}}}
	if _, err := r.CheckCompatibility(ctx, "s", Latest, false, withRef, CheckOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := len(r.verdicts.entries); n != 3 {
		t.Errorf("a schema with references was kept: %d verdicts", n)
	}
}
