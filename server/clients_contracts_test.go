package server

import (
	"context"
	"errors"
	"reflect"
	"testing"

	ckgsr "github.com/confluentinc/confluent-kafka-go/v2/schemaregistry"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/rest"
	"github.com/twmb/franz-go/pkg/sr"
)

// restCode is the Confluent error code confluent-kafka-go returned, 0 when none.
func restCode(err error) int {
	var re *rest.Error
	if errors.As(err, &re) {
		return re.Code
	}
	return 0
}

// Data contracts through confluent-kafka-go: configured defaults and overrides merged into each
// version, inherited metadata, compatibilityGroup, reserved fields, and an alias.
func TestConfluentGoClientDataContracts(t *testing.T) {
	ts := startServer(t)
	cl, err := ckgsr.NewClient(ckgsr.NewConfig(ts.URL))
	if err != nil {
		t.Fatal(err)
	}
	rule := func(name, expr string) ckgsr.Rule {
		return ckgsr.Rule{Name: name, Kind: "CONDITION", Mode: "WRITE", Type: "CEL", Expr: expr}
	}
	cfg, err := cl.UpdateDefaultConfig(ckgsr.ServerConfig{
		DefaultMetadata:  &ckgsr.Metadata{Properties: map[string]string{"owner": "platform", "tier": "gold"}},
		OverrideMetadata: &ckgsr.Metadata{Properties: map[string]string{"tier": "silver"}},
		DefaultRuleSet:   &ckgsr.RuleSet{DomainRules: []ckgsr.Rule{rule("positive", "message.f0 > 0")}},
		OverrideRuleSet:  &ckgsr.RuleSet{DomainRules: []ckgsr.Rule{rule("audited", "true")}},
	})
	if err != nil || cfg.OverrideMetadata == nil || cfg.DefaultRuleSet == nil {
		t.Fatalf("update config: %+v %v", cfg, err)
	}
	if _, err := cl.Register("payments-value", ckgsr.SchemaInfo{Schema: avroRecord("Payment", 1),
		Metadata: &ckgsr.Metadata{Properties: map[string]string{"owner": "payments"}}}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Register("payments-value", ckgsr.SchemaInfo{Schema: avroRecord("Payment", 2)}, false); err != nil {
		t.Fatal(err)
	}
	fresh, _ := ckgsr.NewClient(ckgsr.NewConfig(ts.URL))
	latest, err := fresh.GetLatestSchemaMetadata("payments-value")
	if err != nil {
		t.Fatal(err)
	}
	wantProps := map[string]string{"owner": "payments", "tier": "silver"}
	if latest.Version != 2 || latest.Metadata == nil || !reflect.DeepEqual(latest.Metadata.Properties, wantProps) {
		t.Errorf("latest metadata: %+v", latest.Metadata)
	}
	if latest.RuleSet == nil || len(latest.RuleSet.DomainRules) != 2 || latest.RuleSet.DomainRules[0].Name != "positive" || latest.RuleSet.DomainRules[1].Name != "audited" {
		t.Errorf("latest rules: %+v", latest.RuleSet)
	}
	if m, err := fresh.GetLatestWithMetadata("payments-value", map[string]string{"tier": "silver"}, false); err != nil || m.Version != 2 {
		t.Errorf("latest with tier=silver: %+v %v", m, err)
	}

	// compatibilityGroup: a new major version is not checked against the old ones.
	if _, err := cl.UpdateConfig("orders-value", ckgsr.ServerConfig{CompatibilityUpdate: ckgsr.Backward, CompatibilityGroup: "major"}); err != nil {
		t.Fatal(err)
	}
	major := func(v string) *ckgsr.Metadata { return &ckgsr.Metadata{Properties: map[string]string{"major": v}} }
	if _, err := cl.Register("orders-value", ckgsr.SchemaInfo{Schema: avroRecord("Order", 1), Metadata: major("1")}, false); err != nil {
		t.Fatal(err)
	}
	broken := `{"type":"record","name":"Order","fields":[{"name":"f0","type":"string"}]}`
	if _, err := cl.Register("orders-value", ckgsr.SchemaInfo{Schema: broken, Metadata: major("1")}, false); restCode(err) != 409 {
		t.Errorf("an incompatible version in the same group: %v, want 409", err)
	}
	if _, err := cl.Register("orders-value", ckgsr.SchemaInfo{Schema: broken, Metadata: major("2")}, false); err != nil {
		t.Errorf("an incompatible version in a new group: %v", err)
	}
	if got, err := cl.GetConfig("orders-value", false); err != nil || got.CompatibilityGroup != "major" {
		t.Errorf("config: %+v %v", got, err)
	}

	// validateFields (which ServerConfig does not carry) with a reserved field.
	ts.mustCall(t, "PUT", "/config/users-value", `{"validateFields":true}`)
	if _, err := cl.Register("users-value", ckgsr.SchemaInfo{Schema: avroRecord("User", 1),
		Metadata: &ckgsr.Metadata{Properties: map[string]string{"confluent:reserved": "f1"}}}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Register("users-value", ckgsr.SchemaInfo{Schema: avroRecord("User", 2)}, false); restCode(err) != 409 {
		t.Errorf("a version using a reserved field: %v, want 409", err)
	}

	// An alias answers for its subject.
	if _, err := cl.UpdateConfig("payments", ckgsr.ServerConfig{Alias: "payments-value"}); err != nil {
		t.Fatal(err)
	}
	if m, err := fresh.GetLatestSchemaMetadata("payments"); err != nil || m.Version != 2 || m.ID != latest.ID {
		t.Errorf("latest through the alias: %+v %v", m, err)
	}
}

// Data contracts through franz-go's pkg/sr.
func TestFranzGoClientDataContracts(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	cl, err := sr.NewClient(sr.URLs(ts.URL))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range cl.SetCompatibility(ctx, sr.SetCompatibility{Level: sr.CompatBackward, Group: "major",
		DefaultMetadata:  &sr.SchemaMetadata{Properties: map[string]string{"owner": "platform"}, Sensitive: []string{"ssn"}},
		OverrideMetadata: &sr.SchemaMetadata{Properties: map[string]string{"env": "prod"}},
		DefaultRuleSet: &sr.SchemaRuleSet{DomainRules: []sr.SchemaRule{{Name: "positive", Kind: sr.SchemaRuleKindCondition,
			Mode: sr.SchemaRuleModeWrite, Type: "CEL", Expr: "message.f0 > 0"}}},
	}, "shipments-value") {
		if r.Err != nil || r.Group != "major" || r.DefaultMetadata == nil {
			t.Fatalf("set compatibility: %+v", r)
		}
	}
	got := cl.Compatibility(ctx, "shipments-value")[0]
	if got.Err != nil || got.Group != "major" || got.OverrideMetadata == nil || got.OverrideMetadata.Properties["env"] != "prod" || got.DefaultRuleSet == nil {
		t.Fatalf("compatibility: %+v", got)
	}
	v1, err := cl.CreateSchema(ctx, "shipments-value", sr.Schema{Schema: avroRecord("Shipment", 1),
		SchemaMetadata: &sr.SchemaMetadata{Properties: map[string]string{"major": "1"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := &sr.SchemaMetadata{Properties: map[string]string{"owner": "platform", "env": "prod", "major": "1"}, Sensitive: []string{"ssn"}}
	if !reflect.DeepEqual(v1.SchemaMetadata, want) || v1.SchemaRuleSet == nil || len(v1.SchemaRuleSet.DomainRules) != 1 {
		t.Errorf("v1 carries %+v %+v", v1.SchemaMetadata, v1.SchemaRuleSet)
	}
	// Inherited: v2 sent without metadata is still major 1, and checked against v1.
	broken := `{"type":"record","name":"Shipment","fields":[{"name":"f0","type":"string"}]}`
	if _, err := cl.CreateSchema(ctx, "shipments-value", sr.Schema{Schema: broken}); err == nil {
		t.Error("an incompatible version that inherits major 1 was registered")
	}
	v2, err := cl.CreateSchema(ctx, "shipments-value", sr.Schema{Schema: broken, SchemaMetadata: &sr.SchemaMetadata{Properties: map[string]string{"major": "2"}}})
	if err != nil || v2.Version != 2 || v2.SchemaMetadata.Properties["major"] != "2" || v2.SchemaMetadata.Properties["owner"] != "platform" {
		t.Fatalf("v2: %+v %v", v2, err)
	}
	// Rule sets are checked: a WRITE mode is no migration rule.
	_, err = cl.CreateSchema(ctx, "shipments-value", sr.Schema{Schema: avroRecord("Shipment", 2), SchemaRuleSet: &sr.SchemaRuleSet{
		MigrationRules: []sr.SchemaRule{{Name: "up", Mode: sr.SchemaRuleModeWrite, Type: "JSONATA"}}}})
	var re *sr.ResponseError
	if !errors.As(err, &re) || re.ErrorCode != 42210 {
		t.Errorf("an invalid rule set: %v, want 42210", err)
	}
}

// Associations through confluent-kafka-go's client.
func TestConfluentGoClientAssociations(t *testing.T) {
	ts := startServer(t)
	cl, err := ckgsr.NewClient(ckgsr.NewConfig(ts.URL))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Register("orders-contract", ckgsr.SchemaInfo{Schema: avroRecord("Order", 1)}, false); err != nil {
		t.Fatal(err)
	}
	res, err := cl.CreateAssociation(ckgsr.AssociationCreateOrUpdateRequest{ResourceName: "orders", ResourceNamespace: "lkc-1", ResourceID: "t-1",
		Associations: []ckgsr.AssociationCreateOrUpdateInfo{{Subject: "orders-contract", AssociationType: "value", Lifecycle: ckgsr.WEAK}}})
	if err != nil || len(res.Associations) != 1 || res.Associations[0].Subject != "orders-contract" {
		t.Fatalf("create: %+v %v", res, err)
	}
	byName, err := cl.GetAssociationsByResourceName("orders", "-", "topic", []string{"value"}, "", 0, -1)
	if err != nil || len(byName) != 1 || byName[0].Subject != "orders-contract" || byName[0].ResourceID != "t-1" || byName[0].GUID == "" {
		t.Fatalf("by name: %+v %v", byName, err)
	}
	if bySubject, err := cl.GetAssociationsBySubject("orders-contract", "topic", nil, "WEAK", 0, 10); err != nil || len(bySubject) != 1 {
		t.Errorf("by subject: %+v %v", bySubject, err)
	}
	if _, err := cl.CreateOrUpdateAssociation(ckgsr.AssociationCreateOrUpdateRequest{ResourceName: "orders", ResourceNamespace: "lkc-1", ResourceID: "t-1",
		Associations: []ckgsr.AssociationCreateOrUpdateInfo{{Subject: "orders-contract", AssociationType: "key"}}}); err != nil {
		t.Fatal(err)
	}
	if byID, err := cl.GetAssociationsByResourceID("t-1", "", nil, "", 0, -1); err != nil || len(byID) != 2 {
		t.Errorf("by id: %+v %v", byID, err)
	}
	if err := cl.DeleteAssociations("t-1", "topic", []string{"key"}, false); err != nil {
		t.Fatal(err)
	}
	if err := cl.DeleteAssociations("t-1", "", nil, false); err != nil {
		t.Fatal(err)
	}
	if err := cl.DeleteAssociations("t-1", "", nil, false); restCode(err) != 40410 {
		t.Errorf("delete again: %v, want 40410", err)
	}
	if left, err := cl.GetAssociationsByResourceName("orders", "-", "topic", nil, "", 0, -1); err != nil || len(left) != 0 {
		t.Errorf("left: %+v %v", left, err)
	}
}
