package schemaregistry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/eventlens/eventlens/pgdb"
	"github.com/eventlens/eventlens/pgdb/pgtest"
	"github.com/eventlens/eventlens/storage"
)

// Several replicas on one PostgreSQL: each test opens registries on one database, each on a
// pool of its own with its own listener, as processes have them (cmd/eventlens wires them so).

// replicas opens n registries on one fresh database, listening for each other's writes.
func replicas(t testing.TB, n int) []*Registry {
	t.Helper()
	return replicasAt(t, pgtest.URL(t), n)
}

func replicasAt(t testing.TB, u string, n int) []*Registry {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var wg sync.WaitGroup
	var out []*Registry
	for range n {
		db := pgtest.OpenURL(t, u)
		t.Cleanup(func() { cancel(); wg.Wait() }) // before the pool closes
		r := New(&storage.DB{Postgres: db}, Formats())
		handlers := r.ReplicaHandlers()
		listening := make(chan struct{})
		var once sync.Once
		h := handlers[ReplicaChannel]
		handlers[ReplicaChannel] = pgdb.Handler{Notified: h.Notified, Reload: func() { h.Reload(); once.Do(func() { close(listening) }) }}
		wg.Add(1)
		go func() {
			defer wg.Done()
			db.Listen(ctx, handlers, func(err error) {
				if ctx.Err() == nil {
					t.Logf("listen: %v", err)
				}
			})
		}()
		select {
		case <-listening:
		case <-time.After(10 * time.Second):
			t.Fatal("the listener did not connect within 10 s")
		}
		out = append(out, r)
	}
	return out
}

