package server

import (
	"context"
	"testing"

	ckgsr "github.com/confluentinc/confluent-kafka-go/v2/schemaregistry"
	"github.com/twmb/franz-go/pkg/sr"
)

// TestFranzGoClient drives the registry with franz-go's pkg/sr, as Go services do.
func TestFranzGoClient(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	cl, err := sr.NewClient(sr.URLs(ts.URL))
	if err != nil {
		t.Fatal(err)
	}
	v1, err := cl.CreateSchema(ctx, "orders-value", sr.Schema{Schema: avroRecord("Order", 1)})
	if err != nil {
		t.Fatal(err)
	}
	if v1.ID != 1 || v1.Version != 1 {
		t.Fatalf("create: %+v", v1)
	}
	v2, err := cl.CreateSchema(ctx, "orders-value", sr.Schema{Schema: avroRecord("Order", 2)})
	if err != nil || v2.Version != 2 {
		t.Fatalf("create v2: %+v %v", v2, err)
	}
	looked, err := cl.LookupSchema(ctx, "orders-value", sr.Schema{Schema: avroRecord("Order", 1)})
	if err != nil || looked.ID != v1.ID || looked.Version != 1 {
		t.Fatalf("lookup: %+v %v", looked, err)
	}
	byID, err := cl.SchemaByID(ctx, v2.ID)
	if err != nil || byID.Schema != avroRecord("Order", 2) {
		t.Fatalf("by id: %+v %v", byID, err)
	}
	ok, err := cl.CheckCompatibility(ctx, "orders-value", -1, sr.Schema{Schema: avroRecord("Order", 3)})
	if err != nil || !ok.Is {
		t.Fatalf("check: %+v %v", ok, err)
	}
	bad, err := cl.CheckCompatibility(ctx, "orders-value", -1, sr.Schema{Schema: `{"type":"record","name":"Order","fields":[{"name":"f0","type":"string"}]}`})
	if err != nil || bad.Is {
		t.Fatalf("check incompatible: %+v %v", bad, err)
	}
	for _, r := range cl.SetCompatibility(ctx, sr.SetCompatibility{Level: sr.CompatFull}, "orders-value") {
		if r.Err != nil || r.Level != sr.CompatFull {
			t.Fatalf("set compatibility: %+v", r)
		}
	}
	for _, r := range cl.Compatibility(ctx, "orders-value") {
		if r.Err != nil || r.Level != sr.CompatFull {
			t.Fatalf("compatibility: %+v", r)
		}
	}
	for _, r := range cl.SetMode(ctx, sr.ModeReadOnly, "orders-value") {
		if r.Err != nil || r.Mode != sr.ModeReadOnly {
			t.Fatalf("set mode: %+v", r)
		}
	}
	if _, err := cl.CreateSchema(ctx, "orders-value", sr.Schema{Schema: avroRecord("Order", 3)}); err == nil {
		t.Fatal("registered in READONLY mode")
	}
	cl.SetMode(ctx, sr.ModeReadWrite, "orders-value")
	if err := cl.DeleteSchema(ctx, "orders-value", 1, sr.SoftDelete); err != nil {
		t.Fatal(err)
	}
	if err := cl.DeleteSchema(ctx, "orders-value", 1, sr.HardDelete); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.DeleteSubject(ctx, "orders-value", sr.SoftDelete); err != nil {
		t.Fatal(err)
	}
	if versions, err := cl.DeleteSubject(ctx, "orders-value", sr.HardDelete); err != nil || len(versions) != 1 {
		t.Fatalf("hard delete: %v %v", versions, err)
	}
	if subjects, err := cl.Subjects(ctx); err != nil || len(subjects) != 0 {
		t.Fatalf("subjects: %v %v", subjects, err)
	}
}

