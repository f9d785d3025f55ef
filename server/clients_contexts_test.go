package server

import (
	"context"
	"errors"
	"reflect"
	"testing"

	ckgsr "github.com/confluentinc/confluent-kafka-go/v2/schemaregistry"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/storage/storagetest"
	"github.com/eventlens/eventlens/tracing"
)

// franz-go's pkg/sr in contexts, both ways it offers: qualified subject names and sr.InContext
// (the /contexts/{context}/ prefix). Each context counts its own ids.
func TestFranzGoClientContexts(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ts := startServerOn(t, db, tracing.Config{})
		ctx := context.Background()
		staging := sr.InContext(ctx, ".staging")
		cl, err := sr.NewClient(sr.URLs(ts.URL))
		if err != nil {
			t.Fatal(err)
		}
		a, b, c := avroRecord("A", 1), avroRecord("B", 1), avroRecord("C", 1)
		def, err := cl.CreateSchema(ctx, "orders-value", sr.Schema{Schema: a})
		if err != nil || def.ID != 1 {
			t.Fatalf("default context: %+v %v", def, err)
		}
		st, err := cl.CreateSchema(staging, "orders-value", sr.Schema{Schema: b})
		if err != nil || st.ID != 1 || st.Subject != ":.staging:orders-value" {
			t.Fatalf("in staging: %+v %v", st, err)
		}
		// A qualified name registers in its context too (RegisterSchema: CreateSchema reads the
		// id back from the default context, as it would from Confluent's).
		id, err := cl.RegisterSchema(ctx, ":.staging:payments-value", sr.Schema{Schema: c}, -1, -1)
		if err != nil || id != 2 {
			t.Fatalf("qualified name: %d %v", id, err)
		}

		for _, q := range []struct {
			ctx  context.Context
			id   int
			want string
		}{{ctx, 1, a}, {staging, 1, b}, {staging, 2, c}} {
			if s, err := cl.SchemaByID(q.ctx, q.id); err != nil || s.Schema != q.want {
				t.Errorf("id %d: %+v %v, want %s", q.id, s, err, q.want)
			}
		}
		if _, err := cl.SchemaByID(ctx, 2); !hasCode(err, 40403) {
			t.Errorf("id 2 of the default context: %v, want 40403", err)
		}
		if got, err := cl.LookupSchema(ctx, ":.staging:orders-value", sr.Schema{Schema: b}); err != nil || got.ID != 1 || got.Version != 1 {
			t.Errorf("lookup: %+v %v", got, err)
		}
		if got, err := cl.SchemaByVersion(staging, "payments-value", -1); err != nil || got.ID != 2 || got.Subject != ":.staging:payments-value" {
			t.Errorf("latest in staging: %+v %v", got, err)
		}
		if got, err := cl.Contexts(ctx); err != nil || !reflect.DeepEqual(got, []string{".", ".staging"}) {
			t.Errorf("contexts: %q %v", got, err)
		}
		if got, err := cl.Subjects(ctx); err != nil || !reflect.DeepEqual(got, []string{":.staging:orders-value", ":.staging:payments-value", "orders-value"}) {
			t.Errorf("subjects: %q %v", got, err)
		}
		if got, err := cl.Subjects(staging); err != nil || !reflect.DeepEqual(got, []string{":.staging:orders-value", ":.staging:payments-value"}) {
			t.Errorf("subjects in staging: %q %v", got, err)
		}

		// The context's own compatibility: NONE there, BACKWARD in the default context.
		for _, r := range cl.SetCompatibility(staging, sr.SetCompatibility{Level: sr.CompatNone}) {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
		}
		breaking := sr.Schema{Schema: `{"type":"record","name":"A","fields":[{"name":"f0","type":"string"}]}`}
		if _, err := cl.CreateSchema(staging, "orders-value", breaking); err != nil {
			t.Errorf("staging takes NONE: %v", err)
		}
		if _, err := cl.CreateSchema(ctx, "orders-value", breaking); !hasCode(err, 409) {
			t.Errorf("the default context keeps BACKWARD: %v", err)
		}

		if err := cl.DeleteContext(ctx, ".staging"); !hasCode(err, 42211) {
			t.Errorf("delete a context with subjects: %v, want 42211", err)
		}
		for _, how := range []sr.DeleteHow{sr.SoftDelete, sr.HardDelete} {
			for _, subject := range []string{"orders-value", "payments-value"} {
				if _, err := cl.DeleteSubject(staging, subject, how); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := cl.DeleteContext(ctx, ".staging"); err != nil {
			t.Errorf("delete an empty context: %v", err)
		}
		if got, err := cl.Contexts(ctx); err != nil || !reflect.DeepEqual(got, []string{"."}) {
			t.Errorf("contexts after the delete: %q %v", got, err)
		}
	})
}

