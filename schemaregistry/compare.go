package schemaregistry

import (
	"context"
	"strings"

	"github.com/eventlens/eventlens/schemaregistry/avro"
	"github.com/eventlens/eventlens/schemaregistry/format"
	"github.com/eventlens/eventlens/schemaregistry/jsonschema"
	"github.com/eventlens/eventlens/schemaregistry/protobuf"
)

// Comparison is what separates two versions of one subject: whether To may follow From at the
// subject's compatibility level, and every change from one to the other.
type Comparison struct {
	From, To Schema
	Level    string // the compatibility level that applies to the subject
	// Incompatible lists why To breaks Level against From; empty means compatible.
	Incompatible []Change
	// Changes lists the differences from From to To. Complete says whether it is every change,
	// compatible ones included (versions of one schema type), or only what breaks (versions of
	// different schema types, which have no diff).
	Changes  []Change
	Complete bool
}

// Change is one named difference between two schema versions.
type Change struct {
	Type    string // e.g. FIELD_ADDED (a change), READER_FIELD_MISSING_DEFAULT_VALUE (an incompatibility)
	Path    string
	Message string
	// Field names the field the change is at in the format's words: "OrderPlaced.couponCode"
	// (Avro), "customer.id" (JSON Schema), "Order.id (1)" (Protobuf); OldType and NewType are
	// its types as written, "" on the side that lacks it.
	Field, OldType, NewType string
	// Compatible tells whether the change keeps the subject's compatibility level.
	Compatible bool
	// Direction is, for a change in Changes that breaks the subject's level, how: BACKWARD (the
	// new version cannot read data written with the old), FORWARD (the old version cannot read
	// data written with the new) or FULL (both). Incompatibilities leave it "".
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
		// The forward check diffs the other way round; a change breaks it when the change
		// that undoes it, at the same path, breaks backward.
		forward := map[string]bool{}
		for _, d := range jsonschema.Diff(n.(*jsonschema.Schema), o.(*jsonschema.Schema), policy) {
			forward[d.Path] = forward[d.Path] || !policy.Compatible(d.Type)
		}
		for _, d := range jsonschema.Diff(o.(*jsonschema.Schema), n.(*jsonschema.Schema), policy) {
			msg := d.Message()
			if strings.HasPrefix(msg, d.Type+" ") { // Confluent has no words for this one
				msg = describeType(d.Type) + " at " + d.Path
			}
			ch := Change{Type: d.Type, Path: d.Path, Message: msg, Field: d.Field()}
			ch.OldType, ch.NewType = d.Types()
			c.Changes = append(c.Changes, judged(ch, c.Level, !policy.Compatible(d.Type), forward[d.Path]))
		}
	case isProtobuf(o) && isProtobuf(n):
		c.Complete = true
		forward := map[string]bool{} // as for JSON Schema
		for _, d := range protobuf.Diff(n.(*protobuf.Schema), o.(*protobuf.Schema)) {
			forward[d.Path] = forward[d.Path] || !d.Compatible()
		}
		for _, d := range protobuf.Diff(o.(*protobuf.Schema), n.(*protobuf.Schema)) {
			msg := describeType(d.Type) + " at " + d.Path
			if !d.Compatible() {
				msg = plainMessage(d.Message("new", "old"))
			}
			ch := Change{Type: d.Type, Path: d.Path, Message: msg, Field: d.Field()}
			ch.OldType, ch.NewType = d.Types()
			c.Changes = append(c.Changes, judged(ch, c.Level, !d.Compatible(), forward[d.Path]))
		}
	default: // Avro
		c.Complete = true
		for _, d := range avro.Diff(o.(*avro.Schema), n.(*avro.Schema)) {
			ch := Change{Type: d.Type, Path: d.Path, Message: d.Message(), Field: d.Field, OldType: d.OldType, NewType: d.NewType}
			c.Changes = append(c.Changes, judged(ch, c.Level, d.BreaksBackward, d.BreaksForward))
		}
	}
	if c.Changes == nil {
		c.Changes = []Change{}
	}
	return c, nil
}

// judged is c marked for the subject's level, from the ways it breaks.
func judged(c Change, level string, breaksBackward, breaksForward bool) Change {
	base := strings.TrimSuffix(level, "_TRANSITIVE")
	backward := breaksBackward && (base == Backward || base == Full)
	forward := breaksForward && (base == Forward || base == Full)
	switch {
	case backward && forward:
		c.Direction = Full
	case backward:
		c.Direction = Backward
	case forward:
		c.Direction = Forward
	}
	c.Compatible = c.Direction == ""
	return c
}

func isJSON(s format.Schema) bool {
	_, ok := s.(*jsonschema.Schema)
	return ok
}

func isProtobuf(s format.Schema) bool {
	_, ok := s.(*protobuf.Schema)
	return ok
}

// changesOf turns a format's incompatibilities into changes that break in direction.
func changesOf(diffs []format.Difference, direction string) []Change {
	out := make([]Change, 0, len(diffs))
	for _, d := range diffs {
		out = append(out, Change{Type: d.Type, Path: d.Path, Message: plainMessage(d.Message),
			Field: d.Field, OldType: d.OldType, NewType: d.NewType, Direction: direction})
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
