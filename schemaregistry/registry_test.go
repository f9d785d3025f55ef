package schemaregistry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/eventlens/eventlens/schemaregistry/avro"
	"github.com/eventlens/eventlens/schemaregistry/format"
	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/storage/storagetest"
)

// The tests of what the registry stores run on both backends (storagetest.Each): its behaviour
// is its store's, so they are the store's behaviour suite too. Tests of what it decides alone
// (formats, limits, comparisons) run on SQLite. replicas_test.go has the tests of several
// registries on one PostgreSQL.

// newRegistry is a registry on a fresh SQLite file.
func newRegistry(t testing.TB) *Registry {
	t.Helper()
	return New(storagetest.SQLite(t), Formats())
}

// freshStore is an empty store of db's backend.
func freshStore(t testing.TB, db *storage.DB) *storage.DB {
	t.Helper()
	if db.Postgres != nil {
		return storagetest.Postgres(t)
	}
	return storagetest.SQLite(t)
}

// record is an Avro record named name with n int fields, each after the first with a default,
// so every record(name, n+1) is backward compatible with record(name, n).
func record(name string, n int) string {
	fields := make([]string, n)
	for i := range fields {
		fields[i] = fmt.Sprintf(`{"name":"f%d","type":"int","default":0}`, i)
	}
	fields[0] = `{"name":"f0","type":"int"}`
	return fmt.Sprintf(`{"type":"record","name":%q,"fields":[%s]}`, name, strings.Join(fields, ","))
}

// mandatory is record(name, n) whose last field has no default: not backward compatible.
func mandatory(name string, n int) string {
	return strings.Replace(record(name, n), fmt.Sprintf(`{"name":"f%d","type":"int","default":0}`, n-1), fmt.Sprintf(`{"name":"f%d","type":"int"}`, n-1), 1)
}

var ctx = context.Background()

func mustRegister(t *testing.T, r *Registry, subject, schema string) Schema {
	t.Helper()
	s, err := r.Register(ctx, subject, NewSchema{Schema: schema}, RegisterOptions{})
	if err != nil {
		t.Fatalf("register %s: %v", subject, err)
	}
	return s
}

func wantCode(t *testing.T, err error, code int) {
	t.Helper()
	if ErrorCode(err) != code {
		t.Fatalf("got %v (code %d), want code %d", err, ErrorCode(err), code)
	}
	var e *Error
	if errors.As(err, &e) && e.Message == "" {
		t.Fatalf("error %d has no message", code)
	}
}

// TestMD5GoldenValues checks the GUID (Confluent's MD5 for deduplication) of the golden schema
// of each format with every combination of references, metadata and rules: 24 values.
func TestMD5GoldenValues(t *testing.T) {
	raw, err := os.ReadFile("../../shared/conformance/confluent/md5/schema-md5-golden-data.json")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip("shared corpus missing:", err)
	}
	var golden struct {
		Schemas        map[string]string
		References     []Reference
		Metadata       *Metadata
		Rules          *RuleSet
		ExpectedHashes map[string]map[string]string
	}
	if err := json.Unmarshal(raw, &golden); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for typ, name := range map[string]string{"AVRO": "avro", "JSON": "json", "PROTOBUF": "protobuf"} {
		text := golden.Schemas[name]
		// The golden schema is one the format accepts, too.
		if typ != "AVRO" {
			if _, err := Formats()[typ].Parse(text, nil); err != nil {
				t.Errorf("%s golden schema does not parse: %v", typ, err)
			}
		}
		for i := range 8 {
			key := fmt.Sprintf("%03b", i)
			var refs []Reference
			var md *Metadata
			var rs *RuleSet
			if i&4 != 0 {
				refs = golden.References
			}
			if i&2 != 0 {
				md = golden.Metadata
			}
			if i&1 != 0 {
				rs = golden.Rules
			}
			want := golden.ExpectedHashes[typ][key]
			if want == "" {
				t.Errorf("%s %s: no golden value", typ, key)
				continue
			}
			if got := hashText(text).guid(refs, md, rs); got != want {
				t.Errorf("%s %s: guid %s, want %s", typ, key, got, want)
			}
			checked++
		}
	}
	if checked != 24 {
		t.Errorf("checked %d golden values, want 24", checked)
	}
}

