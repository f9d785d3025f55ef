package schemaregistry

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/eventlens/eventlens/migrations"
	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/storage/storagetest"
)

func TestSplitSubject(t *testing.T) {
	cases := []struct{ in, context, name, normalized string }{
		{"orders-value", ".", "orders-value", "orders-value"},
		{":.staging:orders-value", ".staging", "orders-value", ":.staging:orders-value"},
		{":.staging:a:b", ".staging", "a:b", ":.staging:a:b"},
		{":.staging", ".staging", "", ":.staging:"},
		{":.staging:", ".staging", "", ":.staging:"},
		{":.:orders", ".", "orders", "orders"},
		{":.:", ".", "", ""},
		{":*:orders", "*", "orders", ":*:orders"},
		{":staging:orders", ".", ":staging:orders", ":staging:orders"}, // a context starts with a dot
		{"::orders", ".", "::orders", "::orders"},
		{":..:x", "..", "x", ":..:x"},
	}
	for _, c := range cases {
		ctxName, name := SplitSubject(c.in)
		if ctxName != c.context || name != c.name || NormalizeSubject(c.in) != c.normalized {
			t.Errorf("%q: context %q name %q normalized %q, want %q %q %q", c.in, ctxName, name, NormalizeSubject(c.in), c.context, c.name, c.normalized)
		}
	}
}

// Each context has its own ids: the same id names different schemas in two contexts, and
// registering in one does not move the other's ids. The default context answers as before.
func TestContextsHaveTheirOwnIDs(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		r := New(db, Formats())
		a := mustRegister(t, r, "orders-value", record("A", 1))
		b := mustRegister(t, r, ":.staging:orders-value", record("B", 1))
		c := mustRegister(t, r, ":.staging:payments-value", record("C", 1))
		same := mustRegister(t, r, ":.prod:orders-value", record("A", 1))
		d := mustRegister(t, r, "payments-value", record("D", 1))
		if a.ID != 1 || b.ID != 1 || c.ID != 2 || same.ID != 1 || d.ID != 2 {
			t.Fatalf("ids: default %d, %d; staging %d, %d; prod %d; want 1, 2; 1, 2; 1", a.ID, d.ID, b.ID, c.ID, same.ID)
		}
		if b.Subject != ":.staging:orders-value" {
			t.Errorf("subject %q", b.Subject)
		}
		// A registration again in a context is found there, with its id.
		if again := mustRegister(t, r, ":.staging:orders-value", record("B", 1)); again.ID != 1 || again.Version != 1 {
			t.Errorf("registered again: id %d version %d", again.ID, again.Version)
		}

		for _, q := range []struct {
			subject string
			want    string // the schema's record name, "" for 40403
		}{
			{"", "A"},
			{"orders-value", "A"},
			{":.staging:orders-value", "B"},
			{":.staging:", "B"},
			{":.staging", "B"},
			{":.prod:orders-value", "A"},
			{":.staging:payments-value", ""}, // that subject has no version with id 1
			{":.nowhere:orders-value", ""},
			{":*:orders-value", ""},
		} {
			s, err := r.SchemaFor(ctx, 1, q.subject)
			if q.want == "" {
				wantCode(t, err, CodeSchemaNotFound)
				continue
			}
			if err != nil || !strings.Contains(s.Schema, `"`+q.want+`"`) || s.ID != 1 {
				t.Errorf("id 1 for subject %q: %+v %v, want record %s", q.subject, s, err, q.want)
			}
		}
		// A default-context subject without the id finds it under its name in another context.
		s, err := r.SchemaFor(ctx, 2, "orders-value")
		if err != nil || !strings.Contains(s.Schema, `"D"`) {
			t.Errorf("id 2 for orders-value: %+v %v, want the default context's D (no other context's orders-value has id 2)", s, err)
		}
		mustRegister(t, r, ":.staging:only-value", record("E", 1))
		if s, err := r.SchemaFor(ctx, 3, "only-value"); err != nil || !strings.Contains(s.Schema, `"E"`) {
			t.Errorf("id 3 for only-value: %+v %v, want staging's E", s, err)
		}

		if svs, err := r.VersionsForID(ctx, 1, ":.staging:", false); err != nil || !reflect.DeepEqual(svs, []SubjectVersion{{":.staging:orders-value", 1}}) {
			t.Errorf("versions of staging's id 1: %v %v", svs, err)
		}
		if svs, err := r.VersionsForID(ctx, 1, "", false); err != nil || !reflect.DeepEqual(svs, []SubjectVersion{{"orders-value", 1}}) {
			t.Errorf("versions of the default id 1: %v %v", svs, err)
		}
		for subject, want := range map[string]int{"": 2, "orders-value": 2, ":.staging:x": 3, ":.prod:": 1, ":.nowhere:": 0} {
			if got, err := r.MaxID(ctx, subject); err != nil || got != want {
				t.Errorf("max id for %q: %d %v, want %d", subject, got, err, want)
			}
		}
		ids, err := r.IDsByGUID(ctx, a.GUID)
		if want := []ContextID{{".", 1}, {".prod", 1}}; err != nil || !reflect.DeepEqual(ids, want) {
			t.Errorf("ids of A's guid: %v %v, want %v", ids, err, want)
		}
	})
}

