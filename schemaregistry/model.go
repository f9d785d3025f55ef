package schemaregistry

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Reference names another subject version that a schema imports. Version -1 means the latest
// live version; the registry stores it resolved.
type Reference struct {
	Name    string `json:"name"`
	Subject string `json:"subject"`
	Version int    `json:"version"`
}

// Metadata is Confluent's schema metadata: tags per path, free properties, sensitive names.
type Metadata struct {
	Tags       map[string][]string `json:"tags,omitempty"`
	Properties map[string]string   `json:"properties,omitempty"`
	Sensitive  []string            `json:"sensitive,omitempty"`
}

// RuleSet is Confluent's data-contract rules attached to a schema.
type RuleSet struct {
	MigrationRules []Rule  `json:"migrationRules,omitempty"`
	DomainRules    []Rule  `json:"domainRules,omitempty"`
	EncodingRules  []Rule  `json:"encodingRules,omitempty"`
	EnableAt       *string `json:"enableAt,omitempty"`
}

// Rule is one data-contract rule. The registry stores rules; it does not run them.
type Rule struct {
	Name      string            `json:"name,omitempty"`
	Doc       string            `json:"doc,omitempty"`
	Kind      string            `json:"kind,omitempty"`
	Mode      string            `json:"mode,omitempty"`
	Type      string            `json:"type,omitempty"`
	Tags      []string          `json:"tags,omitempty"`
	Params    map[string]string `json:"params,omitempty"`
	Expr      string            `json:"expr,omitempty"`
	OnSuccess string            `json:"onSuccess,omitempty"`
	OnFailure string            `json:"onFailure,omitempty"`
	Disabled  bool              `json:"disabled,omitempty"`
}

// NewSchema is what a client sends to register, look up or check a schema.
type NewSchema struct {
	Schema     string
	SchemaType string // "" means AVRO
	References []Reference
	Metadata   *Metadata
	RuleSet    *RuleSet
	ID         int // > 0 only in IMPORT mode
	Version    int // > 0 only in IMPORT mode (or as the next version)
}

// Schema is a registered schema, seen through one subject version (Subject and Version are
// empty when it is looked up by id).
type Schema struct {
	Subject    string
	Version    int
	ID         int
	GUID       string
	SchemaType string
	Schema     string
	References []Reference
	Metadata   *Metadata
	RuleSet    *RuleSet
	Deleted    bool
	Timestamp  int64 // unix milliseconds when the version was registered
}

// SubjectVersion names one version of one subject.
type SubjectVersion struct {
	Subject string `json:"subject"`
	Version int    `json:"version"`
}

// Compatibility levels.
const (
	None               = "NONE"
	Backward           = "BACKWARD"
	BackwardTransitive = "BACKWARD_TRANSITIVE"
	Forward            = "FORWARD"
	ForwardTransitive  = "FORWARD_TRANSITIVE"
	Full               = "FULL"
	FullTransitive     = "FULL_TRANSITIVE"
)

var levels = []string{None, Backward, BackwardTransitive, Forward, ForwardTransitive, Full, FullTransitive}

// Modes.
const (
	ReadWrite        = "READWRITE"
	ReadOnly         = "READONLY"
	ReadOnlyOverride = "READONLY_OVERRIDE"
	Import           = "IMPORT"
)

var modes = []string{ReadWrite, ReadOnly, ReadOnlyOverride, Import}

// Config is a compatibility configuration, global or per subject.
type Config struct {
	CompatibilityLevel  string
	CompatibilityPolicy string // STRICT (the default) or LENIENT: how JSON Schemas are judged
	Normalize           *bool
	Contract
}

// Contract is what a config says about data contracts (Confluent 7.4+): the registry stores it,
// merges its metadata and rule sets into each new version and applies its checks; clients run
// the rules.
type Contract struct {
	// Alias makes the subject answer as another: requests under /subjects/{this} act on Alias.
	Alias string `json:"alias,omitempty"`
	// ValidateFields checks the fields named in the confluent:reserved property: a new version
	// may neither use them nor drop them from the list.
	ValidateFields *bool `json:"validateFields,omitempty"`
	// CompatibilityGroup names a metadata property: versions whose values of it differ are not
	// checked against each other (a new major version starts a new line).
	CompatibilityGroup string    `json:"compatibilityGroup,omitempty"`
	DefaultMetadata    *Metadata `json:"defaultMetadata,omitempty"`
	OverrideMetadata   *Metadata `json:"overrideMetadata,omitempty"`
	DefaultRuleSet     *RuleSet  `json:"defaultRuleSet,omitempty"`
	OverrideRuleSet    *RuleSet  `json:"overrideRuleSet,omitempty"`
}

// empty reports whether c says nothing (its column is then NULL).
func (c Contract) empty() bool {
	return c.Alias == "" && c.ValidateFields == nil && c.CompatibilityGroup == "" &&
		c.DefaultMetadata == nil && c.OverrideMetadata == nil && c.DefaultRuleSet == nil && c.OverrideRuleSet == nil
}