func TestIDsAndVersions(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		r := New(db, Formats())
		a1 := mustRegister(t, r, "a", record("A", 1))
		a2 := mustRegister(t, r, "a", record("A", 2))
		if a1.ID != 1 || a1.Version != 1 || a2.ID != 2 || a2.Version != 2 {
			t.Fatalf("a1 %d/%d a2 %d/%d, want ids 1,2 versions 1,2", a1.ID, a1.Version, a2.ID, a2.Version)
		}
		// The same schema under another subject keeps its id; its version there is 1.
		b1 := mustRegister(t, r, "b", record("A", 1))
		if b1.ID != a1.ID || b1.Version != 1 {
			t.Fatalf("same schema in b: id %d version %d, want id %d version 1", b1.ID, b1.Version, a1.ID)
		}
		// Registering a live version again returns it, without a check (level FULL would refuse v1 after v2? no: it is not checked at all).
		if _, err := r.SetConfig(ctx, "a", ConfigUpdate{Compatibility: Set("full_transitive")}); err != nil {
			t.Fatal(err)
		}
		again := mustRegister(t, r, "a", record("A", 1))
		if again.ID != a1.ID || again.Version != 1 {
			t.Fatalf("re-register: %+v", again)
		}
		// Whitespace does not make a schema new: the canonical text is what counts.
		spaced := mustRegister(t, r, "a", strings.ReplaceAll(record("A", 2), ",", " , "))
		if spaced.ID != a2.ID || spaced.Version != 2 {
			t.Fatalf("re-register with spaces: %+v", spaced)
		}
		// Versions keep rising after a soft delete.
		if _, err := r.DeleteVersion(ctx, "a", 2, false); err != nil {
			t.Fatal(err)
		}
		a3 := mustRegister(t, r, "a", record("A", 2))
		if a3.Version != 3 || a3.ID != a2.ID {
			t.Fatalf("after soft delete: version %d id %d, want 3 and id %d", a3.Version, a3.ID, a2.ID)
		}
		versions, err := r.Versions(ctx, "a", SubjectFilter{})
		if err != nil || fmt.Sprint(versions) != "[1 3]" {
			t.Fatalf("versions %v %v", versions, err)
		}
		all, _ := r.Versions(ctx, "a", SubjectFilter{Deleted: true})
		if fmt.Sprint(all) != "[1 2 3]" {
			t.Fatalf("versions with deleted %v", all)
		}
		got, err := r.SchemaByID(ctx, a2.ID)
		if err != nil || got.Schema != record("A", 2) || got.GUID == "" {
			t.Fatalf("by id: %+v %v", got, err)
		}
		subjects, _ := r.SubjectsForID(ctx, a1.ID, "", false)
		if fmt.Sprint(subjects) != "[a b]" {
			t.Fatalf("subjects for id: %v", subjects)
		}
		c, err := r.Counts(ctx)
		if err != nil || c != (Counts{Subjects: 2, Versions: 3, Schemas: 2}) {
			t.Fatalf("counts %+v %v", c, err)
		}
		looked, err := r.Lookup(ctx, "b", NewSchema{Schema: record("A", 1)}, false, false)
		if err != nil || looked.Version != 1 || looked.ID != a1.ID {
			t.Fatalf("lookup %+v %v", looked, err)
		}
	})
}

func TestCompatibilityLevels(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) { testCompatibilityLevels(t, db) })
}

