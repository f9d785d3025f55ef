package schemaregistry

import (
	"context"
	"strconv"
	"strings"

	"github.com/eventlens/eventlens/schemaregistry/format"
)

// previousVersion is one live version a new schema is checked against.
type previousVersion struct {
	version int
	stored  *storedSchema
}

// breakage is why a schema may not follow a subject's versions: the format's differences, at
// the level that applies, against the first version found incompatible.
type breakage struct {
	level   string
	diffs   []format.Difference
	against previousVersion
}

// messages are Confluent's words for the breakage, as its 409 answers list them.
func (b *breakage) messages() []string {
	msgs := make([]string, 0, len(b.diffs)+3)
	for _, d := range b.diffs {
		msgs = append(msgs, d.Message)
	}
	msgs = append(msgs, oldSchema(b.against)...)
	return append(msgs, "{validateFields: 'false', compatibility: '"+b.level+"'}")
}

// breaks finds why next breaks the subject's config (level and policy) against previous (newest
// first); nil means compatible.
func (r *Registry) breaks(ctx context.Context, cfg Config, next *prepared, previous []previousVersion) (*breakage, error) {
	level := cfg.CompatibilityLevel
	if level == None || len(previous) == 0 {
		return nil, nil
	}
	if !strings.HasSuffix(level, "_TRANSITIVE") {
		previous = previous[:1]
	}
	key, cacheable := verdictKey(next, level, cfg.CompatibilityPolicy, previous)
	if cacheable {
		if v, ok := r.verdicts.get(key); ok {
			return newBreakage(level, v, previous), nil
		}
	}
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
	diffs, against := Incompatibilities(level, withPolicy(next.parsed, cfg.CompatibilityPolicy), parsed)
	v := verdict{diffs: diffs, against: against}
	if cacheable {
		r.verdicts.put(key, v)
	}
	return newBreakage(level, v, previous), nil
}

// newBreakage is v's breakage, nil when v found nothing.
func newBreakage(level string, v verdict, previous []previousVersion) *breakage {
	if len(v.diffs) == 0 {
		return nil
	}
	return &breakage{level: level, diffs: v.diffs, against: previous[v.against]}
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
	next, err := r.prepare(ctx, in, opt.Normalize || (cfg.Normalize != nil && *cfg.Normalize))
	if err != nil {
		return nil, err
	}
	b, err := r.breaks(ctx, cfg, next, previous)
	if err != nil || b == nil {
		return nil, err
	}
	return b.messages(), nil
}