// ConfigUpdate is a change to a configuration: each field it does not set is left as it is,
// each set to nil is cleared, as Confluent's ConfigUpdateRequest reads absent and null.
type ConfigUpdate struct {
	Compatibility       Setting[string]
	CompatibilityPolicy Setting[string]
	Normalize           Setting[bool]
	Alias               Setting[string]
	ValidateFields      Setting[bool]
	CompatibilityGroup  Setting[string]
	DefaultMetadata     Setting[Metadata]
	OverrideMetadata    Setting[Metadata]
	DefaultRuleSet      Setting[RuleSet]
	OverrideRuleSet     Setting[RuleSet]
}

// empty reports whether u changes nothing.
func (u ConfigUpdate) empty() bool {
	return !u.Compatibility.Set && !u.CompatibilityPolicy.Set && !u.Normalize.Set && !u.Alias.Set &&
		!u.ValidateFields.Set && !u.CompatibilityGroup.Set && !u.DefaultMetadata.Set &&
		!u.OverrideMetadata.Set && !u.DefaultRuleSet.Set && !u.OverrideRuleSet.Set
}

// Setting is one field of an update: when Set, its new Value, nil to clear it.
type Setting[T any] struct {
	Set   bool
	Value *T
}

// Set returns a Setting to v.
func Set[T any](v T) Setting[T] { return Setting[T]{Set: true, Value: &v} }

// UnmarshalJSON reads a member that is present: null clears, anything else sets.
func (s *Setting[T]) UnmarshalJSON(b []byte) error {
	s.Set, s.Value = true, nil
	if string(b) == "null" {
		return nil
	}
	s.Value = new(T)
	return json.Unmarshal(b, s.Value)
}

// apply returns old with u's settings applied.
func (u ConfigUpdate) apply(old Config) Config {
	c := old
	setString(&c.CompatibilityLevel, u.Compatibility)
	setString(&c.CompatibilityPolicy, u.CompatibilityPolicy)
	setPointer(&c.Normalize, u.Normalize)
	setString(&c.Alias, u.Alias)
	setPointer(&c.ValidateFields, u.ValidateFields)
	setString(&c.CompatibilityGroup, u.CompatibilityGroup)
	setPointer(&c.DefaultMetadata, u.DefaultMetadata)
	setPointer(&c.OverrideMetadata, u.OverrideMetadata)
	setPointer(&c.DefaultRuleSet, u.DefaultRuleSet)
	setPointer(&c.OverrideRuleSet, u.OverrideRuleSet)
	return c
}

func setString(dst *string, s Setting[string]) {
	if s.Set {
		*dst = ""
		if s.Value != nil {
			*dst = *s.Value
		}
	}
}

func setPointer[T any](dst **T, s Setting[T]) {
	if s.Set {
		*dst = s.Value
	}
}

// globalKey is the config and mode row of the whole registry; Confluent refuses it as a subject.
const globalKey = "__GLOBAL"

// Latest is the version number that means "the newest live version" ("latest" or -1 on the wire).
const Latest = -1

// ParseVersion reads a version from a URL: "latest", -1, or 1..2^31-1.
func ParseVersion(s string) (int, error) {
	if s == "latest" {
		return Latest, nil
	}
	v, err := strconv.ParseInt(s, 10, 32)
	if err != nil || (v < 1 && v != Latest) {
		return 0, newError(CodeInvalidVersion, "The specified version '%s' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"", s)
	}
	return int(v), nil
}

// validSubject reports whether Confluent accepts name as a subject: text (UTF-8) without control
// characters, and not one of its reserved names.
func validSubject(name string) error {
	bad := name == "" || name == globalKey || name == "__EMPTY" || !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0
	if bad {
		return newError(CodeInvalidSubject, "The specified subject '%s' is not a valid subject name: it must be non-empty UTF-8 text, contain no control characters and not be __GLOBAL or __EMPTY", name)
	}
	return nil
}

// unstorable reports whether nothing can be stored under name (a subject, or a prefix of
// subjects): it is not UTF-8 or holds a NUL, which PostgreSQL's text cannot hold and
// validSubject refuses.
func unstorable(name string) bool {
	return !utf8.ValidString(name) || strings.IndexByte(name, 0) >= 0
}

func parseLevel(s string) (string, error) {
	u := strings.ToUpper(s)
	for _, l := range levels {
		if u == l {
			return l, nil
		}
	}
	return "", newError(CodeInvalidCompatibilityLevel, "Invalid compatibility level %q. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive", s)
}

// Compatibility policies: how strictly JSON Schema changes to open content models are judged.
const (
	Strict  = "STRICT"
	Lenient = "LENIENT"
)

func parsePolicy(s string) (string, error) {
	switch u := strings.ToUpper(s); u {
	case Strict, Lenient:
		return u, nil
	}
	return "", newError(CodeInvalidCompatibilityLevel, "Invalid compatibility policy %q. Valid values are STRICT and LENIENT", s)
}

func parseMode(s string) (string, error) {
	u := strings.ToUpper(s)
	for _, m := range modes {
		if u == m {
			return m, nil
		}
	}
	return "", newError(CodeInvalidMode, "Invalid mode %q. Valid values are READWRITE, READONLY, READONLY_OVERRIDE and IMPORT.", s)
}