func testCompatibilityLevels(t *testing.T, db *storage.DB) {
	tests := []struct {
		level    string
		versions []string // registered in order
		deleted  []int    // versions soft-deleted before the check
		next     string
		ok       bool
	}{
		{Backward, []string{record("R", 1)}, nil, record("R", 2), true},
		{Backward, []string{record("R", 1)}, nil, mandatory("R", 2), false},
		{None, []string{record("R", 1)}, nil, mandatory("R", 2), true},
		{Forward, []string{record("R", 2)}, nil, record("R", 1), true},
		{Forward, []string{record("R", 1)}, nil, `{"type":"record","name":"R","fields":[{"name":"f0","type":"string"}]}`, false},
		{Full, []string{record("R", 1)}, nil, record("R", 2), true},
		{Full, []string{record("R", 1)}, nil, mandatory("R", 2), false},
		// Non-transitive checks only the latest; transitive all live versions, newest first.
		{Backward, []string{record("R", 1), mandatory("R", 2)}, nil, mandatory("R", 2), true},
		{BackwardTransitive, []string{record("R", 1), `{"type":"record","name":"R","fields":[{"name":"f0","type":"int"},{"name":"x","type":"int","default":0}]}`}, nil, mandatory("R", 2), false},
		// A soft-deleted version is not checked.
		{BackwardTransitive, []string{record("R", 1), record("R", 2)}, []int{1}, mandatory("R", 2), true},
		{FullTransitive, []string{record("R", 1), record("R", 2)}, nil, record("R", 3), true},
		{ForwardTransitive, []string{record("R", 3), record("R", 2)}, nil, record("R", 1), true},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprint(i, " ", tt.level), func(t *testing.T) {
			r := New(freshStore(t, db), Formats())
			if _, err := r.SetConfig(ctx, "s", ConfigUpdate{Compatibility: Set(None)}); err != nil {
				t.Fatal(err)
			}
			for _, v := range tt.versions {
				mustRegister(t, r, "s", v)
			}
			for _, v := range tt.deleted {
				if _, err := r.DeleteVersion(ctx, "s", v, false); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := r.SetConfig(ctx, "s", ConfigUpdate{Compatibility: Set(tt.level)}); err != nil {
				t.Fatal(err)
			}
			msgs, err := r.CheckCompatibility(ctx, "s", 0, true, NewSchema{Schema: tt.next}, CheckOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if (len(msgs) == 0) != tt.ok {
				t.Fatalf("compatible %v, want %v: %v", len(msgs) == 0, tt.ok, msgs)
			}
			_, err = r.Register(ctx, "s", NewSchema{Schema: tt.next}, RegisterOptions{})
			if tt.ok != (err == nil) {
				t.Fatalf("register: %v", err)
			}
			if !tt.ok {
				wantCode(t, err, CodeIncompatibleSchema)
				if !strings.Contains(err.Error(), "compatibility: '"+tt.level+"'") {
					t.Errorf("message lacks the level: %v", err)
				}
				// force skips the check.
				if _, err := r.Register(ctx, "s", NewSchema{Schema: tt.next}, RegisterOptions{Force: true}); err != nil {
					t.Fatalf("forced register: %v", err)
				}
			}
		})
	}
}

func TestConfigFallsBackToGlobal(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		r := New(db, Formats())
		g, _ := r.GlobalConfig(ctx)
		if g.CompatibilityLevel != Backward {
			t.Fatalf("default global %q", g.CompatibilityLevel)
		}
		_, err := r.SubjectConfig(ctx, "s", false)
		wantCode(t, err, CodeSubjectConfigNotFound)
		if _, err := r.SetConfig(ctx, "", ConfigUpdate{Compatibility: Set(Full), CompatibilityPolicy: Set("STRICT")}); err != nil {
			t.Fatal(err)
		}
		c, _ := r.SubjectConfig(ctx, "s", true)
		if c.CompatibilityLevel != Full {
			t.Fatalf("fallback %q", c.CompatibilityLevel)
		}
		_, err = r.SetConfig(ctx, "s", ConfigUpdate{Compatibility: Set("SIDEWAYS")})
		wantCode(t, err, CodeInvalidCompatibilityLevel)
		if _, err := r.SetConfig(ctx, "s", ConfigUpdate{Compatibility: Set(None)}); err != nil {
			t.Fatal(err)
		}
		if c, _ := r.SubjectConfig(ctx, "s", false); c.CompatibilityLevel != None {
			t.Fatalf("subject level %q", c.CompatibilityLevel)
		}
		if old, err := r.DeleteConfig(ctx, "s"); err != nil || old.CompatibilityLevel != None {
			t.Fatalf("delete config: %+v %v", old, err)
		}
		_, err = r.DeleteConfig(ctx, "s")
		wantCode(t, err, CodeSubjectNotFound)
		if g, _ := r.GlobalConfig(ctx); g.CompatibilityPolicy != "STRICT" {
			t.Fatalf("policy not kept: %+v", g)
		}
	})
}

