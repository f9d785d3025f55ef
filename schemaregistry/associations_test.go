package schemaregistry

import (
	"testing"

	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/storage/storagetest"
)

func weak(subject, typ string) AssociationChange {
	return AssociationChange{Subject: subject, AssociationType: typ, Lifecycle: Weak}
}

func topic(name, id string, changes ...AssociationChange) AssociationRequest {
	return AssociationRequest{ResourceName: name, ResourceNamespace: "lkc-1", ResourceID: id, Associations: changes}
}

// Associations are stored and answered by subject, by resource id and by resource name, in any
// namespace with "-", with Confluent's rules for creating, updating and deleting them.
func TestAssociations(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		r := New(db, Formats())
		mustRegister(t, r, "orders-contract", record("Order", 1))
		mustRegister(t, r, "orders-key-contract", record("OrderKey", 1))

		if _, err := r.CreateAssociations(ctx, topic("orders", "t-1", weak("orders-contract", "")), true); err != nil {
			t.Fatal(err)
		}
		list, err := r.AssociationsByResourceName(ctx, "orders", AnyNamespace, AssociationFilter{AssociationTypes: []string{"value"}})
		if err != nil || len(list) != 1 {
			t.Fatalf("by name: %+v %v", list, err)
		}
		a := list[0]
		if a.Subject != "orders-contract" || a.ResourceType != "topic" || a.AssociationType != "value" || a.Lifecycle != Weak || a.Frozen || a.GUID == "" || a.Created == 0 {
			t.Errorf("stored %+v", a)
		}
		for name, get := range map[string]func() ([]Association, error){
			"by subject": func() ([]Association, error) {
				return r.AssociationsBySubject(ctx, "orders-contract", AssociationFilter{})
			},
			"by id": func() ([]Association, error) { return r.AssociationsByResourceID(ctx, "t-1", AssociationFilter{}) },
			"by namespace": func() ([]Association, error) {
				return r.AssociationsByResourceName(ctx, "orders", "lkc-1", AssociationFilter{})
			},
			"every resource": func() ([]Association, error) {
				return r.AssociationsByResourceName(ctx, AnyNamespace, "lkc-1", AssociationFilter{})
			},
			"again, new replica": func() ([]Association, error) {
				return New(db, Formats()).AssociationsByResourceID(ctx, "t-1", AssociationFilter{})
			},
		} {
			if got, err := get(); err != nil || len(got) != 1 || got[0] != a {
				t.Errorf("%s: %+v %v", name, got, err)
			}
		}
		for name, get := range map[string]func() ([]Association, error){
			"other namespace": func() ([]Association, error) {
				return r.AssociationsByResourceName(ctx, "orders", "lkc-2", AssociationFilter{})
			},
			"key only": func() ([]Association, error) {
				return r.AssociationsByResourceID(ctx, "t-1", AssociationFilter{AssociationTypes: []string{"key"}})
			},
			"strong only": func() ([]Association, error) {
				return r.AssociationsByResourceID(ctx, "t-1", AssociationFilter{Lifecycle: Strong})
			},
			"unknown topic": func() ([]Association, error) {
				return r.AssociationsByResourceName(ctx, "returns", AnyNamespace, AssociationFilter{})
			},
		} {
			if got, err := get(); err != nil || got == nil || len(got) != 0 {
				t.Errorf("%s: %+v %v, want none", name, got, err)
			}
		}

		// The same request again changes nothing; another subject for the same type is 40903.
		if res, err := r.CreateAssociations(ctx, topic("orders", "t-1", weak("orders-contract", "value")), true); err != nil || len(res.Associations) != 1 {
			t.Errorf("create again: %+v %v", res, err)
		}
		_, err = r.CreateAssociations(ctx, topic("orders", "t-1", weak("orders-key-contract", "value")), true)
		wantCode(t, err, CodeAssociationExists)
		// An update adds the key.
		if _, err := r.CreateAssociations(ctx, topic("orders", "t-1", weak("orders-key-contract", "key")), false); err != nil {
			t.Fatal(err)
		}
		if got, _ := r.AssociationsByResourceID(ctx, "t-1", AssociationFilter{}); len(got) != 2 || got[0].AssociationType != "key" {
			t.Errorf("after the update: %+v", got)
		}

		// A STRONG association comes with its topic and its schema, on the topic's own subject.
		res, err := r.CreateAssociations(ctx, topic("payments", "t-2", AssociationChange{Schema: &NewSchema{Schema: record("Payment", 1)}}), true)
		if err != nil {
			t.Fatal(err)
		}
		if o := res.Associations[0]; o.Subject != ":.lkc-1:payments-value" || o.Lifecycle != Strong || !o.Frozen || o.Schema == nil || o.Schema.Version != 1 {
			t.Fatalf("strong: %+v", o)
		}
		// A WEAK association may not join it; the frozen one goes only with its subjects.
		_, err = r.CreateAssociations(ctx, topic("refunds", "t-3", weak(":.lkc-1:payments-value", "value")), true)
		wantCode(t, err, CodeStrongAssociationExists)
		wantCode(t, r.DeleteAssociations(ctx, "t-2", AssociationFilter{}, false), CodeAssociationFrozen)
		if err := r.DeleteAssociations(ctx, "t-2", AssociationFilter{}, true); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Versions(ctx, ":.lkc-1:payments-value", SubjectFilter{Deleted: true}); ErrorCode(err) != CodeSubjectNotFound {
			t.Errorf("the STRONG association's subject after a cascading delete: %v", err)
		}
		wantCode(t, r.DeleteAssociations(ctx, "t-2", AssociationFilter{}, true), CodeAssociationNotFound)
		// A WEAK association goes alone; its subject stays.
		if err := r.DeleteAssociations(ctx, "t-1", AssociationFilter{AssociationTypes: []string{"key"}}, true); err != nil {
			t.Fatal(err)
		}
		if got, _ := r.AssociationsByResourceID(ctx, "t-1", AssociationFilter{}); len(got) != 1 || got[0].AssociationType != "value" {
			t.Errorf("after deleting the key: %+v", got)
		}
		if _, err := r.Version(ctx, "orders-key-contract", Latest, false); err != nil {
			t.Errorf("a WEAK association's subject went with it: %v", err)
		}
	})
}

