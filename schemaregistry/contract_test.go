package schemaregistry

import (
	"reflect"
	"strings"
	"testing"

	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/storage/storagetest"
)

func props(kv ...string) *Metadata {
	m := &Metadata{Properties: map[string]string{}}
	for i := 0; i < len(kv); i += 2 {
		m.Properties[kv[i]] = kv[i+1]
	}
	return m
}

func rule(name, expr string) Rule {
	return Rule{Name: name, Kind: "CONDITION", Mode: "WRITE", Type: "CEL", Expr: expr}
}

func register(t *testing.T, r *Registry, subject string, in NewSchema) Schema {
	t.Helper()
	s, err := r.Register(ctx, subject, in, RegisterOptions{})
	if err != nil {
		t.Fatalf("register %s: %v", subject, err)
	}
	return s
}

func setConfig(t *testing.T, r *Registry, subject string, u ConfigUpdate) Config {
	t.Helper()
	cfg, err := r.SetConfig(ctx, subject, u)
	if err != nil {
		t.Fatalf("set config %q: %v", subject, err)
	}
	return cfg
}

// The config's default metadata and rule set lie under what a version carries, its overrides
// over it, key by key, as Confluent's maybeSetMetadataRuleSet merges them; a version registered
// without metadata or rules carries its predecessor's.
func TestContractMerge(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		r := New(db, Formats())
		setConfig(t, r, "", ConfigUpdate{
			DefaultMetadata:  Set(Metadata{Properties: map[string]string{"owner": "platform", "tier": "gold"}, Sensitive: []string{"ssn"}}),
			OverrideMetadata: Set(Metadata{Properties: map[string]string{"tier": "silver"}}),
			DefaultRuleSet:   Set(RuleSet{DomainRules: []Rule{rule("positive", "a > 0"), rule("named", "a != ''")}}),
			OverrideRuleSet:  Set(RuleSet{DomainRules: []Rule{rule("audited", "true")}}),
		})
		v1 := register(t, r, "orders-value", NewSchema{Schema: record("Order", 1),
			Metadata: &Metadata{Properties: map[string]string{"owner": "orders"}, Sensitive: []string{"card", "card"}, Tags: map[string][]string{"f0": {"PII", "ID", "PII"}}},
			RuleSet:  &RuleSet{DomainRules: []Rule{rule("positive", "a >= 0")}}})
		wantMD := &Metadata{Properties: map[string]string{"owner": "orders", "tier": "silver"}, Sensitive: []string{"card", "ssn"}, Tags: map[string][]string{"f0": {"ID", "PII"}}}
		wantRules := &RuleSet{DomainRules: []Rule{rule("named", "a != ''"), rule("positive", "a >= 0"), rule("audited", "true")}}
		if !reflect.DeepEqual(v1.Metadata, wantMD) || !reflect.DeepEqual(v1.RuleSet, wantRules) {
			t.Fatalf("v1 carries\n%+v\n%+v\nwant\n%+v\n%+v", v1.Metadata, v1.RuleSet, wantMD, wantRules)
		}
		v2 := register(t, r, "orders-value", NewSchema{Schema: record("Order", 2)})
		if !reflect.DeepEqual(v2.Metadata, wantMD) || !reflect.DeepEqual(v2.RuleSet, wantRules) {
			t.Errorf("v2, registered without metadata or rules, carries\n%+v\n%+v\nwant v1's", v2.Metadata, v2.RuleSet)
		}
		// Registering v2's text again without metadata finds v2: it is what the merge makes.
		if again := register(t, r, "orders-value", NewSchema{Schema: record("Order", 2)}); again.Version != 2 {
			t.Errorf("registered again as version %d, want 2", again.Version)
		}
		if got, err := r.Lookup(ctx, "orders-value", NewSchema{Schema: record("Order", 2)}, false, false); err != nil || got.Version != 2 {
			t.Errorf("lookup without metadata: %+v %v, want version 2", got, err)
		}

		// A subject with a config of its own takes its defaults and overrides, not the global ones.
		setConfig(t, r, "payments-value", ConfigUpdate{DefaultMetadata: Set(*props("owner", "payments"))})
		p := register(t, r, "payments-value", NewSchema{Schema: record("Payment", 1)})
		if !reflect.DeepEqual(p.Metadata, props("owner", "payments")) || p.RuleSet != nil {
			t.Errorf("payments v1 carries %+v %+v, want only the subject's default metadata", p.Metadata, p.RuleSet)
		}

		// confluent:version is kept equal to the version a registration makes.
		c1 := register(t, r, "pinned", NewSchema{Schema: record("Pinned", 1), Metadata: props(confluentVersion, "7")})
		c2 := register(t, r, "pinned", NewSchema{Schema: record("Pinned", 2)})
		if c1.Metadata.Properties[confluentVersion] != "1" || c2.Metadata.Properties[confluentVersion] != "2" {
			t.Errorf("confluent:version %q and %q, want 1 and 2", c1.Metadata.Properties[confluentVersion], c2.Metadata.Properties[confluentVersion])
		}

		// IMPORT copies what it is given.
		if _, err := r.SetMode(ctx, "imported", Import, false); err != nil {
			t.Fatal(err)
		}
		imp := register(t, r, "imported", NewSchema{Schema: record("Imported", 1), ID: 900, Version: 1})
		if imp.Metadata != nil || imp.RuleSet != nil {
			t.Errorf("an import carries %+v %+v, want what it was given", imp.Metadata, imp.RuleSet)
		}
	})
}