func TestModes(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		r := New(db, Formats())
		mustRegister(t, r, "s", record("R", 1))
		_, err := r.SubjectMode(ctx, "s", false)
		wantCode(t, err, CodeSubjectModeNotFound)
		_, err = r.SetMode(ctx, "s", "SIDEWAYS", false)
		wantCode(t, err, CodeInvalidMode)

		for _, m := range []string{ReadOnly, ReadOnlyOverride} {
			if _, err := r.SetMode(ctx, "s", m, false); err != nil {
				t.Fatal(err)
			}
			_, err = r.Register(ctx, "s", NewSchema{Schema: record("R", 2)}, RegisterOptions{})
			wantCode(t, err, CodeOperationNotPermitted)
			_, err = r.DeleteVersion(ctx, "s", 1, false)
			wantCode(t, err, CodeOperationNotPermitted)
			_, err = r.DeleteSubject(ctx, "s", false)
			wantCode(t, err, CodeOperationNotPermitted)
		}
		// Reads still work in read-only mode.
		if _, err := r.Version(ctx, "s", Latest, false); err != nil {
			t.Fatal(err)
		}
		// IMPORT needs an empty subject unless forced.
		_, err = r.SetMode(ctx, "s", Import, false)
		wantCode(t, err, CodeOperationNotPermitted)
		if _, err := r.SetMode(ctx, "s", Import, true); err != nil {
			t.Fatal(err)
		}
		// In IMPORT mode, a schema needs an explicit id.
		_, err = r.Register(ctx, "s", NewSchema{Schema: record("R", 2)}, RegisterOptions{})
		wantCode(t, err, CodeOperationNotPermitted)
		if old, err := r.DeleteMode(ctx, "s"); err != nil || old != Import {
			t.Fatalf("delete mode: %q %v", old, err)
		}
		_, err = r.DeleteMode(ctx, "s")
		wantCode(t, err, CodeSubjectNotFound)
		// Outside IMPORT mode, an explicit id is refused.
		_, err = r.Register(ctx, "s", NewSchema{Schema: record("R", 2), ID: 50}, RegisterOptions{})
		wantCode(t, err, CodeOperationNotPermitted)
	})
}

func TestImportMode(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		r := New(db, Formats())
		if _, err := r.SetMode(ctx, "", Import, false); err != nil {
			t.Fatal(err)
		}
		s, err := r.Register(ctx, "imp", NewSchema{Schema: record("R", 1), ID: 100, Version: 7}, RegisterOptions{})
		if err != nil || s.ID != 100 || s.Version != 7 {
			t.Fatalf("import: %+v %v", s, err)
		}
		// No compatibility check in IMPORT mode.
		if _, err := r.Register(ctx, "imp", NewSchema{Schema: `"string"`, ID: 101, Version: 8}, RegisterOptions{}); err != nil {
			t.Fatal(err)
		}
		// An id that holds another schema clashes.
		_, err = r.Register(ctx, "imp2", NewSchema{Schema: record("Other", 1), ID: 100}, RegisterOptions{})
		wantCode(t, err, CodeIDDoesNotMatch)
		// The same schema under its id is fine elsewhere.
		if s, err := r.Register(ctx, "imp2", NewSchema{Schema: record("R", 1), ID: 100}, RegisterOptions{}); err != nil || s.Version != 1 {
			t.Fatalf("import same id: %+v %v", s, err)
		}
		if _, err := r.SetMode(ctx, "", ReadWrite, false); err != nil {
			t.Fatal(err)
		}
		// New ids continue after the imported ones.
		if s := mustRegister(t, r, "fresh", record("Fresh", 1)); s.ID != 102 {
			t.Fatalf("next id %d, want 102", s.ID)
		}
	})
}

