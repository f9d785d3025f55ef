package schemaregistry

import (
	"testing"
	"time"

	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/storage/storagetest"
)

// TestRefusalsAreRecorded: a registration refused as incompatible is written down with the level,
// the version it broke and why; compatible registrations, compatibility questions and other
// errors are not; the list survives a restart, keeps the newest of each subject, and goes with
// a hard-deleted subject.
func TestRefusalsAreRecorded(t *testing.T) {
	storagetest.Each(t, testRefusalsAreRecorded)
}

func testRefusalsAreRecorded(t *testing.T, db *storage.DB) {
	r := New(db, Formats())
	at := time.UnixMilli(1_700_000_000_000)
	r.now = func() time.Time { return at }

	mustRegister(t, r, "orders-value", record("Order", 1))
	mustRegister(t, r, "orders-value", record("Order", 2))
	mustRegister(t, r, "other-value", record("Other", 1))
	if _, err := r.CheckCompatibility(ctx, "orders-value", Latest, false, NewSchema{Schema: mandatory("Order", 3)}, CheckOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := r.Register(ctx, "orders-value", NewSchema{Schema: `{"type":`}, RegisterOptions{})
	wantCode(t, err, CodeInvalidSchema)
	if got, err := r.Refusals(ctx, "", 10); err != nil || len(got) != 0 {
		t.Fatalf("refusals before any: %+v %v", got, err)
	}

	_, err = r.Register(ctx, "orders-value", NewSchema{Schema: mandatory("Order", 3)}, RegisterOptions{})
	wantCode(t, err, CodeIncompatibleSchema)
	r.SetConfig(ctx, "other-value", ConfigUpdate{Compatibility: Set(Forward)})
	at = at.Add(time.Minute)
	_, err = r.Register(ctx, "other-value", NewSchema{Schema: `{"type":"record","name":"Other","fields":[]}`}, RegisterOptions{})
	wantCode(t, err, CodeIncompatibleSchema)

	r2 := New(db, Formats()) // what was refused survives a restart
	got, err := r2.Refusals(ctx, "orders-value", 10)
	if err != nil || len(got) != 1 {
		t.Fatalf("refusals of orders-value: %+v %v", got, err)
	}
	f := got[0]
	if f.Subject != "orders-value" || f.SchemaType != "AVRO" || f.Level != Backward || f.Against != 2 || f.ReasonCount != 1 ||
		f.Timestamp != 1_700_000_000_000 || len(f.Reasons) != 1 || f.Reasons[0].Type != "READER_FIELD_MISSING_DEFAULT_VALUE" ||
		f.Reasons[0].Path != "/fields/2" || f.Reasons[0].Message == "" || f.Reasons[0].Message[0] == '{' {
		t.Errorf("refusal %+v, want a BACKWARD break of version 2 by field f2 without a default, in plain words", f)
	}
	all, err := r2.Refusals(ctx, "", 10)
	if err != nil || len(all) != 2 || all[0].Subject != "other-value" || all[0].Level != Forward || all[1].Subject != "orders-value" {
		t.Fatalf("all refusals, newest first: %+v %v", all, err)
	}

	for i := range refusalsKept + 5 {
		at = at.Add(time.Second)
		_, err := r.Register(ctx, "orders-value", NewSchema{Schema: mandatory("Order", 3+i)}, RegisterOptions{})
		wantCode(t, err, CodeIncompatibleSchema)
	}
	got, err = r.Refusals(ctx, "orders-value", 100)
	if err != nil || len(got) != refusalsKept || got[0].Timestamp != at.UnixMilli() {
		t.Fatalf("%d refusals kept, want the newest %d, the first at %d: %+v %v", len(got), refusalsKept, at.UnixMilli(), got, err)
	}

	for _, permanent := range []bool{false, true} {
		if _, err := r.DeleteSubject(ctx, "orders-value", permanent); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := r.Refusals(ctx, "", 100); err != nil || len(got) != 1 || got[0].Subject != "other-value" {
		t.Fatalf("refusals after orders-value is gone: %+v %v", got, err)
	}
}