// A config update leaves what it does not name, clears what it sets to null, answers the config
// as it now is; rule sets are checked as Confluent checks them.
func TestConfigUpdates(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		r := New(db, Formats())
		yes := true
		setConfig(t, r, "s", ConfigUpdate{Compatibility: Set("full"), ValidateFields: Set(true), CompatibilityGroup: Set("major"), Alias: Set("t")})
		got := setConfig(t, r, "s", ConfigUpdate{DefaultMetadata: Set(*props("a", "b")), CompatibilityGroup: Setting[string]{Set: true}})
		want := Config{CompatibilityLevel: Full, Contract: Contract{Alias: "t", ValidateFields: &yes, DefaultMetadata: props("a", "b")}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("after the update\n%+v\nwant\n%+v", got, want)
		}
		if read, err := New(db, Formats()).SubjectConfig(ctx, "s", false); err != nil || !reflect.DeepEqual(read, want) {
			t.Errorf("read back %+v %v", read, err)
		}
		if same := setConfig(t, r, "s", ConfigUpdate{}); !reflect.DeepEqual(same, want) {
			t.Errorf("an empty update answers %+v, want the config as it is", same)
		}
		if global := setConfig(t, r, "", ConfigUpdate{}); global.CompatibilityLevel != Backward {
			t.Errorf("an empty global update answers %+v", global)
		}
		for name, rs := range map[string]RuleSet{
			"no name":          {DomainRules: []Rule{{Type: "CEL"}}},
			"bad name":         {DomainRules: []Rule{{Name: "1st", Type: "CEL"}}},
			"no type":          {DomainRules: []Rule{{Name: "a"}}},
			"duplicate":        {DomainRules: []Rule{rule("a", "x")}, EncodingRules: []Rule{rule("a", "y")}},
			"migration mode":   {MigrationRules: []Rule{rule("a", "x")}},
			"domain mode":      {DomainRules: []Rule{{Name: "a", Type: "JSONATA", Mode: "UPGRADE"}}},
			"several on WRITE": {DomainRules: []Rule{{Name: "a", Type: "CEL", Mode: "WRITE", OnFailure: "DLQ,ERROR"}}},
		} {
			_, err := r.SetConfig(ctx, "s", ConfigUpdate{DefaultRuleSet: Set(rs)})
			if ErrorCode(err) != CodeInvalidRuleSet {
				t.Errorf("%s: %v, want 42210", name, err)
			}
			_, err = r.Register(ctx, "s2", NewSchema{Schema: record("S", 1), RuleSet: &rs}, RegisterOptions{})
			if ErrorCode(err) != CodeInvalidRuleSet {
				t.Errorf("%s registered: %v, want 42210", name, err)
			}
		}
		if alias, err := r.Aliased(ctx, "s"); err != nil || alias != "t" {
			t.Errorf("alias of s: %q %v", alias, err)
		}
		if alias, err := r.Aliased(ctx, "t"); err != nil || alias != "t" {
			t.Errorf("t without alias: %q %v", alias, err)
		}
	})
}

// READONLY and READONLY_OVERRIDE refuse config writes and deletes with 42205, as registrations.
func TestReadOnlyRefusesConfigWrites(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		r := New(db, Formats())
		setConfig(t, r, "ro", ConfigUpdate{Compatibility: Set(Full)})
		for _, tt := range []struct{ modeSubject, mode, subject string }{
			{"ro", ReadOnly, "ro"}, {"", ReadOnly, ""}, {"", ReadOnlyOverride, "ro"},
		} {
			if _, err := r.SetMode(ctx, tt.modeSubject, tt.mode, false); err != nil {
				t.Fatal(err)
			}
			_, err := r.SetConfig(ctx, tt.subject, ConfigUpdate{Compatibility: Set(None)})
			wantCode(t, err, CodeOperationNotPermitted)
			_, err = r.DeleteConfig(ctx, tt.subject)
			wantCode(t, err, CodeOperationNotPermitted)
			if _, err := r.DeleteMode(ctx, tt.modeSubject); err != nil {
				t.Fatal(err)
			}
		}
		if cfg, err := r.SubjectConfig(ctx, "ro", false); err != nil || cfg.CompatibilityLevel != Full {
			t.Errorf("config after the refusals: %+v %v", cfg, err)
		}
	})
}