// within polls check until it holds or d passes, and says how long it took.
func within(t *testing.T, d time.Duration, what string, check func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !check() {
		if time.Since(start) > d {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

// A write of each kind on one replica is seen by the other within a second, though the other
// had read (and cached) what the write changed just before.
func TestReplicasSeeEachOthersWrites(t *testing.T) {
	rs := replicas(t, 2)
	a, b := rs[0], rs[1]
	var id int
	versions := func(r *Registry, subject string, deleted bool) string {
		v, err := r.Versions(ctx, subject, SubjectFilter{Deleted: deleted})
		return fmt.Sprint(v, ErrorCode(err))
	}
	listed := func(r *Registry) int {
		_, total, err := r.SubjectSummaries(ctx, SummaryQuery{})
		if err != nil {
			t.Fatal(err)
		}
		return total
	}
	steps := []struct {
		what  string
		write func(r *Registry) error
		seen  func(r *Registry) bool
	}{
		{"a registration", func(r *Registry) error {
			s, err := r.Register(ctx, "s", NewSchema{Schema: record("Only", 1)}, RegisterOptions{})
			id = s.ID
			return err
		}, func(r *Registry) bool { return versions(r, "s", false) == "[1] 0" && listed(r) == 1 }},
		{"a subject config", func(r *Registry) error {
			_, err := r.SetConfig(ctx, "s", ConfigUpdate{Compatibility: Set(Full)})
			return err
		}, func(r *Registry) bool {
			c, err := r.SubjectConfig(ctx, "s", false)
			return err == nil && c.CompatibilityLevel == Full
		}},
		{"the global config", func(r *Registry) error {
			_, err := r.SetConfig(ctx, "", ConfigUpdate{Compatibility: Set(None)})
			return err
		}, func(r *Registry) bool {
			c, err := r.GlobalConfig(ctx)
			return err == nil && c.CompatibilityLevel == None
		}},
		{"a deleted config", func(r *Registry) error { _, err := r.DeleteConfig(ctx, "s"); return err },
			func(r *Registry) bool {
				_, err := r.SubjectConfig(ctx, "s", false)
				return ErrorCode(err) == CodeSubjectConfigNotFound
			}},
		{"a subject mode", func(r *Registry) error { _, err := r.SetMode(ctx, "s", ReadOnly, false); return err },
			func(r *Registry) bool { m, err := r.SubjectMode(ctx, "s", false); return err == nil && m == ReadOnly }},
		{"a deleted mode", func(r *Registry) error { _, err := r.DeleteMode(ctx, "s"); return err },
			func(r *Registry) bool {
				_, err := r.SubjectMode(ctx, "s", false)
				return ErrorCode(err) == CodeSubjectModeNotFound
			}},
		{"a soft delete", func(r *Registry) error { _, err := r.DeleteVersion(ctx, "s", 1, false); return err },
			func(r *Registry) bool {
				return versions(r, "s", false) == "[] 40401" && versions(r, "s", true) == "[1] 0" && listed(r) == 0
			}},
		{"a hard delete", func(r *Registry) error { _, err := r.DeleteSubject(ctx, "s", true); return err },
			func(r *Registry) bool {
				_, err := r.SchemaByID(ctx, id)
				return ErrorCode(err) == CodeSchemaNotFound && versions(r, "s", true) == "[] 40401"
			}},
	}
	for i, step := range steps {
		// Each way round: the first replica writes, then the second.
		writer, reader := a, b
		if i%2 == 1 {
			writer, reader = b, a
		}
		if step.seen(reader) {
			t.Fatalf("%s: seen before it was written", step.what)
		}
		if err := step.write(writer); err != nil {
			t.Fatalf("%s: %v", step.what, err)
		}
		took := within(t, time.Second, step.what+" seen on the other replica", func() bool { return step.seen(reader) })
		t.Logf("%s seen on the other replica after %s", step.what, took)
	}
}

// Sixteen clients on two replicas register at once: distinct schemas under shared subjects and
// under their own, and one schema that all of them register, under one subject and under each
// of their own. Every registration succeeds; ids are unique and dense; the shared schema has one
// id and one version; each subject's versions are 1, 2, 3... with each version given to one
// registration; and both replicas answer the same.
func TestConcurrentRegistrationsOnTwoReplicas(t *testing.T) {
	rs := replicas(t, 2)
	if _, err := rs[0].SetConfig(ctx, "", ConfigUpdate{Compatibility: Set(None)}); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "the config on the other replica", func() bool {
		c, err := rs[1].GlobalConfig(ctx)
		return err == nil && c.CompatibilityLevel == None
	})
	const clients, rounds = 16, 12
	same := record("Same", 1)
	type result struct {
		subject string
		schema  string
		got     Schema
	}
	var mu sync.Mutex
	var results []result
	var wg sync.WaitGroup
	for c := range clients {
		r := rs[c%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				for _, reg := range []struct{ subject, schema string }{
					{fmt.Sprint("shared-", i%3), record(fmt.Sprintf("C%dR%d", c, i), 1)},
					{fmt.Sprint("own-", c), record(fmt.Sprintf("Own%dR%d", c, i), 1)},
					{"same", same},
					{fmt.Sprint("own-", c), same},
				} {
					s, err := r.Register(ctx, reg.subject, NewSchema{Schema: reg.schema}, RegisterOptions{})
					if err != nil {
						t.Errorf("client %d registering under %s: %v", c, reg.subject, err)
						return
					}
					mu.Lock()
					results = append(results, result{reg.subject, reg.schema, s})
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	ids := map[string]int{}              // schema text → id
	given := map[SubjectVersion]string{} // subject version → the schema registered as it
	for _, res := range results {
		if id, ok := ids[res.schema]; ok && id != res.got.ID {
			t.Errorf("schema %s has ids %d and %d", res.schema, id, res.got.ID)
		}
		ids[res.schema] = res.got.ID
		sv := SubjectVersion{res.subject, res.got.Version}
		if s, ok := given[sv]; ok && s != res.schema {
			t.Errorf("%s version %d given to two schemas", sv.Subject, sv.Version)
		}
		given[sv] = res.schema
	}
	var all []int
	for _, id := range ids {
		all = append(all, id)
	}
	slices.Sort(all)
	for i, id := range all {
		if id != i+1 {
			t.Fatalf("ids %v are not 1, 2, 3...", all)
		}
	}
	for _, r := range rs {
		if n, err := r.MaxID(ctx, ""); err != nil || n != len(ids) {
			t.Errorf("max id %d (%v), want %d", n, err, len(ids))
		}
	}
	// Both replicas, once they heard everything, list the same versions, each 1, 2, 3... and
	// each the schema registered as it.
	subjects, err := rs[0].Subjects(ctx, SubjectFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, subject := range subjects {
		var want string
		within(t, time.Second, subject+" alike on both replicas", func() bool {
			v0, _ := rs[0].History(ctx, subject)
			v1, _ := rs[1].History(ctx, subject)
			want = fmt.Sprint(v0)
			return want == fmt.Sprint(v1)
		})
		history, err := rs[1].History(ctx, subject)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range history {
			if v.Version != i+1 || given[SubjectVersion{subject, v.Version}] != v.Schema || ids[v.Schema] != v.ID {
				t.Errorf("%s: version %d (%d of the history) is schema %d, registered as %q", subject, v.Version, i+1, v.ID, given[SubjectVersion{subject, v.Version}])
			}
		}
	}
	if h, _ := rs[0].History(ctx, "same"); len(h) != 1 {
		t.Errorf("the schema all clients registered under one subject has %d versions, want 1", len(h))
	}
}

// While the database cannot be reached, what a replica holds in memory is still answered, and
// everything else fails with pgdb.ErrUnavailable (the server answers 503 with Retry-After) and
// the registry's code 50001, never as "not found"; once the database is back it works again,
// on the same pool.
func TestUnavailableDatabase(t *testing.T) {
	p, u := pgtest.NewProxy(t, pgtest.URL(t))
	db, err := pgdb.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r := New(&storage.DB{Postgres: db}, Formats())
	s := mustRegister(t, r, "s", record("R", 1))

	p.Stop()
	if got, err := r.SchemaByID(ctx, s.ID); err != nil || got.ID != s.ID {
		t.Errorf("a cached schema while the database is away: %+v %v", got, err)
	}
	for what, call := range map[string]func() error{
		"an id not cached":     func() error { _, err := r.SchemaByID(ctx, s.ID+1); return err },
		"a subject not cached": func() error { _, err := r.Versions(ctx, "other", SubjectFilter{}); return err },
		"a registration": func() error {
			_, err := r.Register(ctx, "s", NewSchema{Schema: record("R", 2)}, RegisterOptions{})
			return err
		},
		"a refused registration": func() error {
			_, err := r.Register(ctx, "s", NewSchema{Schema: mandatory("R", 2)}, RegisterOptions{})
			return err
		},
		"a config":         func() error { _, err := r.SetConfig(ctx, "s", ConfigUpdate{Compatibility: Set(Full)}); return err },
		"a mode":           func() error { _, err := r.SetMode(ctx, "s", ReadOnly, false); return err },
		"a delete":         func() error { _, err := r.DeleteVersion(ctx, "s", 1, false); return err },
		"the subjects":     func() error { _, err := r.Subjects(ctx, SubjectFilter{}); return err },
		"the refusals":     func() error { _, err := r.Refusals(ctx, "", 10); return err },
		"a lookup by guid": func() error { _, err := r.SchemaByGUID(ctx, s.GUID); return err },
	} {
		// The pool may hold connections the proxy cut: every call, not only the first, fails.
		for i := range 3 {
			if err := call(); !errors.Is(err, pgdb.ErrUnavailable) || ErrorCode(err) != CodeStore {
				t.Errorf("%s (try %d) while the database is away: %v (code %d), want pgdb.ErrUnavailable and 50001", what, i+1, err, ErrorCode(err))
			}
		}
	}

	p.Start() // the database is back
	within(t, 10*time.Second, "registrations work again", func() bool {
		_, err := r.Register(ctx, "s", NewSchema{Schema: record("R", 2)}, RegisterOptions{})
		return err == nil
	})
	if v, err := r.Versions(ctx, "s", SubjectFilter{}); err != nil || fmt.Sprint(v) != "[1 2]" {
		t.Errorf("versions once the database is back: %v %v", v, err)
	}
}

// A registration whose caller gave up while it waited for the write lock commits afterwards;
// the replica it ran on sees it once its notice comes, though it had read the subject (without
// it) in between.
func TestRegistrationCommittedAfterItsCallerGaveUp(t *testing.T) {
	u := pgtest.URL(t)
	r := replicasAt(t, u, 1)[0]
	locker, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close(ctx)
	if _, err := locker.Exec(ctx, `SELECT pg_advisory_lock($1)`, pgWriteLock); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := r.Register(short, "late", NewSchema{Schema: record("Late", 1)}, RegisterOptions{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a registration behind the lock: %v, want the caller's deadline", err)
	}
	if _, err := r.Versions(ctx, "late", SubjectFilter{}); ErrorCode(err) != CodeSubjectNotFound {
		t.Fatalf("versions before the commit: %v", err)
	}
	if _, err := locker.Exec(ctx, `SELECT pg_advisory_unlock($1)`, pgWriteLock); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "the late registration seen", func() bool {
		v, err := r.Versions(ctx, "late", SubjectFilter{})
		return err == nil && len(v) == 1
	})
}
