package schemaregistry

import (
	"reflect"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/eventlens/eventlens/migrations"
	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/storage/storagetest"
)

// What only the store decides, on both backends. The rest of the store's behaviour is tested
// through the registry (registry_test.go).

// Two registries on one store without notices between them (two processes on one SQLite file,
// or replicas before a notice arrived) see each other's registrations when they register:
// the one whose view is stale decides again on the versions the store has.
func TestStaleViewDecidesAgain(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		a, b := New(db, Formats()), New(db, Formats())
		if _, err := b.Versions(ctx, "s", SubjectFilter{}); ErrorCode(err) != CodeSubjectNotFound { // b caches "no versions"
			t.Fatalf("versions of a new subject: %v", err)
		}
		v1 := mustRegister(t, a, "s", record("R", 1))

		// The same schema: b finds a's version instead of adding one.
		if got := mustRegister(t, b, "s", record("R", 1)); got.Version != 1 || got.ID != v1.ID {
			t.Errorf("the same schema from a stale view: version %d id %d, want version 1 id %d", got.Version, got.ID, v1.ID)
		}
		// An incompatible schema: refused against a's version, which b had not seen.
		mustRegister(t, b, "other", record("O", 1))
		v2 := mustRegister(t, a, "other", record("O", 2))
		_, err := b.Register(ctx, "other", NewSchema{Schema: mandatory("O", 3)}, RegisterOptions{})
		wantCode(t, err, CodeIncompatibleSchema)
		if refusals, err := b.Refusals(ctx, "other", 10); err != nil || len(refusals) != 1 || refusals[0].Against != v2.Version {
			t.Errorf("the refusal from a stale view: %+v %v, want one against version %d", refusals, err, v2.Version)
		}
		// A new schema: the version after a's.
		if got := mustRegister(t, b, "other", record("O", 3)); got.Version != 3 {
			t.Errorf("a new schema from a stale view: version %d, want 3", got.Version)
		}
	})
}

// A hard-deleted schema's id is never given again (clients cache ids for good), and ids stay
// dense otherwise.
func TestHardDeletedIDsAreNotReused(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		r := New(db, Formats())
		mustRegister(t, r, "a", record("A", 1))
		b := mustRegister(t, r, "b", record("B", 1))
		for _, permanent := range []bool{false, true} {
			if _, err := r.DeleteSubject(ctx, "b", permanent); err != nil {
				t.Fatal(err)
			}
		}
		if c := mustRegister(t, r, "c", record("C", 1)); c.ID != b.ID+1 {
			t.Errorf("after hard-deleting id %d the next id is %d, want %d", b.ID, c.ID, b.ID+1)
		}
		if again := mustRegister(t, r, "b", record("B", 1)); again.ID != b.ID+2 {
			t.Errorf("the hard-deleted schema registered again has id %d, want a new one, %d", again.ID, b.ID+2)
		}
	})
}

// What a client sends is stored as sent: a NUL in metadata and rule sets (which PostgreSQL's
// text and jsonb refuse raw) and non-ASCII text read back the same after a restart.
func TestStoredAsSent(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		in := NewSchema{
			Schema:   `{"type":"record","name":"Unicode","doc":"a \u0000 in a doc, 日本語","fields":[{"name":"f","type":"int"}]}`,
			Metadata: &Metadata{Properties: map[string]string{"owner\x00": "team \x00 ✓"}, Tags: map[string][]string{"f": {"PII"}}},
			RuleSet:  &RuleSet{DomainRules: []Rule{{Name: "check", Doc: "a \x00 doc", Kind: "CONDITION", Type: "CEL", Params: map[string]string{"k": "v\x00"}}}},
		}
		s, err := New(db, Formats()).Register(ctx, "ü-value", in, RegisterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := New(db, Formats()).Version(ctx, "ü-value", 1, false)
		if err != nil {
			t.Fatal(err)
		}
		if got.Schema != s.Schema || !reflect.DeepEqual(got.Metadata, in.Metadata) || !reflect.DeepEqual(got.RuleSet, in.RuleSet) || got.GUID != s.GUID {
			t.Errorf("read back\n%+v\nregistered\n%+v", got, s)
		}
	})
}

// A registration that fails in PostgreSQL fails alone, though it was in a group commit with
// others (see postgresStore.insertVersion).
func TestGroupCommitIsolatesAFailure(t *testing.T) {
	db := storagetest.Postgres(t)
	pending := func(subject string, version int) *pendingVersion {
		schema := &storedSchema{guid: subject, typ: "AVRO", text: `"int"`}
		return &pendingVersion{ctx: ctx, v: newVersion{subject: subject, version: version, schema: schema, created: 1}, done: make(chan struct{})}
	}
	good, bad := pending("good", 1), pending("bad", 1<<40) // the version does not fit PostgreSQL's integer
	newStore(db).(*postgresStore).commitGroup([]*pendingVersion{good, bad})
	<-good.done
	<-bad.done
	if good.err != nil || good.id != 1 {
		t.Errorf("the good registration: id %d, %v", good.id, good.err)
	}
	if bad.err == nil {
		t.Error("the bad registration succeeded")
	}
	if v, err := New(db, Formats()).Version(ctx, "good", 1, false); err != nil || v.ID != 1 {
		t.Errorf("the good registration is not stored: %+v %v", v, err)
	}
}

// SQLite's migration 14 moved the highest id given from sqlite_sequence to sr_ids (which
// migrate-store copies): a store that hard-deleted its newest schema before it still does not
// give that id again.
func TestMigrationKeepsTheHighestID(t *testing.T) {
	db := storagetest.SQLite(t)
	r := New(db, Formats())
	mustRegister(t, r, "a", record("A", 1))
	b := mustRegister(t, r, "b", record("B", 1))
	for _, permanent := range []bool{false, true} {
		if _, err := r.DeleteSubject(ctx, "b", permanent); err != nil {
			t.Fatal(err)
		}
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db.SQLite.Write, migrations.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 13); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if c := mustRegister(t, New(db, Formats()), "c", record("C", 1)); c.ID != b.ID+1 {
		t.Errorf("after the migration the next id is %d, want %d", c.ID, b.ID+1)
	}
}