func TestSubjectListingsAcrossContexts(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		r := New(db, Formats())
		for _, s := range []string{"orders-value", "payments-value", ":.staging:orders-value", ":.staging:audit", ":.prod:orders-value"} {
			mustRegister(t, r, s, record("R", 1))
		}
		all := []string{":.prod:orders-value", ":.staging:audit", ":.staging:orders-value", "orders-value", "payments-value"}
		for _, c := range []struct {
			f    SubjectFilter
			want []string
		}{
			{SubjectFilter{}, all},
			{SubjectFilter{Prefix: ContextWildcard}, all},
			{SubjectFilter{Prefix: ":.:"}, []string{"orders-value", "payments-value"}},
			{SubjectFilter{Prefix: "orders"}, []string{"orders-value"}},
			{SubjectFilter{Prefix: ":.staging:"}, []string{":.staging:audit", ":.staging:orders-value"}},
			{SubjectFilter{Prefix: ":*:orders"}, []string{":.prod:orders-value", ":.staging:orders-value", "orders-value"}},
			{SubjectFilter{Prefix: ":*:orders", Offset: 1, Limit: 1}, []string{":.staging:orders-value"}},
			{SubjectFilter{Prefix: ":.:", Offset: 1}, []string{"payments-value"}},
		} {
			got, err := r.Subjects(ctx, c.f)
			if err != nil || !reflect.DeepEqual(got, c.want) {
				t.Errorf("%+v: %q %v, want %q", c.f, got, err, c.want)
			}
		}
		got, err := r.Contexts(ctx, ContextFilter{})
		if want := []string{".", ".prod", ".staging"}; err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("contexts %q %v, want %q", got, err, want)
		}
	})
}

// A context goes only when no subject is left in it, soft-deleted ones included; its ids are
// not given again when it comes back.
func TestDeleteContext(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		r := New(db, Formats())
		mustRegister(t, r, ":.staging:a", record("A", 1))
		b := mustRegister(t, r, ":.staging:b", record("B", 1))
		wantCode(t, r.DeleteContext(ctx, ".staging"), CodeContextNotEmpty)
		for _, permanent := range []bool{false, true} {
			if _, err := r.DeleteSubject(ctx, ":.staging:a", permanent); err != nil {
				t.Fatal(err)
			}
			if _, err := r.DeleteSubject(ctx, ":.staging:b", permanent); err != nil {
				t.Fatal(err)
			}
			if !permanent {
				wantCode(t, r.DeleteContext(ctx, ":.staging:"), CodeContextNotEmpty)
			}
		}
		if err := r.DeleteContext(ctx, "staging"); err != nil {
			t.Fatal(err)
		}
		if got, _ := r.Contexts(ctx, ContextFilter{}); !reflect.DeepEqual(got, []string{"."}) {
			t.Errorf("contexts after the delete: %q", got)
		}
		if c := mustRegister(t, r, ":.staging:c", record("C", 1)); c.ID != b.ID+1 {
			t.Errorf("the context back: id %d, want %d", c.ID, b.ID+1)
		}
		if got, _ := r.Contexts(ctx, ContextFilter{}); !reflect.DeepEqual(got, []string{".", ".staging"}) {
			t.Errorf("contexts after registering again: %q", got)
		}
		wantCode(t, r.DeleteContext(ctx, "."), CodeOperationNotPermitted)
		wantCode(t, r.DeleteContext(ctx, ":.a:b:"), 400)
		if err := r.DeleteContext(ctx, ".never-used"); err != nil {
			t.Errorf("a context never used: %v", err)
		}
	})
}

