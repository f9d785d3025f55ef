package schemacheck

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/eventlens/eventlens/registryclient"
	"github.com/eventlens/eventlens/schemaregistry"
	"github.com/eventlens/eventlens/schemaregistry/format"
)

// Checker checks schema files for compatibility.
type Checker struct {
	Formats  map[string]format.Format // by schema type; the same packages the server uses
	Registry *Registry                // nil for offline checks
	Level    string                   // overrides every subject's level when set
}

// AgainstRegistry checks each file against the registry's versions of its subject. Without a
// level override the registry judges at the subject's own level; with one, the versions are
// fetched and judged here, with the same code the server runs.
func (c *Checker) AgainstRegistry(ctx context.Context, files []File) (Report, error) {
	var r Report
	for _, f := range files {
		level := c.Level
		if level == "" {
			level = f.Level
		}
		var checked Checked
		var err error
		if level == "" {
			checked, err = c.askRegistry(ctx, f)
		} else {
			checked, err = c.judgeRegistryVersions(ctx, f, level)
		}
		if err != nil {
			return r, err
		}
		r.Checked = append(r.Checked, checked)
	}
	return r, nil
}

func (c *Checker) askRegistry(ctx context.Context, f File) (Checked, error) {
	known, compatible, messages, err := c.Registry.Compatibility(ctx, f)
	checked := Checked{Subject: f.Subject, File: f.Path, Against: "registry"}
	if registryclient.IsCode(err, 42201, 42202, 44201) { // the file itself is not a valid schema
		var apiErr *registryclient.APIError
		errors.As(err, &apiErr)
		checked.Findings = []Finding{{Subject: f.Subject, File: f.Path, Kind: "INVALID_SCHEMA", Message: apiErr.Message}}
		return checked, nil
	}
	if err != nil {
		return checked, err
	}
	if !known {
		checked.Against = "nothing (new subject)"
		return checked, nil
	}
	if !compatible {
		checked.Findings = findingsFromMessages(f, messages, c.localDifferences(ctx, f, messages))
	}
	return checked, nil
}

var (
	oldVersionRE = regexp.MustCompile(`^\{oldSchemaVersion:\s*(\d+)\}$`)
	levelRE      = regexp.MustCompile(`compatibility:\s*'([A-Z_]+)'`)
)

// localDifferences judges f here against the version the registry's messages say it breaks, at
// the level they name, to learn the fields and types behind those messages: Confluent's answers
// carry neither. They come keyed by message, as the registry words them. None when the messages
// do not say which version and level, or that version cannot be fetched or parsed here; the
// registry's verdict then stands without them.
func (c *Checker) localDifferences(ctx context.Context, f File, messages []string) map[string]format.Difference {
	var version int
	var level string
	for _, m := range messages {
		if v := oldVersionRE.FindStringSubmatch(m); v != nil {
			version, _ = strconv.Atoi(v[1])
		}
		if l := levelRE.FindStringSubmatch(m); l != nil {
			level = l[1]
		}
	}
	if version == 0 || level == "" {
		return nil
	}
	v, err := c.Registry.Version(ctx, f.Subject, version)
	if err != nil {
		return nil
	}
	candidate, _ := c.parse(f, c.registryRefs(ctx))
	previous, _ := c.parse(v.file(), c.registryRefs(ctx))
	if candidate == nil || previous == nil {
		return nil
	}
	// The messages are about that one version, so a transitive level judges it as the plain one.
	diffs := incompatibilities(strings.TrimSuffix(level, "_TRANSITIVE"), candidate, []format.Schema{previous})
	byMessage := make(map[string]format.Difference, len(diffs))
	for _, d := range diffs {
		byMessage[d.Message] = d
	}
	return byMessage
}

func (c *Checker) judgeRegistryVersions(ctx context.Context, f File, level string) (Checked, error) {
	checked := Checked{Subject: f.Subject, File: f.Path, Level: level, Against: "registry"}
	versions, err := c.Registry.Versions(ctx, f.Subject)
	if err != nil {
		return checked, err
	}
	if len(versions) == 0 {
		checked.Against = "nothing (new subject)"
		return checked, nil
	}
	candidate, findings := c.parse(f, c.registryRefs(ctx))
	if candidate == nil {
		checked.Findings = findings
		return checked, nil
	}
	var previous []format.Schema
	for _, v := range versions {
		old := v.file()
		parsed, problems := c.parse(old, c.registryRefs(ctx))
		if parsed == nil {
			return checked, fmt.Errorf("registry's %s: %s", old.Path, problems[0].Message)
		}
		previous = append(previous, parsed)
	}
	checked.Findings = c.findings(f, incompatibilities(level, candidate, previous))
	return checked, nil
}

