package schemaregistry

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/storage/storagetest"
)

func TestSubjectSummaries(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		r := New(db, Formats())
		clock := time.UnixMilli(1_700_000_000_000)
		r.now = func() time.Time { clock = clock.Add(time.Second); return clock }
		for i, name := range []string{"b", "a/x", "c", "a/y"} {
			for n := 1; n <= i+1; n++ {
				mustRegister(t, r, name, record("R"+fmt.Sprint(i), n))
			}
		}
		if _, err := r.SetConfig(ctx, "c", ConfigUpdate{Compatibility: Set("FULL")}); err != nil {
			t.Fatal(err)
		}
		if _, err := r.DeleteVersion(ctx, "c", 1, false); err != nil {
			t.Fatal(err)
		}
		names := func(q SummaryQuery) ([]string, int) {
			t.Helper()
			got, total, err := r.SubjectSummaries(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, s := range got {
				out = append(out, s.Subject)
			}
			return out, total
		}
		for _, c := range []struct {
			q     SummaryQuery
			want  []string
			total int
		}{
			{SummaryQuery{}, []string{"a/x", "a/y", "b", "c"}, 4},
			{SummaryQuery{Descending: true}, []string{"c", "b", "a/y", "a/x"}, 4},
			{SummaryQuery{Sort: SortByVersion, Descending: true}, []string{"a/y", "c", "a/x", "b"}, 4},
			{SummaryQuery{Sort: SortByChanged}, []string{"b", "a/x", "c", "a/y"}, 4},
			{SummaryQuery{Prefix: "a/"}, []string{"a/x", "a/y"}, 2},
			{SummaryQuery{Prefix: "a/", Offset: 1, Limit: 5}, []string{"a/y"}, 2},
			{SummaryQuery{Limit: 2, Offset: 2}, []string{"b", "c"}, 4},
			{SummaryQuery{Offset: 9}, nil, 4},
			{SummaryQuery{Prefix: "z"}, nil, 0},
		} {
			got, total := names(c.q)
			if !slices.Equal(got, c.want) || total != c.total {
				t.Errorf("%+v: %v of %d, want %v of %d", c.q, got, total, c.want, c.total)
			}
		}
		all, _, _ := r.SubjectSummaries(ctx, SummaryQuery{})
		c := all[3]
		if c.Subject != "c" || c.Versions != 2 || c.Deleted != 1 || c.LatestVersion != 3 || c.Compatibility != "FULL" || c.SchemaType != "AVRO" || c.Changed == 0 {
			t.Errorf("summary of c: %+v", c)
		}
		if all[0].Compatibility != "" {
			t.Errorf("a/x has no level of its own, summary says %q", all[0].Compatibility)
		}

		// A write shows in the next listing, updated one subject at a time: the listing always
		// equals a full read.
		same := func(after string) {
			t.Helper()
			got, _, err := r.SubjectSummaries(ctx, SummaryQuery{})
			if err != nil {
				t.Fatal(err)
			}
			want, err := r.readSummaries(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("after %s the listing is\n%+v\nwant\n%+v", after, got, want)
			}
		}
		mustRegister(t, r, "a/z", record("Z", 1))
		if got, total := names(SummaryQuery{Prefix: "a/"}); total != 3 || got[2] != "a/z" {
			t.Errorf("after a registration: %v of %d", got, total)
		}
		same("a registration")
		if _, err := r.SetConfig(ctx, "b", ConfigUpdate{Compatibility: Set("NONE")}); err != nil {
			t.Fatal(err)
		}
		same("a config change")
		if _, err := r.DeleteSubject(ctx, "a/x", false); err != nil {
			t.Fatal(err)
		}
		same("a soft-deleted subject")
		if got, total := names(SummaryQuery{Prefix: "a/"}); total != 2 || got[0] != "a/y" {
			t.Errorf("after deleting a/x: %v of %d", got, total)
		}
		mustRegister(t, r, "a/x", record("R1", 9))
		same("a subject back")
		if _, err := r.DeleteVersion(ctx, "c", 3, false); err != nil {
			t.Fatal(err)
		}
		same("a deleted latest version")
		for i := range maxIncremental + 1 { // too many for one update: everything is read again
			mustRegister(t, r, fmt.Sprint("many-", i), record("M", 1))
		}
		same("many registrations")
		if _, total := names(SummaryQuery{Prefix: "many-"}); total != maxIncremental+1 {
			t.Errorf("%d many-, want %d", total, maxIncremental+1)
		}
	})
}