// References name subjects of the referring schema's context unless they name another.
func TestReferencesResolveInTheirContext(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		r := New(db, Formats())
		mustRegister(t, r, "common", record("Default", 1))
		mustRegister(t, r, ":.staging:common", record("Common", 1))
		ref := []Reference{{Name: "Common", Subject: "common", Version: 1}}
		in := NewSchema{Schema: `{"type":"record","name":"Order","fields":[{"name":"c","type":"Common"}]}`, References: ref}
		s, err := r.Register(ctx, ":.staging:order", in, RegisterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if s.References[0].Subject != "common" {
			t.Errorf("references are kept as sent: %+v", s.References)
		}
		// In the default context "common" is Default: the schema does not parse.
		if _, err := r.Register(ctx, "order", in, RegisterOptions{}); ErrorCode(err) != CodeInvalidSchema {
			t.Errorf("the same references in the default context: %v, want 42201", err)
		}
		if ids, err := r.ReferencedBy(ctx, ":.staging:common", 1); err != nil || !reflect.DeepEqual(ids, []int{s.ID}) {
			t.Errorf("referenced by: %v %v, want [%d]", ids, err, s.ID)
		}
		if ids, err := r.ReferencedBy(ctx, "common", 1); err != nil || len(ids) != 0 {
			t.Errorf("the default context's common is referenced by %v %v", ids, err)
		}
		_, err = r.DeleteVersion(ctx, ":.staging:common", 1, false)
		wantCode(t, err, CodeReferenceExists)
		// A fresh registry parses the stored schema with its references from its context.
		if got, err := New(db, Formats()).Version(ctx, ":.staging:order", 1, false); err != nil || got.ID != s.ID {
			t.Fatalf("read back: %+v %v", got, err)
		}
		if _, err := New(db, Formats()).CheckCompatibility(ctx, ":.staging:order", Latest, false, in, CheckOptions{}); err != nil {
			t.Errorf("a check against the stored version: %v", err)
		}
	})
}

// A context's own config and mode apply to its subjects instead of the global ones, as
// Confluent looks them up; the :.__GLOBAL: context's apply where neither is set.
func TestConfigAndModePerContext(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		r := New(db, Formats())
		mustRegister(t, r, ":.staging:s", record("S", 1))
		mustRegister(t, r, "s", record("S", 1))
		if _, err := r.SetConfig(ctx, ":.staging:", ConfigUpdate{Compatibility: Set(None)}); err != nil {
			t.Fatal(err)
		}
		mustRegister(t, r, ":.staging:s", mandatory("S", 2)) // NONE there
		_, err := r.Register(ctx, "s", NewSchema{Schema: mandatory("S", 2)}, RegisterOptions{})
		wantCode(t, err, CodeIncompatibleSchema) // BACKWARD here
		if cfg, err := r.SubjectConfig(ctx, ":.staging:s", true); err != nil || cfg.CompatibilityLevel != None {
			t.Errorf("staging's subject config with defaultToGlobal: %+v %v", cfg, err)
		}

		// The global config is the default context's: staging keeps NONE, and a context
		// without its own config falls back to :.__GLOBAL:, then BACKWARD.
		if _, err := r.SetConfig(ctx, "", ConfigUpdate{Compatibility: Set(Full)}); err != nil {
			t.Fatal(err)
		}
		if _, err := r.SetConfig(ctx, ":.__GLOBAL:", ConfigUpdate{Compatibility: Set(Forward)}); err != nil {
			t.Fatal(err)
		}
		for subject, want := range map[string]string{":.staging:s": None, "s": Full, ":.prod:s": Forward} {
			if cfg, err := r.effectiveConfig(ctx, subject); err != nil || cfg.CompatibilityLevel != want {
				t.Errorf("level of %s: %+v %v, want %s", subject, cfg, err, want)
			}
		}

		if _, err := r.SetMode(ctx, ":.staging:", ReadOnly, false); err != nil {
			t.Fatal(err)
		}
		_, err = r.Register(ctx, ":.staging:s", NewSchema{Schema: record("S", 3)}, RegisterOptions{})
		wantCode(t, err, CodeOperationNotPermitted)
		mustRegister(t, r, "s", record("S", 2))

		_, err = r.Register(ctx, ":.__GLOBAL:s", NewSchema{Schema: record("S", 1)}, RegisterOptions{})
		wantCode(t, err, CodeInvalidSubject)
	})
}

