package jsonschema

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	sjs "github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/eventlens/eventlens/schemaregistry/format"
	"github.com/eventlens/eventlens/schemaregistry/javajson"
)

// Limits that keep hostile input cheap: the registry answers anything beyond them with an
// invalid-schema error instead of spending memory or stack on it.
const (
	maxSchemaBytes = 8 << 20
	maxDepth       = 256
)

// Confluent's JSON Schema provider reads numbers with a fraction or an exponent as BigDecimal,
// so they print exactly as written (1.50 stays 1.50, 1e10 becomes 1E+10); its normalized form
// sorts members by key.
var (
	inWrittenOrder = javajson.Options{Decimals: javajson.BigDecimals}
	inKeyOrder     = javajson.Options{Decimals: javajson.BigDecimals, SortKeys: true}
)

// parseDocument reads a schema text whose size checkSize has accepted.
func parseDocument(text string) (*javajson.Value, error) {
	if !utf8.ValidString(text) {
		return nil, errors.New("schema is not valid UTF-8")
	}
	return javajson.Parse(text, maxDepth)
}

// valueKey is an order-independent text of v, used to compare JSON values (enum members,
// defaults, subschemas) for equality.
func valueKey(v *javajson.Value) string { return v.Compact(inKeyOrder) }

// Format parses JSON Schemas. Its zero value judges compatibility under Confluent's default
// STRICT policy; set Policy to Lenient for a subject whose compatibilityPolicy is LENIENT.
type Format struct {
	Policy Policy
}

var _ format.Format = Format{}

// Type is the registry's name for JSON Schema.
func (Format) Type() string { return "JSON" }

// rootURL is where the schema under registration lives when it has no $id of its own; relative
// references to other subjects resolve against it.
const rootURL = "mem://input/"

// Parse validates text against the metaschema of its draft (draft 7 when it names none, as
// Confluent assumes), resolves its $refs within itself and to the given references, and builds
// the model the compatibility check compares. Nothing is ever loaded from the network or disk.
func (f Format) Parse(text string, refs []format.Reference) (format.Schema, error) {
	s, err := Parse(text, refs)
	if err != nil {
		return nil, err
	}
	s.policy = f.Policy
	return s, nil
}

// Schema is a parsed JSON Schema.
type Schema struct {
	doc    *javajson.Value
	root   *node
	policy Policy
}

var _ format.PolicySchema = (*Schema)(nil)

func invalid(format_ string, args ...any) error {
	return fmt.Errorf("%w: %s", format.ErrInvalidSchema, fmt.Sprintf(format_, args...))
}

var draftsByURL = map[string]*sjs.Draft{
	"http://json-schema.org/draft-04/schema":       sjs.Draft4,
	"http://json-schema.org/draft-06/schema":       sjs.Draft6,
	"http://json-schema.org/draft-07/schema":       sjs.Draft7,
	"https://json-schema.org/draft/2019-09/schema": sjs.Draft2019,
	"https://json-schema.org/draft/2020-12/schema": sjs.Draft2020,
}

// draftOf reads $schema as Confluent does: an unknown or missing one means draft 7.
func draftOf(doc *javajson.Value) *sjs.Draft {
	s, _ := doc.Get("$schema").Text()
	s = strings.TrimSuffix(strings.TrimSuffix(s, "#"), "/")
	s = strings.Replace(s, "https://json-schema.org/draft-0", "http://json-schema.org/draft-0", 1)
	if d, ok := draftsByURL[s]; ok {
		return d
	}
	return sjs.Draft7
}

// ErrTooLarge marks a schema refused for its size or its number of references before it is
// read; it is format.ErrTooLarge, and errors carrying it also carry format.ErrInvalidSchema.
var ErrTooLarge = format.ErrTooLarge

// Limits on a schema with its references, checked before anything is parsed; maxSchemaBytes
// bounds each text.
const (
	maxTotalBytes = 16 << 20
	maxReferences = 1000
)

func tooLarge(format_ string, args ...any) error {
	return fmt.Errorf("%w: %w: %s", format.ErrInvalidSchema, ErrTooLarge, fmt.Sprintf(format_, args...))
}

// checkSize refuses, cheaply, a schema or a set of references too large to read.
func checkSize(text string, refs []format.Reference) error {
	if len(refs) > maxReferences {
		return tooLarge("%d references, more than the %d allowed", len(refs), maxReferences)
	}
	if len(text) > maxSchemaBytes {
		return tooLarge("schema is %d bytes, more than the %d allowed", len(text), maxSchemaBytes)
	}
	total := len(text)
	for _, r := range refs {
		if len(r.Schema) > maxSchemaBytes {
			return tooLarge("reference %q is %d bytes, more than the %d allowed", r.Name, len(r.Schema), maxSchemaBytes)
		}
		total += len(r.Schema)
	}
	if total > maxTotalBytes {
		return tooLarge("schema and references are %d bytes, more than the %d allowed", total, maxTotalBytes)
	}
	return nil
}

// ParsePolicy reads a compatibilityPolicy as the registry's config stores it: "" or STRICT is
// Strict, LENIENT is Lenient (any case).
func ParsePolicy(name string) (Policy, error) {
	switch strings.ToUpper(name) {
	case "", "STRICT":
		return Strict, nil
	case "LENIENT":
		return Lenient, nil
	}
	return Strict, fmt.Errorf("unknown compatibility policy %q: use STRICT or LENIENT", name)
}

// WithPolicy returns a copy of s judged under the named policy (STRICT when the name is empty
// or unknown); the parsed model is shared, not copied.
func (s *Schema) WithPolicy(name string) format.Schema {
	p, _ := ParsePolicy(name)
	c := *s
	c.policy = p
	return &c
}

