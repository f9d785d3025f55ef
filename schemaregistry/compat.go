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

// checkCompatibility returns Confluent's messages for every reason next breaks level against
// previous (newest first); none means compatible. Non-transitive levels look at the newest
// version only; transitive ones go through all and stop at the first that breaks.
func (r *Registry) checkCompatibility(ctx context.Context, level string, next *prepared, previous []previousVersion) ([]string, error) {
	if level == None || len(previous) == 0 {
		return nil, nil
	}
	transitive := strings.HasSuffix(level, "_TRANSITIVE")
	if !transitive {
		previous = previous[:1]
	}
	base := strings.TrimSuffix(level, "_TRANSITIVE")
	for _, p := range previous {
		var msgs []string
		if p.stored.typ != next.typ {
			msgs = []string{"Incompatible because of different schema type"}
		} else {
			old, err := r.parsed(ctx, p.stored)
			if err != nil {
				return nil, err
			}
			msgs = directional(base, next.parsed, old, p)
		}
		if len(msgs) > 0 {
			return append(msgs, "{validateFields: 'false', compatibility: '"+level+"'}"), nil
		}
	}
	return nil, nil
}

// directional runs the checks of one level (BACKWARD, FORWARD or FULL) between next and old,
// formatted as Confluent's SchemaValidatorBuilder does.
func directional(base string, next, old format.Schema, p previousVersion) []string {
	var msgs []string
	if base == Forward || base == Full {
		// Can data written with next be read with old? Old is the reader.
		msgs = append(msgs, messages(old.BackwardIncompatibilities(next), true)...)
		if base == Forward && len(msgs) > 0 {
			msgs = append(msgs, oldSchema(p)...)
		}
	}
	if base == Backward || base == Full {
		back := messages(next.BackwardIncompatibilities(old), false)
		if len(back) > 0 {
			msgs = append(msgs, back...)
			msgs = append(msgs, oldSchema(p)...)
		}
	}
	return msgs
}

// swapNewOld turns a message written for "new reads old" into one for "old reads new".
var swapNewOld = strings.NewReplacer("new schema", "old schema", "old schema", "new schema")

func messages(diffs []format.Difference, swapped bool) []string {
	out := make([]string, 0, len(diffs))
	for _, d := range diffs {
		m := d.Message
		if swapped {
			m = swapNewOld.Replace(m)
		}
		out = append(out, m)
	}
	return out
}

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
	return r.checkCompatibility(ctx, cfg.CompatibilityLevel, next, previous)
}
