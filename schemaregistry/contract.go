package schemaregistry

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/eventlens/eventlens/schemaregistry/format"
)

// Data contracts as Confluent applies them (AbstractSchemaRegistry.maybeSetMetadataRuleSet,
// Metadata.mergeMetadata, RuleSet.mergeRuleSets, validateReservedFields): the registry merges
// the configured metadata and rule sets into each new version and checks reserved fields; the
// clients run the rules.

// Metadata properties with a meaning to the registry.
const (
	// confluentVersion pins a version: set, it is kept equal to the version number.
	confluentVersion = "confluent:version"
	// confluentReserved lists, comma separated, fields a schema may not use (validateFields).
	confluentReserved = "confluent:reserved"
)

// CodeInvalidRuleSet is Confluent's answer to a rule set that breaks its rules.
const CodeInvalidRuleSet = 42210

// contracted is what a new version carries once the subject's config is applied: the request's
// metadata and rule set, or the previous version's when the request has none, with the config's
// defaults beneath and its overrides on top.
func contracted(cfg Config, in NewSchema, previous *storedSchema, newVersion int) (*Metadata, *RuleSet) {
	md, rs := in.Metadata, in.RuleSet
	if md == nil && previous != nil {
		md = previous.metadata
	}
	if rs == nil && previous != nil {
		rs = previous.ruleSet
	}
	md = mergeMetadata(mergeMetadata(cfg.DefaultMetadata, md), cfg.OverrideMetadata)
	rs = mergeRuleSets(mergeRuleSets(cfg.DefaultRuleSet, rs), cfg.OverrideRuleSet)
	// A version asked for, or a confluent:version already there, is kept equal to the version
	// a registration makes (newVersion; 0 for a lookup, which makes none).
	if newVersion > 0 && (in.Version > 0 || md.propertiesOrNil()[confluentVersion] != "") {
		props := maps.Clone(md.propertiesOrNil())
		if props == nil {
			props = map[string]string{}
		}
		props[confluentVersion] = strconv.Itoa(newVersion)
		out := Metadata{Properties: props}
		if md != nil {
			out.Tags, out.Sensitive = md.Tags, md.Sensitive
		}
		md = &out
	}
	return md, rs
}

func (md *Metadata) propertiesOrNil() map[string]string {
	if md == nil {
		return nil
	}
	return md.Properties
}

// mergeMetadata is newer over older, key by key: tags and properties by name (newer's values
// win), sensitive names united. Either nil: the other.
func mergeMetadata(older, newer *Metadata) *Metadata {
	switch {
	case older == nil:
		return newer
	case newer == nil:
		return older
	}
	return &Metadata{
		Tags:       mergeMap(older.Tags, newer.Tags),
		Properties: mergeMap(older.Properties, newer.Properties),
		Sensitive:  mergeSet(older.Sensitive, newer.Sensitive),
	}
}

func mergeMap[V any](older, newer map[string]V) map[string]V {
	switch {
	case len(older) == 0:
		return newer
	case len(newer) == 0:
		return older
	}
	out := maps.Clone(older)
	maps.Copy(out, newer)
	return out
}

func mergeSet(older, newer []string) []string {
	switch {
	case len(older) == 0:
		return newer
	case len(newer) == 0:
		return older
	}
	return sortedSet(append(slices.Clone(older), newer...))
}

// mergeRuleSets is newer over older, phase by phase: older's rules named like one of newer's
// give way, newer's follow; enableAt is newer's when set. Either nil: the other.
func mergeRuleSets(older, newer *RuleSet) *RuleSet {
	switch {
	case older == nil:
		return newer
	case newer == nil:
		return older
	}
	out := &RuleSet{
		MigrationRules: mergeRules(older.MigrationRules, newer.MigrationRules),
		DomainRules:    mergeRules(older.DomainRules, newer.DomainRules),
		EncodingRules:  mergeRules(older.EncodingRules, newer.EncodingRules),
		EnableAt:       older.EnableAt,
	}
	if newer.EnableAt != nil {
		out.EnableAt = newer.EnableAt
	}
	return out
}

func mergeRules(older, newer []Rule) []Rule {
	switch {
	case len(older) == 0:
		return newer
	case len(newer) == 0:
		return older
	}
	out := make([]Rule, 0, len(older)+len(newer))
	for _, r := range older {
		if !slices.ContainsFunc(newer, func(n Rule) bool { return n.Name == r.Name }) {
			out = append(out, r)
		}
	}
	return append(out, newer...)
}

