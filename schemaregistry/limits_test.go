package schemaregistry

import (
	"fmt"
	"strings"
	"testing"

	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/storage/storagetest"
)

// chained registers subjects t0 … tn-1 where ti's record has a field of ti-1's type, referenced
// by subject and version: references nest n-1 levels deep.
func chained(t *testing.T, r *Registry, n int) {
	t.Helper()
	for i := range n {
		schema := fmt.Sprintf(`{"type":"record","name":"T%d","namespace":"ex","fields":[{"name":"f","type":"int"}]}`, i)
		var refs []Reference
		if i > 0 {
			schema = fmt.Sprintf(`{"type":"record","name":"T%d","namespace":"ex","fields":[{"name":"f","type":"ex.T%d"}]}`, i, i-1)
			refs = []Reference{{Name: fmt.Sprintf("ex.T%d", i-1), Subject: fmt.Sprintf("t%d", i-1), Version: 1}}
		}
		if _, err := r.Register(ctx, fmt.Sprintf("t%d", i), NewSchema{Schema: schema, References: refs}, RegisterOptions{}); err != nil {
			t.Fatalf("register t%d: %v", i, err)
		}
	}
}

func TestReferenceDepthLimit(t *testing.T) {
	r := newRegistry(t)
	r.SetLimits(Limits{MaxReferenceDepth: 3})
	chained(t, r, 4) // t3 → t2 → t1 → t0: three levels
	top := `{"type":"record","name":"Top","namespace":"ex","fields":[{"name":"f","type":"ex.T3"}]}`
	_, err := r.Register(ctx, "top", NewSchema{Schema: top, References: []Reference{{Name: "ex.T3", Subject: "t3", Version: 1}}}, RegisterOptions{})
	wantCode(t, err, CodeInvalidSchema)
	if !strings.Contains(err.Error(), "deeper than 3 levels") {
		t.Fatalf("error does not name the limit: %v", err)
	}
}

func TestReferenceCountLimit(t *testing.T) {
	r := newRegistry(t)
	r.SetLimits(Limits{MaxReferences: 2})
	chained(t, r, 3) // t2 reaches t1 and t0: two schemas
	// Three direct references.
	var refs []Reference
	var fields []string
	for i := range 3 {
		refs = append(refs, Reference{Name: fmt.Sprintf("ex.T%d", i), Subject: fmt.Sprintf("t%d", i), Version: 1})
		fields = append(fields, fmt.Sprintf(`{"name":"f%d","type":"ex.T%d"}`, i, i))
	}
	many := `{"type":"record","name":"Many","namespace":"ex","fields":[` + strings.Join(fields, ",") + `]}`
	_, err := r.Register(ctx, "many", NewSchema{Schema: many, References: refs}, RegisterOptions{})
	wantCode(t, err, CodeInvalidSchema)
	// One direct reference that reaches three schemas.
	r2 := newRegistry(t)
	r2.SetLimits(Limits{MaxReferences: 2})
	chained(t, r2, 3)
	top := `{"type":"record","name":"Top","namespace":"ex","fields":[{"name":"f","type":"ex.T2"}]}`
	_, err = r2.Register(ctx, "top", NewSchema{Schema: top, References: []Reference{{Name: "ex.T2", Subject: "t2", Version: 1}}}, RegisterOptions{})
	wantCode(t, err, CodeInvalidSchema)
	if !strings.Contains(err.Error(), "more than 2 schemas") {
		t.Fatalf("error does not name the limit: %v", err)
	}
}

// TestReferenceCycleRefused: registration cannot make a cycle (a reference names an existing
// version), so one is made by editing the store; resolving it is refused, not looped.
func TestReferenceCycleRefused(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		r := New(db, Formats())
		chained(t, r, 2) // t1 → t0
		storagetest.Exec(t, db, `UPDATE sr_schemas SET refs = '[{"name":"ex.T1","subject":"t1","version":1}]' WHERE id = 1`)
		fresh := New(db, r.formats) // without the cached schemas
		top := `{"type":"record","name":"Top","namespace":"ex","fields":[{"name":"f","type":"ex.T1"}]}`
		_, err := fresh.Register(ctx, "top", NewSchema{Schema: top, References: []Reference{{Name: "ex.T1", Subject: "t1", Version: 1}}}, RegisterOptions{})
		wantCode(t, err, CodeInvalidSchema)
		if !strings.Contains(err.Error(), "cycle") {
			t.Fatalf("error does not name the cycle: %v", err)
		}
	})
}

func TestSchemaSizeAndNestingLimits(t *testing.T) {
	r := newRegistry(t)
	r.SetLimits(Limits{MaxSchemaBytes: 200, MaxNesting: 4})
	record := `{"type":"record","name":"R","fields":[{"name":"a","type":"string"}]}` // 3 deep
	if _, err := r.Register(ctx, "ok", NewSchema{Schema: record}, RegisterOptions{}); err != nil {
		t.Fatalf("a schema within the limits: %v", err)
	}
	long := `{"type":"record","name":"R","doc":"` + strings.Repeat("x", 200) + `","fields":[]}`
	_, err := r.Register(ctx, "long", NewSchema{Schema: long}, RegisterOptions{})
	wantCode(t, err, CodeSchemaTooLarge)
	deep := `{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"array","items":{"type":"array","items":"int"}}}]}`
	_, err = r.Register(ctx, "deep", NewSchema{Schema: deep}, RegisterOptions{})
	wantCode(t, err, CodeInvalidSchema)
	if !strings.Contains(err.Error(), "nest 5 deep, more than the 4") {
		t.Fatalf("error does not name the limit: %v", err)
	}
}

func TestNesting(t *testing.T) {
	for text, want := range map[string]int{
		`"string"`:                                       0,
		`{"a":[1,{"b":2}]}`:                              3,
		`{"doc":"{[( not brackets"}`:                     1,
		`{"doc":"an \" escaped quote {"}`:                1,
		"message M { // {{{\n  int32 a = 1; /* [[[ */ }": 1,
		"message M { string s = 1 [default = '{{{']; }":  2,
		`{{{`: 3,
	} {
		if got := nesting(text); got != want {
			t.Errorf("nesting(%q) = %d, want %d", text, got, want)
		}
	}
}