// confluent-kafka-go's schemaregistry client with qualified subjects, and with a base URL in a
// context, sees each context's own ids.
func TestConfluentGoClientContexts(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ts := startServerOn(t, db, tracing.Config{})
		cl, err := ckgsr.NewClient(ckgsr.NewConfig(ts.URL))
		if err != nil {
			t.Fatal(err)
		}
		a, b, c := avroRecord("A", 1), avroRecord("B", 1), avroRecord("C", 1)
		for _, reg := range []struct {
			subject, schema string
			id              int
		}{{"orders-value", a, 1}, {":.staging:orders-value", b, 1}, {":.staging:payments-value", c, 2}} {
			if id, err := cl.Register(reg.subject, ckgsr.SchemaInfo{Schema: reg.schema}, false); err != nil || id != reg.id {
				t.Fatalf("register %s: %d %v, want id %d", reg.subject, id, err, reg.id)
			}
		}
		for _, q := range []struct {
			subject string
			id      int
			want    string
		}{{"orders-value", 1, a}, {":.staging:orders-value", 1, b}, {":.staging:payments-value", 2, c}} {
			if info, err := cl.GetBySubjectAndID(q.subject, q.id); err != nil || info.Schema != q.want {
				t.Errorf("%s id %d: %+v %v, want %s", q.subject, q.id, info, err, q.want)
			}
		}
		if id, err := cl.GetID(":.staging:orders-value", ckgsr.SchemaInfo{Schema: b}, false); err != nil || id != 1 {
			t.Errorf("get id in staging: %d %v", id, err)
		}
		if latest, err := cl.GetLatestSchemaMetadata(":.staging:payments-value"); err != nil || latest.ID != 2 || latest.Version != 1 {
			t.Errorf("latest in staging: %+v %v", latest, err)
		}
		if subjects, err := cl.GetAllSubjects(); err != nil || !reflect.DeepEqual(subjects, []string{":.staging:orders-value", ":.staging:payments-value", "orders-value"}) {
			t.Errorf("subjects: %q %v", subjects, err)
		}

		// A client whose base URL is the context: plain names, the context's ids.
		inStaging, err := ckgsr.NewClient(ckgsr.NewConfig(ts.URL + "/contexts/.staging"))
		if err != nil {
			t.Fatal(err)
		}
		id, err := inStaging.Register("audit-value", ckgsr.SchemaInfo{Schema: a}, false)
		if err != nil || id != 3 {
			t.Fatalf("register through the context's URL: %d %v, want 3", id, err)
		}
		if info, err := inStaging.GetBySubjectAndID("audit-value", 3); err != nil || info.Schema != a {
			t.Errorf("read through the context's URL: %+v %v", info, err)
		}
		if info, err := cl.GetBySubjectAndID(":.staging:audit-value", 3); err != nil || info.Schema != a {
			t.Errorf("read by its qualified name: %+v %v", info, err)
		}
		if _, err := cl.GetBySubjectAndID("orders-value", 3); err == nil {
			t.Error("id 3 found in the default context")
		}
	})
}

// hasCode reports whether err is a registry error answer with Confluent's code.
func hasCode(err error, code int) bool {
	var re *sr.ResponseError
	return errors.As(err, &re) && re.ErrorCode == code
}