func TestAssociationRequestErrors(t *testing.T) {
	r := newRegistry(t)
	mustRegister(t, r, "s", record("S", 1))
	yes := true
	for _, tt := range []struct {
		name   string
		req    AssociationRequest
		create bool
		code   int
	}{
		{"no resource name", topic("", "t", weak("s", "")), true, CodeInvalidAssociation},
		{"a dot in the name", topic("shop.orders", "t", weak("s", "")), true, CodeInvalidAssociation},
		{"no resource id", topic("o", "", weak("s", "")), true, CodeInvalidAssociation},
		{"not a topic", AssociationRequest{ResourceName: "o", ResourceNamespace: "n", ResourceID: "t", ResourceType: "table", Associations: []AssociationChange{weak("s", "")}}, true, CodeInvalidAssociation},
		{"no associations", topic("o", "t"), true, CodeInvalidAssociation},
		{"bad type", topic("o", "t", weak("s", "header")), true, CodeInvalidAssociation},
		{"twice the value", topic("o", "t", weak("s", "value"), weak("s", "")), true, CodeInvalidAssociation},
		{"weak without subject", topic("o", "t", AssociationChange{Lifecycle: Weak}), true, CodeInvalidAssociation},
		{"weak and frozen", topic("o", "t", AssociationChange{Subject: "s", Lifecycle: Weak, Frozen: &yes}), true, CodeInvalidAssociation},
		{"weak with a schema", topic("o", "t", AssociationChange{Subject: "s", Lifecycle: Weak, Schema: &NewSchema{Schema: record("S", 1)}}), true, CodeInvalidAssociation},
		{"strong on an update", topic("o", "t", AssociationChange{Subject: ":.lkc-1:o-value", Lifecycle: Strong}), false, CodeInvalidAssociation},
		{"mixed lifecycles", topic("o", "t", weak("s", "key"), AssociationChange{AssociationType: "value", Schema: &NewSchema{Schema: record("S", 1)}}), true, CodeInvalidAssociation},
		{"no live version", topic("o", "t", weak("nothing", "")), true, CodeNoActiveSubjectVersion},
		{"invalid subject", topic("o", "t", weak("__GLOBAL", "")), true, CodeInvalidAssociation},
	} {
		if _, err := r.CreateAssociations(ctx, tt.req, tt.create); ErrorCode(err) != tt.code {
			t.Errorf("%s: %v, want %d", tt.name, err, tt.code)
		}
	}
	if list, err := r.AssociationsByResourceName(ctx, "o", AnyNamespace, AssociationFilter{}); err != nil || len(list) != 0 {
		t.Errorf("refused requests left %+v %v", list, err)
	}
}