// What cannot be a subject in a context is refused as Confluent refuses an invalid subject.
func TestQualifiedSubjectErrors(t *testing.T) {
	r := newRegistry(t)
	for _, subject := range []string{":.staging:", ":.staging", ":*:x", ":.__GLOBAL:x", ":.st\x00g:x"} {
		_, err := r.Register(ctx, subject, NewSchema{Schema: record("R", 1)}, RegisterOptions{})
		if ErrorCode(err) != CodeInvalidSubject {
			t.Errorf("register %q: %v, want 42208", subject, err)
		}
	}
	// A long context name is a name like any other.
	long := ":." + strings.Repeat("c", 5000) + ":x"
	if s := mustRegister(t, r, long, record("R", 1)); s.ID != 1 {
		t.Errorf("a long context: id %d", s.ID)
	}
	if got, _ := r.Contexts(ctx, ContextFilter{Prefix: ".c"}); len(got) != 1 || len(got[0]) != 5001 {
		t.Errorf("contexts with the long one: %d", len(got))
	}
}

// IMPORT gives ids in the subject's context: the same id can be imported in two contexts as
// two schemas, and a taken id is refused within its context only.
func TestImportIntoContexts(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		r := New(db, Formats())
		// Entering IMPORT needs an empty scope: the context's subjects count for a context.
		mustRegister(t, r, ":.prod:x", record("X", 1))
		_, err := r.SetMode(ctx, ":.prod:", Import, false)
		wantCode(t, err, CodeOperationNotPermitted)
		// The global mode is the default context's; a context takes its own.
		for _, scope := range []string{"", ":.staging:"} {
			if _, err := r.SetMode(ctx, scope, Import, true); err != nil {
				t.Fatal(err)
			}
		}
		for subject, name := range map[string]string{"a": "A", ":.staging:a": "B"} {
			s, err := r.Register(ctx, subject, NewSchema{Schema: record(name, 1), ID: 7}, RegisterOptions{})
			if err != nil || s.ID != 7 {
				t.Fatalf("import %s with id 7: %+v %v", subject, s, err)
			}
		}
		_, err = r.Register(ctx, ":.staging:b", NewSchema{Schema: record("C", 1), ID: 7}, RegisterOptions{})
		wantCode(t, err, CodeIDDoesNotMatch)
		for _, scope := range []string{"", ":.staging:"} {
			if _, err := r.SetMode(ctx, scope, ReadWrite, false); err != nil {
				t.Fatal(err)
			}
		}
		// READWRITE after IMPORT: the next id in each context is after the imported one.
		if s := mustRegister(t, r, ":.staging:c", record("D", 1)); s.ID != 8 {
			t.Errorf("next staging id %d, want 8", s.ID)
		}
		if s := mustRegister(t, r, "c", record("D", 1)); s.ID != 8 {
			t.Errorf("next default id %d, want 8", s.ID)
		}
	})
}