// TestConfluentGoClient drives the registry with confluent-kafka-go's schemaregistry client.
func TestConfluentGoClient(t *testing.T) {
	ts := startServer(t)
	cl, err := ckgsr.NewClient(ckgsr.NewConfig(ts.URL))
	if err != nil {
		t.Fatal(err)
	}
	id, err := cl.Register("payments-value", ckgsr.SchemaInfo{Schema: avroRecord("Payment", 1)}, false)
	if err != nil || id != 1 {
		t.Fatalf("register: %d %v", id, err)
	}
	id2, err := cl.Register("payments-value", ckgsr.SchemaInfo{Schema: avroRecord("Payment", 2)}, false)
	if err != nil || id2 != 2 {
		t.Fatalf("register v2: %d %v", id2, err)
	}
	got, err := cl.GetID("payments-value", ckgsr.SchemaInfo{Schema: avroRecord("Payment", 1)}, false)
	if err != nil || got != id {
		t.Fatalf("get id: %d %v", got, err)
	}
	info, err := cl.GetBySubjectAndID("payments-value", id2)
	if err != nil || info.Schema != avroRecord("Payment", 2) {
		t.Fatalf("by id: %+v %v", info, err)
	}
	latest, err := cl.GetLatestSchemaMetadata("payments-value")
	if err != nil || latest.Version != 2 || latest.ID != id2 {
		t.Fatalf("latest: %+v %v", latest, err)
	}
	// Data contracts: the newest version whose metadata says major version 1.
	if _, err := cl.Register("payments-value", ckgsr.SchemaInfo{Schema: avroRecord("Payment", 3),
		Metadata: &ckgsr.Metadata{Properties: map[string]string{"major": "1"}}}, false); err != nil {
		t.Fatal(err)
	}
	if m, err := cl.GetLatestWithMetadata("payments-value", map[string]string{"major": "1"}, false); err != nil || m.Version != 3 {
		t.Fatalf("latest with metadata: %+v %v", m, err)
	}
	if _, err := cl.GetLatestWithMetadata("payments-value", map[string]string{"major": "2"}, false); err == nil {
		t.Fatal("latest with metadata major=2 found a version")
	}
	ok, err := cl.TestCompatibility("payments-value", -1, ckgsr.SchemaInfo{Schema: avroRecord("Payment", 4)})
	if err != nil || !ok {
		t.Fatalf("compatibility: %v %v", ok, err)
	}
	ok, err = cl.TestCompatibility("payments-value", -1, ckgsr.SchemaInfo{Schema: `{"type":"record","name":"Payment","fields":[{"name":"f0","type":"string"}]}`})
	if err != nil || ok {
		t.Fatalf("incompatible: %v %v", ok, err)
	}
	if _, err := cl.UpdateCompatibility("payments-value", ckgsr.Full); err != nil {
		t.Fatal(err)
	}
	if level, err := cl.GetCompatibility("payments-value"); err != nil || level != ckgsr.Full {
		t.Fatalf("get compatibility: %v %v", level, err)
	}
	if _, err := cl.DeleteSubjectVersion("payments-value", 1, false); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.DeleteSubjectVersion("payments-value", 1, true); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.DeleteSubject("payments-value", false); err != nil {
		t.Fatal(err)
	}
	if versions, err := cl.DeleteSubject("payments-value", true); err != nil || len(versions) != 2 {
		t.Fatalf("hard delete: %v %v", versions, err)
	}
}

// referencingFormats are, for Protobuf and JSON Schema, a schema that references another
// subject (which references a third), a compatible next version and an incompatible one.
var referencingFormats = []struct {
	typ                             string
	base, other, main, next, broken string
	baseName, otherName             string
}{
	{"PROTOBUF", protoBase, protoOther, protoMain, protoMainNext, protoMainBroken, "base.proto", "other.proto"},
	{"JSON", jsonBase, jsonOther, jsonMain, jsonMainNext, jsonMainBroken, "money.json", "https://example.com/schemas/line.json"},
}

// TestFranzGoClientJSONAndProtobuf round-trips Protobuf and JSON schemas with references
// through franz-go's pkg/sr.
func TestFranzGoClientJSONAndProtobuf(t *testing.T) {
	for _, f := range referencingFormats {
		t.Run(f.typ, func(t *testing.T) {
			ts := startServer(t)
			ctx := context.Background()
			cl, err := sr.NewClient(sr.URLs(ts.URL))
			if err != nil {
				t.Fatal(err)
			}
			var typ sr.SchemaType
			if err := typ.UnmarshalText([]byte(f.typ)); err != nil {
				t.Fatal(err)
			}
			base, err := cl.CreateSchema(ctx, "base", sr.Schema{Schema: f.base, Type: typ})
			if err != nil {
				t.Fatal(err)
			}
			other, err := cl.CreateSchema(ctx, "other", sr.Schema{Schema: f.other, Type: typ,
				References: []sr.SchemaReference{{Name: f.baseName, Subject: "base", Version: base.Version}}})
			if err != nil {
				t.Fatal(err)
			}
			refs := []sr.SchemaReference{{Name: f.otherName, Subject: "other", Version: other.Version}}
			main, err := cl.CreateSchema(ctx, "orders-value", sr.Schema{Schema: f.main, Type: typ, References: refs})
			if err != nil {
				t.Fatal(err)
			}
			if main.Type != typ || len(main.References) != 1 || main.References[0] != refs[0] {
				t.Fatalf("create: %+v", main)
			}
			looked, err := cl.LookupSchema(ctx, "orders-value", sr.Schema{Schema: f.main, Type: typ, References: refs})
			if err != nil || looked.ID != main.ID || looked.Version != 1 {
				t.Fatalf("lookup: %+v %v", looked, err)
			}
			byID, err := cl.SchemaByID(ctx, main.ID)
			if err != nil || byID.Type != typ || byID.Schema != main.Schema.Schema || len(byID.References) != 1 {
				t.Fatalf("by id: %+v %v", byID, err)
			}
			ok, err := cl.CheckCompatibility(ctx, "orders-value", -1, sr.Schema{Schema: f.next, Type: typ, References: refs})
			if err != nil || !ok.Is {
				t.Fatalf("check: %+v %v", ok, err)
			}
			bad, err := cl.CheckCompatibility(ctx, "orders-value", -1, sr.Schema{Schema: f.broken, Type: typ, References: refs})
			if err != nil || bad.Is {
				t.Fatalf("check incompatible: %+v %v", bad, err)
			}
			if _, err := cl.CreateSchema(ctx, "orders-value", sr.Schema{Schema: f.broken, Type: typ, References: refs}); err == nil {
				t.Fatal("registered an incompatible schema")
			}
			users, err := cl.SchemaReferences(ctx, "other", other.Version)
			if err != nil || len(users) != 1 || users[0].Subject != "orders-value" || users[0].ID != main.ID {
				t.Fatalf("referenced by: %+v %v", users, err)
			}
			if err := cl.DeleteSchema(ctx, "other", other.Version, sr.SoftDelete); err == nil {
				t.Fatal("deleted a referenced version")
			}
			if _, err := cl.DeleteSubject(ctx, "orders-value", sr.SoftDelete); err != nil {
				t.Fatal(err)
			}
			if _, err := cl.DeleteSubject(ctx, "orders-value", sr.HardDelete); err != nil {
				t.Fatal(err)
			}
			if err := cl.DeleteSchema(ctx, "other", other.Version, sr.SoftDelete); err != nil {
				t.Fatalf("delete once unreferenced: %v", err)
			}
		})
	}
}