func TestReferences(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		r := New(db, Formats())
		mustRegister(t, r, "address", `{"type":"record","name":"Address","namespace":"ex","fields":[{"name":"street","type":"string"}]}`)
		person := `{"type":"record","name":"Person","namespace":"ex","fields":[{"name":"home","type":"ex.Address"}]}`
		p, err := r.Register(ctx, "person", NewSchema{Schema: person, References: []Reference{{Name: "ex.Address", Subject: "address", Version: -1}}}, RegisterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if p.References[0].Version != 1 {
			t.Fatalf("reference stored unresolved: %+v", p.References)
		}
		ids, err := r.ReferencedBy(ctx, "address", 1)
		if err != nil || fmt.Sprint(ids) != fmt.Sprint([]int{p.ID}) {
			t.Fatalf("referenced by: %v %v", ids, err)
		}
		_, err = r.Register(ctx, "person2", NewSchema{Schema: person, References: []Reference{{Name: "ex.Address", Subject: "nowhere", Version: 1}}}, RegisterOptions{})
		wantCode(t, err, CodeInvalidSchema)
		_, err = r.Register(ctx, "person2", NewSchema{Schema: person}, RegisterOptions{})
		wantCode(t, err, CodeInvalidSchema)
		_, err = r.DeleteVersion(ctx, "address", 1, false)
		wantCode(t, err, CodeReferenceExists)
		_, err = r.DeleteSubject(ctx, "address", false)
		wantCode(t, err, CodeReferenceExists)
		// Once the referrer is gone for good, the referenced version may go.
		if _, err := r.DeleteSubject(ctx, "person", false); err != nil {
			t.Fatal(err)
		}
		_, err = r.DeleteVersion(ctx, "address", 1, false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.DeleteSubject(ctx, "person", true); err != nil {
			t.Fatal(err)
		}
		if _, err := r.DeleteVersion(ctx, "address", 1, true); err != nil {
			t.Fatal(err)
		}
	})
}

func TestDeletes(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		r := New(db, Formats())
		s1 := mustRegister(t, r, "s", record("R", 1))
		mustRegister(t, r, "s", record("R", 2))
		tests := []struct {
			name      string
			do        func() error
			wantCode  int
			wantError bool
		}{
			{"hard delete of a live version", func() error { _, err := r.DeleteVersion(ctx, "s", 1, true); return err }, CodeVersionNotSoftDeleted, true},
			{"hard delete of a live subject", func() error { _, err := r.DeleteSubject(ctx, "s", true); return err }, CodeSubjectNotSoftDeleted, true},
			{"unknown subject", func() error { _, err := r.DeleteSubject(ctx, "nope", false); return err }, CodeSubjectNotFound, true},
			{"unknown version", func() error { _, err := r.DeleteVersion(ctx, "s", 9, false); return err }, CodeVersionNotFound, true},
			{"soft delete v1", func() error { _, err := r.DeleteVersion(ctx, "s", 1, false); return err }, 0, false},
			{"soft delete v1 again", func() error { _, err := r.DeleteVersion(ctx, "s", 1, false); return err }, CodeVersionSoftDeleted, true},
			{"soft-deleted version is not found", func() error { _, err := r.Version(ctx, "s", 1, false); return err }, CodeVersionNotFound, true},
			{"soft-deleted version is found with deleted", func() error { _, err := r.Version(ctx, "s", 1, true); return err }, 0, false},
			{"hard delete v1", func() error { _, err := r.DeleteVersion(ctx, "s", 1, true); return err }, 0, false},
			{"its schema is gone", func() error { _, err := r.SchemaByID(ctx, s1.ID); return err }, CodeSchemaNotFound, true},
			{"soft delete subject", func() error { _, err := r.DeleteSubject(ctx, "s", false); return err }, 0, false},
			{"soft delete subject again", func() error { _, err := r.DeleteSubject(ctx, "s", false); return err }, CodeSubjectSoftDeleted, true},
			{"soft-deleted subject is not listed", func() error { _, err := r.Versions(ctx, "s", SubjectFilter{}); return err }, CodeSubjectNotFound, true},
			{"hard delete subject", func() error { _, err := r.DeleteSubject(ctx, "s", true); return err }, 0, false},
			{"subject is gone", func() error { _, err := r.Version(ctx, "s", Latest, true); return err }, CodeSubjectNotFound, true},
		}
		for _, tt := range tests {
			err := tt.do()
			if tt.wantError {
				if ErrorCode(err) != tt.wantCode {
					t.Errorf("%s: got %v, want code %d", tt.name, err, tt.wantCode)
				}
			} else if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
		}
		subjects, _ := r.Subjects(ctx, SubjectFilter{Deleted: true})
		if len(subjects) != 0 {
			t.Fatalf("subjects after hard delete: %v", subjects)
		}
	})
}