// compatibilityGroup: versions whose group property differs are not checked against each other.
func TestCompatibilityGroup(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		r := New(db, Formats())
		setConfig(t, r, "g", ConfigUpdate{Compatibility: Set(Backward), CompatibilityGroup: Set("application.major.version")})
		register(t, r, "g", NewSchema{Schema: record("G", 2), Metadata: props("application.major.version", "1")})
		// Dropping a field without a default breaks backward compatibility, unless in a new group.
		if _, err := r.Register(ctx, "g", NewSchema{Schema: mandatory("G", 3), Metadata: props("application.major.version", "1")}, RegisterOptions{}); ErrorCode(err) != CodeIncompatibleSchema {
			t.Fatalf("in the same group: %v, want 409", err)
		}
		v2 := register(t, r, "g", NewSchema{Schema: mandatory("G", 3), Metadata: props("application.major.version", "2")})
		// Back in group 1, the new version is checked against version 1 alone.
		v3 := register(t, r, "g", NewSchema{Schema: record("G", 3), Metadata: props("application.major.version", "1")})
		if v2.Version != 2 || v3.Version != 3 {
			t.Errorf("versions %d %d", v2.Version, v3.Version)
		}
		// Without the group the same change is refused.
		if _, err := r.Register(ctx, "nogroup", NewSchema{Schema: record("G", 2)}, RegisterOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Register(ctx, "nogroup", NewSchema{Schema: mandatory("G", 3), Metadata: props("application.major.version", "2")}, RegisterOptions{}); ErrorCode(err) != CodeIncompatibleSchema {
			t.Errorf("without a compatibilityGroup: %v, want 409", err)
		}
	})
}

// validateFields: a version may not use a field confluent:reserved lists, nor drop one the
// previous version reserved; it is checked at any level, NONE too.
func TestReservedFields(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		r := New(db, Formats())
		setConfig(t, r, "", ConfigUpdate{Compatibility: Set(None), ValidateFields: Set(true)})
		register(t, r, "rf", NewSchema{Schema: record("R", 1), Metadata: props(confluentReserved, "f5, f6")})
		for _, tt := range []struct {
			name string
			in   NewSchema
			want []string
		}{
			{"uses a reserved field", NewSchema{Schema: record("R", 6)}, []string{
				"The new schema has field that conflicts with the reserved field f5.",
				"{validateFields: 'true', compatibility: 'NONE'}"}},
			{"drops a reserved field", NewSchema{Schema: record("R", 2), Metadata: props(confluentReserved, "f6")}, []string{
				"The new schema has reserved field f5 removed from its metadata which is present in the old schema's metadata.",
				"{validateFields: 'true', compatibility: 'NONE'}"}},
		} {
			_, err := r.Register(ctx, "rf", tt.in, RegisterOptions{})
			if ErrorCode(err) != CodeIncompatibleSchema {
				t.Fatalf("%s: %v, want 409", tt.name, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%s: %q lacks %q", tt.name, err, w)
				}
			}
			// The check judges the request as sent (Confluent completes only registrations).
			if tt.in.Metadata == nil {
				continue
			}
			msgs, err := r.CheckCompatibility(ctx, "rf", Latest, false, tt.in, CheckOptions{})
			if err != nil || !reflect.DeepEqual(msgs, tt.want) {
				t.Errorf("%s: check says %q %v, want %q", tt.name, msgs, err, tt.want)
			}
		}
		// The metadata inherited from version 1 keeps the list; a version without the fields passes.
		if v := register(t, r, "rf", NewSchema{Schema: record("R", 4)}); v.Version != 2 {
			t.Errorf("version %d", v.Version)
		}
		// Without validateFields nothing is checked.
		setConfig(t, r, "rf", ConfigUpdate{ValidateFields: Set(false)})
		register(t, r, "rf", NewSchema{Schema: record("R", 6)})

		// JSON Schema and Protobuf know their top-level fields.
		setConfig(t, r, "j", ConfigUpdate{ValidateFields: Set(true)})
		_, err := r.Register(ctx, "j", NewSchema{SchemaType: "JSON", Schema: `{"type":"object","properties":{"ssn":{"type":"string"}}}`, Metadata: props(confluentReserved, "ssn")}, RegisterOptions{})
		wantCode(t, err, CodeIncompatibleSchema)
		_, err = r.Register(ctx, "j", NewSchema{SchemaType: "PROTOBUF", Schema: "syntax = \"proto3\";\nmessage M {\n  string ssn = 1;\n}\n", Metadata: props(confluentReserved, "ssn")}, RegisterOptions{})
		wantCode(t, err, CodeIncompatibleSchema)
	})
}