// TestConfluentGoClientJSONAndProtobuf round-trips Protobuf and JSON schemas with references
// through confluent-kafka-go's schemaregistry client.
func TestConfluentGoClientJSONAndProtobuf(t *testing.T) {
	for _, f := range referencingFormats {
		t.Run(f.typ, func(t *testing.T) {
			ts := startServer(t)
			cl, err := ckgsr.NewClient(ckgsr.NewConfig(ts.URL))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := cl.Register("base", ckgsr.SchemaInfo{Schema: f.base, SchemaType: f.typ}, false); err != nil {
				t.Fatal(err)
			}
			if _, err := cl.Register("other", ckgsr.SchemaInfo{Schema: f.other, SchemaType: f.typ,
				References: []ckgsr.Reference{{Name: f.baseName, Subject: "base", Version: 1}}}, false); err != nil {
				t.Fatal(err)
			}
			refs := []ckgsr.Reference{{Name: f.otherName, Subject: "other", Version: 1}}
			info := ckgsr.SchemaInfo{Schema: f.main, SchemaType: f.typ, References: refs}
			id, err := cl.Register("payments-value", info, false)
			if err != nil {
				t.Fatal(err)
			}
			// A fresh client (no cache) finds the same id, by lookup and normalized.
			fresh, _ := ckgsr.NewClient(ckgsr.NewConfig(ts.URL))
			if got, err := fresh.GetID("payments-value", info, false); err != nil || got != id {
				t.Fatalf("get id: %d %v", got, err)
			}
			if got, err := fresh.GetID("payments-value", info, true); err != nil || got != id {
				t.Fatalf("get id normalized: %d %v", got, err)
			}
			byID, err := fresh.GetBySubjectAndID("payments-value", id)
			if err != nil || byID.SchemaType != f.typ || len(byID.References) != 1 || byID.References[0] != refs[0] {
				t.Fatalf("by id: %+v %v", byID, err)
			}
			latest, err := fresh.GetLatestSchemaMetadata("payments-value")
			if err != nil || latest.Version != 1 || latest.ID != id || latest.SchemaType != f.typ {
				t.Fatalf("latest: %+v %v", latest, err)
			}
			ok, err := cl.TestCompatibility("payments-value", -1, ckgsr.SchemaInfo{Schema: f.next, SchemaType: f.typ, References: refs})
			if err != nil || !ok {
				t.Fatalf("compatibility: %v %v", ok, err)
			}
			ok, err = cl.TestCompatibility("payments-value", -1, ckgsr.SchemaInfo{Schema: f.broken, SchemaType: f.typ, References: refs})
			if err != nil || ok {
				t.Fatalf("incompatible: %v %v", ok, err)
			}
			if _, err := cl.Register("payments-value", ckgsr.SchemaInfo{Schema: f.next, SchemaType: f.typ, References: refs}, false); err != nil {
				t.Fatal(err)
			}
			if _, err := cl.DeleteSubjectVersion("other", 1, false); err == nil {
				t.Fatal("deleted a referenced version")
			}
			if _, err := cl.DeleteSubject("payments-value", false); err != nil {
				t.Fatal(err)
			}
			if versions, err := cl.DeleteSubject("payments-value", true); err != nil || len(versions) != 2 {
				t.Fatalf("hard delete: %v %v", versions, err)
			}
			if _, err := cl.DeleteSubjectVersion("other", 1, false); err != nil {
				t.Fatalf("delete once unreferenced: %v", err)
			}
		})
	}
}
