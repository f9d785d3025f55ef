package schemaregistry

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/eventlens/eventlens/schemaregistry/format"
)

// previousVersion is one live version a new schema is checked against.
type previousVersion struct {
	version int
	stored  *storedSchema
}

// breakage is why a schema may not follow a subject's versions: the fields its data contract
// reserves that it uses or drops (validateFields), and the format's differences, at the level
// that applies, against the first version found incompatible.
type breakage struct {
	level          string
	validateFields bool
	reserved       []format.Difference
	diffs          []format.Difference
	against        previousVersion
}

// all is every reason, reserved fields first.
func (b *breakage) all() []format.Difference {
	return append(slices.Clone(b.reserved), b.diffs...)
}

// messages are Confluent's words for the breakage, as its 409 answers list them.
func (b *breakage) messages() []string {
	msgs := make([]string, 0, len(b.reserved)+len(b.diffs)+3)
	for _, d := range b.all() {
		msgs = append(msgs, d.Message)
	}
	if len(b.diffs) > 0 {
		msgs = append(msgs, oldSchema(b.against)...)
	}
	return append(msgs, "{validateFields: '"+strconv.FormatBool(b.validateFields)+"', compatibility: '"+b.level+"'}")
}

// breaks finds why next breaks the subject's config against previous (newest first); nil means
// compatible. As Confluent's isCompatibleWithPrevious: with validateFields the reserved fields
// are checked against the newest version at any level, and with a compatibilityGroup only the
// versions in next's group count.
func (r *Registry) breaks(ctx context.Context, cfg Config, next *prepared, previous []previousVersion) (*breakage, error) {
	level := cfg.CompatibilityLevel
	b := &breakage{level: level, validateFields: cfg.ValidateFields != nil && *cfg.ValidateFields}
	if b.validateFields {
		var newest *storedSchema
		if len(previous) > 0 {
			newest = previous[0].stored
		}
		for _, msg := range reservedFieldIssues(next.parsed, next.metadata, newest) {
			b.reserved = append(b.reserved, format.Difference{Type: "RESERVED_FIELD", Message: msg})
		}
		if len(b.reserved) > 0 && newest != nil {
			b.against = previous[0]
		}
	}
	if group := cfg.CompatibilityGroup; group != "" {
		v, ok := groupOf(next.metadata, group)
		previous = slices.DeleteFunc(slices.Clone(previous), func(p previousVersion) bool {
			pv, pok := groupOf(p.stored.metadata, group)
			return pv != v || pok != ok
		})
	}
	if level == None || len(previous) == 0 {
		return b.orNil(), nil
	}
	if !strings.HasSuffix(level, "_TRANSITIVE") {
		previous = previous[:1]
	}
	// A verdict is remembered for the diffs only: the reserved fields above depend on next's
	// metadata, not on the schemas compared.
	key, cacheable := verdictKey(next, level, cfg.CompatibilityPolicy, previous)
	var v verdict
	found := false
	if cacheable {
		v, found = r.verdicts.get(key)
	}
	if !found {
		parsed := make([]format.Schema, 0, len(previous))
		for _, p := range previous {
			if p.stored.typ != next.typ {
				parsed = append(parsed, otherType{})
				continue
			}
			old, err := r.parsed(ctx, p.stored)
			if err != nil {
				return nil, err
			}
			parsed = append(parsed, withPolicy(old, cfg.CompatibilityPolicy))
		}
		v.diffs, v.against = Incompatibilities(level, withPolicy(next.parsed, cfg.CompatibilityPolicy), parsed)
		if cacheable {
			r.verdicts.put(key, v)
		}
	}
	if len(v.diffs) > 0 {
		b.diffs, b.against = v.diffs, previous[v.against]
	}
	return b.orNil(), nil
}

// orNil is b when it holds a reason, else nil.
func (b *breakage) orNil() *breakage {
	if len(b.reserved)+len(b.diffs) == 0 {
		return nil
	}
	return b
}

// withPolicy judges s under the subject's compatibilityPolicy when its format has policies
// (JSON Schema); the parsed schema itself, shared through the caches, is not changed.
func withPolicy(s format.Schema, policy string) format.Schema {
	if p, ok := s.(format.PolicySchema); ok {
		return p.WithPolicy(policy)
	}
	return s
}

// otherType stands for a previous version of another schema type, which no schema can follow.
type otherType struct{}

func (otherType) Canonical() string  { return "" }
func (otherType) Normalized() string { return "" }
func (otherType) BackwardIncompatibilities(format.Schema) []format.Difference {
	return []format.Difference{{Type: "TYPE_CHANGED", Message: "Incompatible because of different schema type"}}
}

