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
	ok, err := cl.TestCompatibility("payments-value", -1, ckgsr.SchemaInfo{Schema: avroRecord("Payment", 3)})
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
	if versions, err := cl.DeleteSubject("payments-value", true); err != nil || len(versions) != 1 {
		t.Fatalf("hard delete: %v %v", versions, err)
	}
}