func TestInputErrors(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		r := New(db, Formats())
		tests := []struct {
			name string
			do   func() error
			code int
		}{
			{"invalid schema", func() error {
				_, err := r.Register(ctx, "s", NewSchema{Schema: `{"type":"record"}`}, RegisterOptions{})
				return err
			}, CodeInvalidSchema},
			{"empty schema", func() error { _, err := r.Register(ctx, "s", NewSchema{}, RegisterOptions{}); return err }, CodeInvalidSchema},
			{"unknown type", func() error {
				_, err := r.Register(ctx, "s", NewSchema{Schema: "{}", SchemaType: "XML"}, RegisterOptions{})
				return err
			}, CodeInvalidSchema},
			{"control character in subject", func() error {
				_, err := r.Register(ctx, "a\x01b", NewSchema{Schema: `"int"`}, RegisterOptions{})
				return err
			}, CodeInvalidSubject},
			{"reserved subject", func() error {
				_, err := r.SetConfig(ctx, "__GLOBAL", ConfigUpdate{Compatibility: Set(None)})
				return err
			}, CodeInvalidSubject},
			{"version zero", func() error { _, err := ParseVersion("0"); return err }, CodeInvalidVersion},
			{"version 2^31", func() error { _, err := ParseVersion("2147483648"); return err }, CodeInvalidVersion},
			{"version word", func() error { _, err := ParseVersion("first"); return err }, CodeInvalidVersion},
			{"lookup in unknown subject", func() error { _, err := r.Lookup(ctx, "nope", NewSchema{Schema: `"int"`}, false, false); return err }, CodeSubjectNotFound},
			{"unknown id", func() error { _, err := r.SchemaByID(ctx, 42); return err }, CodeSchemaNotFound},
			{"check against a missing version", func() error {
				mustRegister(t, r, "c", record("C", 1))
				_, err := r.CheckCompatibility(ctx, "c", 5, false, NewSchema{Schema: record("C", 1)}, CheckOptions{})
				return err
			}, CodeVersionNotFound},
			{"lookup of an unknown schema", func() error { _, err := r.Lookup(ctx, "c", NewSchema{Schema: `"int"`}, false, false); return err }, CodeSchemaNotFound},
			// PostgreSQL's text holds UTF-8 only: bytes that are not are refused, or not found,
			// alike on both backends.
			{"subject not UTF-8", func() error {
				_, err := r.Register(ctx, "a\xffb", NewSchema{Schema: `"int"`}, RegisterOptions{})
				return err
			}, CodeInvalidSubject},
			{"versions of a subject not UTF-8", func() error { _, err := r.Version(ctx, "a\xffb", Latest, true); return err }, CodeSubjectNotFound},
			{"config of a subject not UTF-8", func() error { _, err := r.SubjectConfig(ctx, "a\xffb", false); return err }, CodeSubjectConfigNotFound},
			{"delete of a subject not UTF-8", func() error { _, err := r.DeleteSubject(ctx, "a\xffb", false); return err }, CodeSubjectNotFound},
			{"delete of a version of a subject not UTF-8", func() error { _, err := r.DeleteVersion(ctx, "a\xffb", 1, false); return err }, CodeSubjectNotFound},
			{"delete of the mode of a subject not UTF-8", func() error { _, err := r.DeleteMode(ctx, "a\xffb"); return err }, CodeSubjectNotFound},
			{"schema not UTF-8", func() error {
				_, err := r.Register(ctx, "s", NewSchema{Schema: "syntax = \"proto3\";\n// \xff\nmessage M {}", SchemaType: "PROTOBUF"}, RegisterOptions{})
				return err
			}, CodeInvalidSchema},
			{"version 2^31", func() error {
				_, err := r.Register(ctx, "s", NewSchema{Schema: `"int"`, Version: 1 << 31}, RegisterOptions{})
				return err
			}, CodeInvalidVersion},
			{"id 2^31", func() error {
				_, err := r.Register(ctx, "s", NewSchema{Schema: `"int"`, ID: 1 << 31}, RegisterOptions{})
				return err
			}, CodeInvalidSchema},
			{"next version out of order", func() error {
				_, err := r.Register(ctx, "c", NewSchema{Schema: record("C", 2), Version: 5}, RegisterOptions{})
				return err
			}, CodeInvalidSchema},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.do(), tt.code) })
		}
		if s, err := r.Subjects(ctx, SubjectFilter{Prefix: "a\xff"}); err != nil || len(s) != 0 {
			t.Errorf("subjects with a prefix that is not UTF-8: %v %v", s, err)
		}
		if f, err := r.Refusals(ctx, "a\xffb", 10); err != nil || len(f) != 0 {
			t.Errorf("refusals of a subject that is not UTF-8: %v %v", f, err)
		}
		if v, err := ParseVersion("2147483647"); err != nil || v != 2147483647 {
			t.Fatalf("2^31-1: %d %v", v, err)
		}
	})
}