// Incompatibilities judges next against the previous versions of its subject (newest first) at
// level, as Confluent does: a non-transitive level looks at the newest version only, a
// transitive one at each in turn until one breaks. It returns the differences with that
// version and its index in previous. FORWARD differences, found by reading next with the old
// schema, are worded from next's point of view like the BACKWARD ones, and their old and new
// types and paths swapped to match.
func Incompatibilities(level string, next format.Schema, previous []format.Schema) (diffs []format.Difference, against int) {
	if level == None || len(previous) == 0 {
		return nil, 0
	}
	if !strings.HasSuffix(level, "_TRANSITIVE") {
		previous = previous[:1]
	}
	base := strings.TrimSuffix(level, "_TRANSITIVE")
	for i, old := range previous {
		if _, ok := old.(otherType); ok {
			return old.BackwardIncompatibilities(next), i
		}
		if base == Forward || base == Full {
			for _, d := range old.BackwardIncompatibilities(next) {
				d.Message = swapNewOld.Replace(d.Message)
				d.OldType, d.NewType = d.NewType, d.OldType
				d.OldPath, d.NewPath = d.NewPath, d.OldPath
				diffs = append(diffs, d)
			}
		}
		if base == Backward || base == Full {
			diffs = append(diffs, next.BackwardIncompatibilities(old)...)
		}
		if len(diffs) > 0 {
			return diffs, i
		}
	}
	return nil, 0
}

// swapNewOld turns a message written for "new reads old" into one for "old reads new".
var swapNewOld = strings.NewReplacer("new schema", "old schema", "old schema", "new schema")

// maxLoggedSchema is the longest old schema text Confluent quotes in a message.
const maxLoggedSchema = 10 * 1024

func oldSchema(p previousVersion) []string {
	text := p.stored.text
	quoted := "{oldSchema: '" + text + "'}"
	if len(text) > maxLoggedSchema {
		quoted = "{oldSchema: <truncated> '" + text[:maxLoggedSchema] + "...'}"
	}
	return []string{"{oldSchemaVersion: " + strconv.Itoa(p.version) + "}", quoted}
}

// previousVersions loads the live versions of subject, newest first, with their schemas.
func (r *Registry) previousVersions(ctx context.Context, rows []versionRow) ([]previousVersion, error) {
	out := make([]previousVersion, 0, len(rows))
	for i := len(rows) - 1; i >= 0; i-- {
		if rows[i].deleted {
			continue
		}
		s, err := r.schemaByID(ctx, rows[i].schemaID)
		if err != nil {
			return nil, err
		}
		out = append(out, previousVersion{version: rows[i].version, stored: s})
	}
	return out, nil
}

// CheckOptions tune a compatibility check.
type CheckOptions struct {
	Normalize bool
}

// CheckCompatibility tells whether in may follow subject's schemas under the subject's level:
// against one version (a number, or Latest) or, with allVersions, against every live version as
// registration would. It returns the reasons it breaks; none means compatible.
func (r *Registry) CheckCompatibility(ctx context.Context, subject string, version int, allVersions bool, in NewSchema, opt CheckOptions) ([]string, error) {
	reasons, err := r.checkCompatibility(ctx, subject, version, allVersions, in, opt)
	r.stats.checked(len(reasons) == 0, err)
	return reasons, err
}

func (r *Registry) checkCompatibility(ctx context.Context, subject string, version int, allVersions bool, in NewSchema, opt CheckOptions) ([]string, error) {
	rows, err := r.versions(ctx, subject)
	if err != nil {
		return nil, err
	}
	var previous []previousVersion
	if allVersions {
		previous, err = r.previousVersions(ctx, rows)
	} else {
		var row versionRow
		row, err = findVersion(subject, rows, version, false)
		if err != nil && version == Latest {
			err = nil // no version yet: anything is compatible
		} else if err != nil {
			return nil, errVersionNotFound(subject, version)
		} else {
			var s *storedSchema
			s, err = r.schemaByID(ctx, row.schemaID)
			previous = []previousVersion{{version: row.version, stored: s}}
		}
	}
	if err != nil {
		return nil, err
	}
	cfg, err := r.effectiveConfig(ctx, subject)
	if err != nil {
		return nil, err
	}
	next, err := r.prepare(ctx, subject, in, opt.Normalize || (cfg.Normalize != nil && *cfg.Normalize))
	if err != nil {
		return nil, err
	}
	b, err := r.breaks(ctx, cfg, next, previous)
	if err != nil || b == nil {
		return nil, err
	}
	return b.messages(), nil
}