// Subjects named :.ctx:name before contexts (STRONG associations with a namespace made them)
// move into their context with their ids, which the default context still answers too.
func TestMigrationMovesQualifiedSubjects(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		// The contexts migration: PostgreSQL's 17, SQLite's 22.
		var p *goose.Provider
		var err error
		before := int64(21)
		if db.Postgres != nil {
			before = 16
			p, err = goose.NewProvider(goose.DialectPostgres, stdlib.OpenDBFromPool(db.Postgres.Pool), migrations.Postgres)
		} else {
			p, err = goose.NewProvider(goose.DialectSQLite3, db.SQLite.Write, migrations.SQLite)
		}
		if err != nil {
			t.Fatal(err)
		}
		// What the registry held before: every subject in the default context.
		old := New(db, Formats())
		mustRegister(t, old, "plain", record("P", 1))
		mustRegister(t, old, "ns-a", record("A", 1))
		mustRegister(t, old, "ns-b", record("B", 1))
		mustRegister(t, old, "ns-b", record("B", 2))
		if _, err := p.DownTo(ctx, before); err != nil {
			t.Fatal(err)
		}
		storagetest.Exec(t, db, `UPDATE sr_versions SET subject = ':.ns:a-value' WHERE subject = 'ns-a'`)
		storagetest.Exec(t, db, `UPDATE sr_versions SET subject = ':.ns:b-value' WHERE subject = 'ns-b'`)
		if _, err := p.Up(ctx); err != nil {
			t.Fatal(err)
		}

		r := New(db, Formats())
		for _, q := range []struct {
			id      int
			subject string
			want    string
		}{{2, ":.ns:a-value", `"A"`}, {2, "", `"A"`}, {4, ":.ns:", `"B"`}, {1, "", `"P"`}} {
			if s, err := r.SchemaFor(ctx, q.id, q.subject); err != nil || !strings.Contains(s.Schema, q.want) {
				t.Errorf("id %d for %q: %+v %v, want %s", q.id, q.subject, s, err, q.want)
			}
		}
		if v, err := r.Version(ctx, ":.ns:b-value", Latest, false); err != nil || v.ID != 4 {
			t.Errorf("latest of :.ns:b-value: %+v %v", v, err)
		}
		if got, _ := r.Contexts(ctx, ContextFilter{}); !reflect.DeepEqual(got, []string{".", ".ns"}) {
			t.Errorf("contexts %q", got)
		}
		if s := mustRegister(t, r, ":.ns:c-value", record("C", 1)); s.ID != 5 {
			t.Errorf("the next id in .ns: %d, want 5", s.ID)
		}
		if s := mustRegister(t, r, "other", record("O", 1)); s.ID != 5 {
			t.Errorf("the next id in the default context: %d, want 5", s.ID)
		}
	})
}

// A replica sees the contexts another one adds and deletes: the listing it caches and the
// ?subject= search across contexts follow the other's writes.
func TestContextsAcrossReplicas(t *testing.T) {
	rs := replicas(t, 2)
	writer, reader := rs[0], rs[1]
	if got, err := reader.Contexts(ctx, ContextFilter{}); err != nil || len(got) != 1 {
		t.Fatalf("contexts before: %q %v", got, err) // the reader caches the listing
	}
	wantCode(t, func() error { _, err := reader.SchemaFor(ctx, 1, "x"); return err }(), CodeSchemaNotFound)
	mustRegister(t, writer, ":.staging:x", record("X", 1))
	within(t, time.Second, "the new context on the other replica", func() bool {
		got, err := reader.Contexts(ctx, ContextFilter{})
		s, lookup := reader.SchemaFor(ctx, 1, "x") // found under :.staging:x
		return err == nil && reflect.DeepEqual(got, []string{".", ".staging"}) && lookup == nil && strings.Contains(s.Schema, `"X"`)
	})
	for _, permanent := range []bool{false, true} {
		if _, err := writer.DeleteSubject(ctx, ":.staging:x", permanent); err != nil {
			t.Fatal(err)
		}
	}
	if err := writer.DeleteContext(ctx, ".staging"); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "the deleted context on the other replica", func() bool {
		got, err := reader.Contexts(ctx, ContextFilter{})
		return err == nil && reflect.DeepEqual(got, []string{"."})
	})
}