// A store that fails answers 50001 (a connection problem is also marked pgdb.ErrUnavailable:
// see TestUnavailableDatabase).
func TestStoreFailureIs50001(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		r := New(db, Formats())
		db.Close()
		_, err := r.Register(ctx, "s", NewSchema{Schema: record("R", 1)}, RegisterOptions{})
		wantCode(t, err, CodeStore)
	})
}

func TestWarmLookupByIDTouchesNoDatabase(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		r := New(db, Formats())
		s := mustRegister(t, r, "s", record("R", 1))
		// What a registration wrote is in the cache: neither the id nor the subject is read
		// back.
		db.Close()
		if got, err := r.SchemaByID(ctx, s.ID); err != nil || got.ID != s.ID {
			t.Fatalf("warm lookup with the database closed: %+v %v", got, err)
		}
		if got, err := r.Version(ctx, "s", 1, false); err != nil || got.ID != s.ID {
			t.Fatalf("warm version with the database closed: %+v %v", got, err)
		}
		// Re-registering a live version is answered from memory too.
		if got, err := r.Register(ctx, "s", NewSchema{Schema: record("R", 1)}, RegisterOptions{}); err != nil || got.ID != s.ID {
			t.Fatalf("warm re-register: %+v %v", got, err)
		}
	})
}

// What was written survives a restart: a new registry on the store, with empty caches.
func TestSurvivesRestart(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		r := New(db, map[string]format.Format{"AVRO": avro.Format{}})
		a := mustRegister(t, r, "a", record("A", 1))
		r.SetConfig(ctx, "a", ConfigUpdate{Compatibility: Set(Full)})
		r.SetMode(ctx, "a", ReadOnly, false)

		r2 := New(db, map[string]format.Format{"AVRO": avro.Format{}})
		got, err := r2.Version(ctx, "a", 1, false)
		if err != nil || got.ID != a.ID || got.Schema != a.Schema {
			t.Fatalf("after restart: %+v %v", got, err)
		}
		if c, _ := r2.SubjectConfig(ctx, "a", false); c.CompatibilityLevel != Full {
			t.Fatalf("config after restart: %+v", c)
		}
		if m, _ := r2.SubjectMode(ctx, "a", false); m != ReadOnly {
			t.Fatalf("mode after restart: %q", m)
		}
	})
}