// Parse is Format{}.Parse returning the concrete type, for callers that want Diff.
func Parse(text string, refs []format.Reference) (*Schema, error) {
	if err := checkSize(text, refs); err != nil {
		return nil, err
	}
	doc, err := parseDocument(text)
	if err != nil {
		return nil, invalid("malformed JSON: %v", err)
	}
	if doc.Kind() != javajson.Object && doc.Kind() != javajson.Bool {
		return nil, invalid("a JSON Schema must be an object or a boolean")
	}
	draft := draftOf(doc)
	c := sjs.NewCompiler()
	c.DefaultDraft(draft)
	c.UseLoader(sjs.SchemeURLLoader{}) // no scheme at all: nothing is fetched
	c.UseRegexpEngine(lenientRegexp)
	docs := map[string]*javajson.Value{rootURL: doc}
	if err := c.AddResource(rootURL, doc.Any()); err != nil {
		return nil, invalid("%v", err)
	}
	base := rootURL
	if id, ok := doc.Get("$id").Text(); ok {
		base = id
	} else if id, ok := doc.Get("id").Text(); ok && draft == sjs.Draft4 {
		base = id
	}
	// A reference may be named relative to the schema or to another reference that $refs it
	// ("money.json" inside "https://example.com/line.json"), so each name is also resolved
	// against the absolute names of the others.
	bases := []string{base, rootURL}
	for _, ref := range refs {
		if u, err := url.Parse(ref.Name); err == nil && u.IsAbs() && !slices.Contains(bases, ref.Name) {
			bases = append(bases, ref.Name)
		}
	}
	for _, ref := range refs {
		refDoc, err := parseDocument(ref.Schema)
		if err != nil {
			return nil, invalid("reference %q: malformed JSON: %v", ref.Name, err)
		}
		for _, u := range referenceURLs(ref.Name, bases) {
			if _, dup := docs[u]; dup {
				continue
			}
			docs[u] = refDoc
			if err := c.AddResource(u, refDoc.Any()); err != nil {
				return nil, invalid("reference %q: %v", ref.Name, err)
			}
		}
	}
	if _, err := c.Compile(rootURL); err != nil {
		return nil, invalid("%s", compileMessage(err))
	}
	l := &loader{
		modern:   draft == sjs.Draft2019 || draft == sjs.Draft2020,
		draft4:   draft == sjs.Draft4,
		docs:     docs,
		compiler: c,
		nodes:    map[location]*node{},
	}
	root := l.load(doc, location{doc: rootURL})
	l.resolveRefs()
	if l.err != nil {
		return nil, invalid("%s", compileMessage(l.err))
	}
	return &Schema{doc: doc, root: root}, nil
}

// referenceURLs are the URLs under which a $ref may name a referenced schema: its name as
// given, and resolved against each base that may refer to it.
func referenceURLs(name string, bases []string) []string {
	var urls []string
	if u, err := url.Parse(name); err == nil && u.IsAbs() {
		urls = append(urls, strings.TrimSuffix(name, "#"))
	}
	for _, b := range bases {
		bu, err := url.Parse(b)
		if err != nil {
			continue
		}
		ru, err := bu.Parse(name)
		if err != nil {
			continue
		}
		ru.Fragment = ""
		urls = append(urls, ru.String())
	}
	return urls
}

func compileMessage(err error) string {
	var ve *sjs.SchemaValidationError
	if errors.As(err, &ve) {
		return fmt.Sprintf("not valid against its metaschema: %v", ve.Err)
	}
	return strings.ReplaceAll(err.Error(), rootURL, "")
}

// neverMatches stands in for a pattern Go's regexp cannot compile (Java's regexes have
// lookaround and backreferences): Confluent accepts such schemas, so the registry must too.
type neverMatches string

func (n neverMatches) String() string          { return string(n) }
func (n neverMatches) MatchString(string) bool { return false }

func lenientRegexp(s string) (sjs.Regexp, error) {
	re, err := regexp.Compile(s)
	if err != nil {
		return neverMatches(s), nil
	}
	return re, nil
}

// Canonical is the schema text as Confluent stores it: the JSON re-serialized compactly with
// members in their written order.
func (s *Schema) Canonical() string { return s.doc.Compact(inWrittenOrder) }

// Normalized is Confluent's normalize=true form: the canonical text with object members sorted
// by key at every level.
func (s *Schema) Normalized() string { return s.doc.Compact(inKeyOrder) }

// BackwardIncompatibilities lists the changes from previous to s that the policy does not
// accept. A previous schema of another format is one incompatibility, as in Confluent.
func (s *Schema) BackwardIncompatibilities(previous format.Schema) []format.Difference {
	prev, ok := previous.(*Schema)
	if !ok {
		return []format.Difference{{Type: "TYPE_CHANGED", Path: "#/", OldPath: "#/", NewPath: "#/", Message: "Incompatible because of different schema type"}}
	}
	var out []format.Difference
	for _, c := range Diff(prev, s, s.policy) {
		if !s.policy.Compatible(c.Type) {
			// Confluent's verbose compatibility answer wraps the description with its type.
			msg := `{errorType:"` + c.Type + `", description:"` + c.Message() + `"}`
			d := format.Difference{Type: c.Type, Path: c.Path, Message: msg, Field: c.Field(), OldPath: c.at.original, NewPath: c.at.update}
			d.OldType, d.NewType = c.Types()
			out = append(out, d)
		}
	}
	return out
}

// HasTopLevelField reports whether the root schema has a property named name, as Confluent's
// JsonSchema.hasTopLevelField.
func (s *Schema) HasTopLevelField(name string) bool {
	_, ok := s.root.properties[name]
	return ok
}