// normalizeMetadata sorts and deduplicates what Confluent keeps as sorted sets (tag values,
// sensitive names), so answers and merges read alike.
func normalizeMetadata(md *Metadata) *Metadata {
	if md == nil {
		return nil
	}
	out := &Metadata{Properties: md.Properties}
	if len(md.Tags) > 0 {
		out.Tags = make(map[string][]string, len(md.Tags))
		for k, v := range md.Tags {
			out.Tags[k] = sortedSet(v)
		}
	}
	if len(md.Sensitive) > 0 {
		out.Sensitive = sortedSet(md.Sensitive)
	}
	return out
}

// Rule modes by phase, as Confluent's RuleSet.validate allows them.
var (
	migrationModes = []string{"UPGRADE", "DOWNGRADE", "UPDOWN"}
	domainModes    = []string{"WRITE", "READ", "WRITEREAD"}
)

// maxRuleName is the longest rule name Confluent accepts.
const maxRuleName = 256

// validateRuleSet applies Confluent's RuleSet.validate: unique names across phases, each a
// letter or _ then letters, digits, _ or -; a type; a mode its phase allows; several actions
// only for WRITEREAD and UPDOWN rules.
func validateRuleSet(rs *RuleSet) error {
	if rs == nil {
		return nil
	}
	names := map[string]bool{}
	phases := []struct {
		what  string
		rules []Rule
		modes []string
	}{{"Migration", rs.MigrationRules, migrationModes}, {"Domain", rs.DomainRules, domainModes}, {"Encoding", rs.EncodingRules, domainModes}}
	for _, p := range phases {
		for _, r := range p.rules {
			if names[r.Name] {
				return ruleError(r, "Found rule with duplicate name '%s'", r.Name)
			}
			names[r.Name] = true
			if err := validateRule(r); err != nil {
				return err
			}
			if mode := ruleMode(r); !slices.Contains(p.modes, mode) {
				return ruleError(r, "%s rules can only be %s", p.what, strings.Join(p.modes, ", "))
			}
		}
	}
	return nil
}

func validateRule(r Rule) error {
	switch {
	case r.Name == "":
		return ruleError(r, "Missing rule name")
	case len(r.Name) > maxRuleName:
		return ruleError(r, "Rule name too long")
	}
	for i, c := range r.Name {
		ok := unicode.IsLetter(c) || c == '_' || (i > 0 && (unicode.IsDigit(c) || c == '-'))
		if !ok && i == 0 {
			return ruleError(r, "Illegal initial character in rule name: %s", r.Name)
		}
		if !ok {
			return ruleError(r, "Illegal character in rule name: %s", r.Name)
		}
	}
	if r.Type == "" {
		return ruleError(r, "Missing rule type")
	}
	if mode := ruleMode(r); mode != "WRITEREAD" && mode != "UPDOWN" && (strings.Contains(r.OnSuccess, ",") || strings.Contains(r.OnFailure, ",")) {
		return ruleError(r, "Multiple actions only valid with WRITEREAD and UPDOWN")
	}
	return nil
}

// ruleMode is r's mode, WRITEREAD when it names none (Confluent's default).
func ruleMode(r Rule) string {
	if r.Mode == "" {
		return "WRITEREAD"
	}
	return strings.ToUpper(r.Mode)
}

func ruleError(r Rule, format string, args ...any) error {
	return newError(CodeInvalidRuleSet, "Invalid rule set: rule '%s': %s", r.Name, fmt.Sprintf(format, args...))
}

// reservedFields are the names metadata's confluent:reserved lists, trimmed, without empties.
func reservedFields(md *Metadata) []string {
	var out []string
	for _, f := range strings.Split(md.propertiesOrNil()[confluentReserved], ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return sortedSet(out)
}

// reservedFieldIssues are Confluent's messages when next (with metadata md) drops a field the
// newest previous version reserved (previous nil: none) or uses a field it reserves itself.
func reservedFieldIssues(next format.Schema, md *Metadata, previous *storedSchema) []string {
	var out []string
	reserved := reservedFields(md)
	if previous != nil {
		for _, f := range reservedFields(previous.metadata) {
			if !slices.Contains(reserved, f) {
				out = append(out, fmt.Sprintf("The new schema has reserved field %s removed from its metadata which is present in the old schema's metadata.", f))
			}
		}
	}
	fields, ok := next.(format.FieldSchema)
	for _, f := range reserved {
		if ok && fields.HasTopLevelField(f) {
			out = append(out, fmt.Sprintf("The new schema has field that conflicts with the reserved field %s.", f))
		}
	}
	return out
}

// groupOf is md's value of the compatibilityGroup property group, and whether it has one (none
// is Confluent's null, which equals only none).
func groupOf(md *Metadata, group string) (string, bool) {
	v, ok := md.propertiesOrNil()[group]
	return v, ok
}