func TestCompareAvro(t *testing.T) {
	r := newRegistry(t)
	mustRegister(t, r, "s", record("R", 2))
	if _, err := r.SetConfig(ctx, "s", ConfigUpdate{Compatibility: Set(None)}); err != nil {
		t.Fatal(err)
	}
	mustRegister(t, r, "s", mandatory("R", 3))
	if _, err := r.SetConfig(ctx, "s", ConfigUpdate{Compatibility: Set(Full)}); err != nil {
		t.Fatal(err)
	}
	c, err := r.Compare(ctx, "s", 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if c.Level != Full || c.From.Version != 1 || c.To.Version != 2 || !c.Complete {
		t.Errorf("comparison: level %s, %d → %d, complete %v", c.Level, c.From.Version, c.To.Version, c.Complete)
	}
	if len(c.Incompatible) != 1 || c.Incompatible[0].Type != "READER_FIELD_MISSING_DEFAULT_VALUE" {
		t.Errorf("incompatible: %+v", c.Incompatible)
	}
	if len(c.Changes) != 1 || c.Changes[0].Direction != Backward || c.Changes[0].Message == "" || c.Changes[0].Message[0] == '{' {
		t.Errorf("changes: %+v", c.Changes)
	}
	// The other way round only forward breaks.
	c, err = r.Compare(ctx, "s", 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Changes) != 1 || c.Changes[0].Direction != Forward {
		t.Errorf("changes 2 → 1: %+v", c.Changes)
	}
	if _, err := r.Compare(ctx, "s", 1, 9); err == nil {
		t.Errorf("comparing with a missing version succeeded")
	}
}

func TestPlainMessage(t *testing.T) {
	for in, want := range map[string]string{
		`{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'b' at path '/fields/1' has no default', additionalInfo:'b'}`: `The field 'b' at path '/fields/1' has no default`,
		`{errorType:'NAME_MISMATCH', description:'The name changed', additionalInfo:'expected: a.B'}`:                                          `The name changed (expected: a.B)`,
		`{errorType:"FIELD_KIND_CHANGED", description:"The type of a field changed"}`:                                                          `The type of a field changed`,
		`Incompatible because of different schema type`:                                                                                        `Incompatible because of different schema type`,
	} {
		if got := plainMessage(in); got != want {
			t.Errorf("plainMessage(%s) = %q, want %q", in, got, want)
		}
	}
}

// A JSON Schema comparison judges under the subject's compatibilityPolicy, as registration does.
func TestCompareJSONUnderThePolicy(t *testing.T) {
	r := newRegistry(t)
	register := func(schema string) {
		t.Helper()
		if _, err := r.Register(ctx, "j", NewSchema{Schema: schema, SchemaType: "JSON"}, RegisterOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.SetConfig(ctx, "j", ConfigUpdate{Compatibility: Set(None)}); err != nil {
		t.Fatal(err)
	}
	register(`{"properties":{"foo":{"type":"string"}}}`)
	register(`{"properties":{"foo":{"type":"string"},"bar":{"type":"number"}}}`)
	for _, tt := range []struct {
		policy     string
		compatible bool
	}{{"STRICT", false}, {"LENIENT", true}} {
		if _, err := r.SetConfig(ctx, "j", ConfigUpdate{Compatibility: Set(Backward), CompatibilityPolicy: Set(tt.policy)}); err != nil {
			t.Fatal(err)
		}
		c, err := r.Compare(ctx, "j", 1, 2)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(c.Incompatible) == 0; got != tt.compatible {
			t.Errorf("%s: compatible = %v, want %v (%+v)", tt.policy, got, tt.compatible, c.Incompatible)
		}
		if len(c.Changes) != 1 || c.Changes[0].Compatible != tt.compatible {
			t.Errorf("%s: changes %+v", tt.policy, c.Changes)
		}
	}
}

// TestCounts checks the home page's registry counts, which come from the listing's index,
// through soft and hard deletes.
func TestCounts(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		r := New(db, Formats())
		for i, name := range []string{"a", "b", "c"} {
			for n := 1; n <= i+1; n++ {
				mustRegister(t, r, name, record("R"+fmt.Sprint(i), n))
			}
		}
		check := func(when string, want Counts) {
			t.Helper()
			got, err := r.Counts(ctx)
			if err != nil || got != want {
				t.Errorf("%s: counts %+v (%v), want %+v", when, got, err, want)
			}
		}
		check("registered", Counts{Subjects: 3, Versions: 6, Schemas: 6})
		if _, err := r.DeleteVersion(ctx, "c", 1, false); err != nil {
			t.Fatal(err)
		}
		check("a version soft-deleted", Counts{Subjects: 3, Versions: 5, Schemas: 6})
		if _, err := r.DeleteSubject(ctx, "a", false); err != nil {
			t.Fatal(err)
		}
		check("a subject soft-deleted", Counts{Subjects: 2, Versions: 4, Schemas: 6})
		if _, err := r.DeleteSubject(ctx, "a", true); err != nil {
			t.Fatal(err)
		}
		check("a subject hard-deleted", Counts{Subjects: 2, Versions: 4, Schemas: 5}) // its schema is used by no version now
	})
}