// AgainstFiles checks each new file against the old file of the same subject; a subject with no
// old file is new and breaks nothing.
func (c *Checker) AgainstFiles(old, new []File) (Report, error) {
	bySubject := map[string]File{}
	for _, f := range old {
		bySubject[f.Subject] = f
	}
	var r Report
	for _, f := range new {
		level := firstNonEmpty(c.Level, f.Level, "BACKWARD")
		prev, ok := bySubject[f.Subject]
		checked := Checked{Subject: f.Subject, File: f.Path, Level: level, Against: prev.Path}
		candidate, findings := c.parse(f, fileRefs(new))
		switch {
		case candidate == nil:
			checked.Findings = findings
		case !ok:
			checked.Against = "nothing (new subject)"
		default:
			previous, problems := c.parse(prev, fileRefs(old))
			if previous == nil {
				return r, fmt.Errorf("old schema %s: %s", prev.Path, problems[0].Message)
			}
			checked.Findings = c.findings(f, incompatibilities(level, candidate, []format.Schema{previous}))
		}
		r.Checked = append(r.Checked, checked)
	}
	return r, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// refResolver finds the text of a referenced subject version.
type refResolver func(ref Reference) (string, error)

func fileRefs(files []File) refResolver {
	return func(ref Reference) (string, error) {
		for _, f := range files {
			if f.Subject == ref.Subject {
				return f.Text, nil
			}
		}
		return "", fmt.Errorf("reference %s: no schema file for subject %s", ref.Name, ref.Subject)
	}
}

func (c *Checker) registryRefs(ctx context.Context) refResolver {
	return func(ref Reference) (string, error) {
		v, err := c.Registry.Version(ctx, ref.Subject, ref.Version)
		return v.Schema, err
	}
}

// parse parses f with its references; a schema that does not parse is a finding, not an error,
// because it is the file under review that is wrong.
func (c *Checker) parse(f File, resolve refResolver) (format.Schema, []Finding) {
	invalid := func(msg string) []Finding {
		return []Finding{{Subject: f.Subject, File: f.Path, Kind: "INVALID_SCHEMA", Message: msg}}
	}
	fm, ok := c.Formats[f.SchemaType]
	if !ok {
		return nil, invalid(fmt.Sprintf("schema type %s is not supported by this eventlens", f.SchemaType))
	}
	var refs []format.Reference
	for _, r := range f.References {
		text, err := resolve(r)
		if err != nil {
			return nil, invalid(err.Error())
		}
		refs = append(refs, format.Reference{Name: r.Name, Subject: r.Subject, Version: r.Version, Schema: text})
	}
	s, err := fm.Parse(f.Text, refs)
	if err != nil {
		return nil, invalid(err.Error())
	}
	return s, nil
}

// incompatibilities judges with the server's own rules.
func incompatibilities(level string, candidate format.Schema, previous []format.Schema) []format.Difference {
	diffs, _ := schemaregistry.Incompatibilities(level, candidate, previous)
	return diffs
}

// findings reports diffs at their lines in f, found by where each is in the new schema:
// Confluent's path is in the old one under FORWARD.
func (c *Checker) findings(f File, diffs []format.Difference) []Finding {
	var out []Finding
	for _, d := range diffs {
		out = append(out, Finding{Subject: f.Subject, File: f.Path, Line: lineOf(f.SchemaType, f.Text, d.NewPath), Kind: d.Type, Path: d.Path,
			Field: d.Field, OldType: d.OldType, NewType: d.NewType, Message: description(d.Message)})
	}
	return out
}

var (
	errorTypeRE   = regexp.MustCompile(`errorType:\s*['"]?([A-Z_]+)`)
	descriptionRE = regexp.MustCompile(`description:\s*['"](.*?)['"]\s*(?:,\s*additionalInfo|\}$)`)
	additionalRE  = regexp.MustCompile(`additionalInfo:\s*['"](.*)['"]\s*\}$`)
	pathRE        = regexp.MustCompile(`path '([^']*)'`)
)

// description is the human part of a Confluent-style message
// ({errorType:'…', description:'…', additionalInfo:'…'}), or the message itself. The additional
// information is kept when it says more than the description (e.g. the two types that differ).
func description(message string) string {
	d := descriptionRE.FindStringSubmatch(message)
	if d == nil {
		return message
	}
	if a := additionalRE.FindStringSubmatch(message); a != nil && !strings.Contains(d[1], a[1]) {
		return d[1] + ": " + a[1]
	}
	return d[1]
}

// findingsFromMessages reads the registry's verbose compatibility messages, e.g.
// {errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'a' at path '/fields/0' …'},
// with the field, types and line of the local difference worded the same, if any. Without one
// the line is found by the message's path, which under FORWARD is in the old schema and may
// point elsewhere in f. Messages that are not differences (oldSchemaVersion, compatibility)
// are skipped.
func findingsFromMessages(f File, messages []string, local map[string]format.Difference) []Finding {
	var out []Finding
	for _, m := range messages {
		kind := errorTypeRE.FindStringSubmatch(m)
		if kind == nil {
			continue
		}
		finding := Finding{Subject: f.Subject, File: f.Path, Kind: kind[1], Message: description(m)}
		if p := pathRE.FindStringSubmatch(m); p != nil {
			finding.Path = p[1]
			finding.Line = lineOf(f.SchemaType, f.Text, p[1])
		}
		if d, ok := local[m]; ok {
			finding.Field, finding.OldType, finding.NewType = d.Field, d.OldType, d.NewType
			finding.Line = lineOf(f.SchemaType, f.Text, d.NewPath)
		}
		out = append(out, finding)
	}
	if len(out) == 0 { // a registry that gives no verbose messages still said no
		out = append(out, Finding{Subject: f.Subject, File: f.Path, Kind: "INCOMPATIBLE", Message: strings.Join(append([]string{"the registry judged the schema incompatible"}, messages...), "; ")})
	}
	return out
}
