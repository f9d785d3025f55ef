package schemaregistry

import (
	"context"
	"strings"

	"github.com/eventlens/eventlens/schemaregistry/format"
	"github.com/eventlens/eventlens/schemaregistry/jsonschema"
	"github.com/eventlens/eventlens/schemaregistry/protobuf"
)

// Comparison is what separates two versions of one subject: whether To may follow From at the
// subject's compatibility level, and the differences the format can name.
type Comparison struct {
	From, To Schema
	Level    string // the compatibility level that applies to the subject
	// Incompatible lists why To breaks Level against From; empty means compatible.
	Incompatible []Change
	// Changes lists the differences from From to To. Complete says whether it is every change,
	// compatible ones included (JSON Schema and Protobuf have a full diff), or only what breaks
	// backward and forward compatibility (Avro, or versions of different schema types).
	Changes  []Change
	Complete bool
}

// Change is one named difference between two schema versions.
type Change struct {
	Type    string // Confluent's name, e.g. FIELD_ADDED, READER_FIELD_MISSING_DEFAULT_VALUE
	Path    string
	Message string
	// Compatible tells whether the change keeps data written with the old version readable
	// with the new one (backward).
	Compatible bool
	// Direction is BACKWARD (the new version reads old data) or FORWARD (the old version reads
	// new data) for a change found by a compatibility check; "" for one found by a full diff.
	Direction string
}

// Compare compares version to of subject with version from (soft-deleted versions included).
func (r *Registry) Compare(ctx context.Context, subject string, from, to int) (Comparison, error) {
	rows, err := r.versions(ctx, subject)
	if err != nil {
		return Comparison{}, err
	}
	var c Comparison
	var stored [2]*storedSchema
	var parsed [2]format.Schema
	for i, version := range []int{from, to} {
		row, err := findVersion(subject, rows, version, true)
		if err != nil {
			return Comparison{}, err
		}
		if stored[i], err = r.schemaByID(ctx, row.schemaID); err != nil {
			return Comparison{}, err
		}
		if parsed[i], err = r.parsed(ctx, stored[i]); err != nil {
			return Comparison{}, err
		}
		s := toSchema(subject, row, stored[i])
		if i == 0 {
			c.From = s
		} else {
			c.To = s
		}
	}
	cfg, err := r.effectiveConfig(ctx, subject)
	if err != nil {
		return Comparison{}, err
	}
	c.Level = cfg.CompatibilityLevel

	old, next := parsed[0], parsed[1]
	if stored[0].typ != stored[1].typ {
		old = otherType{}
	}
	diffs, _ := Incompatibilities(c.Level, withPolicy(next, cfg.CompatibilityPolicy), []format.Schema{withPolicy(old, cfg.CompatibilityPolicy)})
	c.Incompatible = changesOf(diffs, "")

	switch o, n := parsed[0], parsed[1]; {
	case stored[0].typ != stored[1].typ:
		c.Changes = changesOf(otherType{}.BackwardIncompatibilities(next), Backward)
	case isJSON(o) && isJSON(n):
		c.Complete = true
		policy, err := jsonschema.ParsePolicy(cfg.CompatibilityPolicy)
		if err != nil {
			return Comparison{}, err
		}
		for _, d := range jsonschema.Diff(o.(*jsonschema.Schema), n.(*jsonschema.Schema), policy) {
			msg := d.Message()
			if strings.HasPrefix(msg, d.Type+" ") { // Confluent has no words for this one
				msg = describeType(d.Type) + " at " + d.Path
			}
			c.Changes = append(c.Changes, Change{Type: d.Type, Path: d.Path, Message: msg, Compatible: policy.Compatible(d.Type)})
		}
	case isProtobuf(o) && isProtobuf(n):
		c.Complete = true
		for _, d := range protobuf.Diff(o.(*protobuf.Schema), n.(*protobuf.Schema)) {
			msg := describeType(d.Type) + " at " + d.Path
			if !d.Compatible() {
				msg = plainMessage(d.Message("new", "old"))
			}
			c.Changes = append(c.Changes, Change{Type: d.Type, Path: d.Path, Message: msg, Compatible: d.Compatible()})
		}
	default:
		// No full diff: what breaks reading old data with the new version, then new data with
		// the old one.
		backward := changesOf(n.BackwardIncompatibilities(o), Backward)
		forward, _ := Incompatibilities(Forward, n, []format.Schema{o})
		c.Changes = append(backward, changesOf(forward, Forward)...)
	}
	if c.Changes == nil {
		c.Changes = []Change{}
	}
	return c, nil
}

func isJSON(s format.Schema) bool {
	_, ok := s.(*jsonschema.Schema)
	return ok
}

func isProtobuf(s format.Schema) bool {
	_, ok := s.(*protobuf.Schema)
	return ok
}

// changesOf turns a format's incompatibilities into changes found in direction.
func changesOf(diffs []format.Difference, direction string) []Change {
	out := make([]Change, 0, len(diffs))
	for _, d := range diffs {
		out = append(out, Change{Type: d.Type, Path: d.Path, Message: plainMessage(d.Message), Direction: direction})
	}
	return out
}

// describeType words a change type for people: FIELD_ADDED becomes "Field added".
func describeType(t string) string {
	s := strings.ToLower(strings.ReplaceAll(t, "_", " "))
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
