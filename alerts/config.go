package alerts

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"slices"
	"strings"
	"time"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/eventlens/eventlens/catalog"
)

// Kinds of rule: what condition a rule watches.
const (
	KindConsumerFailing = "consumer_failing" // consumer health says failing
	KindConsumerSilent  = "consumer_silent"  // consumer health says silent
	KindConsumerLagging = "consumer_lagging" // the broker's lag (messages or time) at or above the rule's threshold
	KindDeadLetters     = "dlq_growing"      // messages reach a consumer's dead-letter channel
	KindDrift           = "drift"            // a drift finding (catalog.Drift)
	KindRefused         = "registration_refused"
	KindUnownedSubject  = "unowned_subject" // a registry subject no catalog document links
)

// Kinds lists every kind of rule.
var Kinds = []string{KindConsumerFailing, KindConsumerSilent, KindConsumerLagging, KindDeadLetters, KindDrift, KindRefused, KindUnownedSubject}

// Severities, from worst to mildest.
var Severities = []string{"critical", "warning", "info"}

// Receiver formats.
const (
	FormatJSON         = "json"
	FormatSlack        = "slack"
	FormatAlertmanager = "alertmanager"
)

var formats = []string{FormatJSON, FormatSlack, FormatAlertmanager}

// Config is an alerts file.
type Config struct {
	EvaluateEvery time.Duration `yaml:"evaluate_every"` // how often rules are evaluated (30s)
	ExternalURL   string        `yaml:"external_url"`   // this eventlens' address, for links in notifications
	SendTimeout   time.Duration `yaml:"send_timeout"`   // one webhook call's limit (10s)
	RetryInitial  time.Duration `yaml:"retry_initial"`  // the first retry's delay after a failed send (5s); it doubles each time
	RetryMax      time.Duration `yaml:"retry_max"`      // the longest delay between retries (5m)
	Receivers     []Receiver    `yaml:"receivers"`
	Rules         []Rule        `yaml:"rules"`
}

// Receiver is a webhook notifications go to.
type Receiver struct {
	Name    string            `yaml:"name"`
	Format  string            `yaml:"format"` // json (default), slack or alertmanager
	URL     string            `yaml:"url"`
	Headers map[string]string `yaml:"headers"` // sent with every call, e.g. Authorization
}

// Rule is one condition to alert on.
type Rule struct {
	Name      string        `yaml:"name"`
	Kind      string        `yaml:"kind"`
	Severity  string        `yaml:"severity"`
	For       time.Duration `yaml:"for"` // how long the condition must hold before the alert fires
	Receivers []string      `yaml:"receivers"`
	// Match keeps what these glob patterns (path.Match) accept: keys service, group, channel,
	// subject.
	Match map[string]string `yaml:"match"`

	Lag          int64         `yaml:"lag"`            // consumer_lagging: messages behind
	TimeLag      time.Duration `yaml:"time_lag"`       // consumer_lagging: time behind
	MinPerMinute float64       `yaml:"min_per_minute"` // dlq_growing: dead letters per minute (any above 0)
	DriftKinds   []string      `yaml:"drift_kinds"`    // drift: the kinds to alert on (all)
	Within       time.Duration `yaml:"within"`         // registration_refused: how long a refusal alerts (1h)
}

// Limits of an alerts file, so a mistaken or hostile one cannot take the server down.
const (
	maxFileBytes = 1 << 20
	maxRules     = 500
	maxReceivers = 100
	maxNameLen   = 200
	maxLongest   = 30 * 24 * time.Hour // the longest for, within, time_lag or interval accepted
)

var matchKeys = []string{"service", "group", "channel", "subject"}

// LoadFile reads and checks an alerts file. Every problem names the file and the line.
func LoadFile(file string) (Config, error) {
	f, err := os.Open(file)
	if err != nil {
		return Config{}, fmt.Errorf("alerts file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return Config{}, fmt.Errorf("alerts file %s: %w", file, err)
	}
	if len(data) > maxFileBytes {
		return Config{}, fmt.Errorf("alerts file %s: larger than %d bytes", file, maxFileBytes)
	}
	c, err := Parse(data)
	if err != nil {
		return Config{}, fmt.Errorf("alerts file %s: %w", file, err)
	}
	return c, nil
}

// Parse reads and checks the text of an alerts file.
func Parse(data []byte) (Config, error) {
	var c Config
	if len(bytes.TrimSpace(data)) == 0 {
		return c, errors.New("empty: want receivers and rules (see docs/operations.md, \"Alerts\")")
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return c, yamlError(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return c, yamlError(err)
	}
	var more yaml.Node
	if dec.Decode(&more) != io.EOF {
		return c, errors.New("more than one YAML document: want one")
	}
	lines := nodeLines{root: &root}
	if err := c.check(lines); err != nil {
		return c, err
	}
	c.setDefaults()
	return c, nil
}

// yamlError trims the YAML library's prefix; its messages already name the line.
func yamlError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n  ")
	return errors.New(strings.ReplaceAll(msg, "\n  ", "; "))
}

func (c *Config) setDefaults() {
	def := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.EvaluateEvery, 30*time.Second)
	def(&c.SendTimeout, 10*time.Second)
	def(&c.RetryInitial, 5*time.Second)
	def(&c.RetryMax, 5*time.Minute)
	for i := range c.Receivers {
		if c.Receivers[i].Format == "" {
			c.Receivers[i].Format = FormatJSON
		}
	}
	for i := range c.Rules {
		if c.Rules[i].Kind == KindRefused {
			def(&c.Rules[i].Within, time.Hour)
		}
	}
}

func (c *Config) check(lines nodeLines) error {
	if len(c.Rules) == 0 {
		return errors.New("no rules: want at least one under rules:")
	}
	if len(c.Rules) > maxRules {
		return fmt.Errorf("line %d: %d rules: at most %d", lines.of("rules"), len(c.Rules), maxRules)
	}
	if len(c.Receivers) > maxReceivers {
		return fmt.Errorf("line %d: %d receivers: at most %d", lines.of("receivers"), len(c.Receivers), maxReceivers)
	}
	for _, d := range []struct {
		key string
		v   time.Duration
		min time.Duration
	}{{"evaluate_every", c.EvaluateEvery, time.Second}, {"send_timeout", c.SendTimeout, 100 * time.Millisecond},
		{"retry_initial", c.RetryInitial, 100 * time.Millisecond}, {"retry_max", c.RetryMax, 100 * time.Millisecond}} {
		if d.v != 0 && (d.v < d.min || d.v > maxLongest) {
			return fmt.Errorf("line %d: %s %s: want between %s and %s", lines.of(d.key), d.key, d.v, d.min, maxLongest)
		}
	}
	if c.ExternalURL != "" {
		if err := checkURL(c.ExternalURL); err != nil {
			return fmt.Errorf("line %d: external_url: %w", lines.of("external_url"), err)
		}
	}
	receivers := map[string]bool{}
	for i, r := range c.Receivers {
		at := func(key string) int { return lines.of("receivers", i, key) }
		if err := checkName(r.Name); err != nil {
			return fmt.Errorf("line %d: receiver name: %w", at("name"), err)
		}
		if receivers[r.Name] {
			return fmt.Errorf("line %d: receiver %q: a second receiver of this name", at("name"), r.Name)
		}
		receivers[r.Name] = true
		if r.Format != "" && !slices.Contains(formats, r.Format) {
			return fmt.Errorf("line %d: receiver %q: format %q: want one of %s", at("format"), r.Name, r.Format, strings.Join(formats, ", "))
		}
		if err := checkURL(r.URL); err != nil {
			return fmt.Errorf("line %d: receiver %q: url: %w", at("url"), r.Name, err)
		}
		for k, v := range r.Headers {
			if !validHeader(k, v) {
				return fmt.Errorf("line %d: receiver %q: header %q: not a valid HTTP header name and value", at("headers"), r.Name, k)
			}
		}
	}
	rules := map[string]bool{}
	for i, r := range c.Rules {
		at := func(key string) int { return lines.of("rules", i, key) }
		if err := checkName(r.Name); err != nil {
			return fmt.Errorf("line %d: rule name: %w", at("name"), err)
		}
		if rules[r.Name] {
			return fmt.Errorf("line %d: rule %q: a second rule of this name", at("name"), r.Name)
		}
		rules[r.Name] = true
		if err := r.check(receivers, at); err != nil {
			return fmt.Errorf("line %d: rule %q: %w", err.line, r.Name, err.err)
		}
	}
	return nil
}

func (r Rule) check(receivers map[string]bool, at func(string) int) *lineError {
	if !slices.Contains(Kinds, r.Kind) {
		return lineErr(at("kind"), "kind %q: want one of %s", r.Kind, strings.Join(Kinds, ", "))
	}
	if !slices.Contains(Severities, r.Severity) {
		return lineErr(at("severity"), "severity %q: want one of %s", r.Severity, strings.Join(Severities, ", "))
	}
	if r.For < 0 || r.For > maxLongest {
		return lineErr(at("for"), "for %s: want between 0s and %s", r.For, maxLongest)
	}
	for _, name := range r.Receivers {
		if !receivers[name] {
			return lineErr(at("receivers"), "receiver %q: no receiver of this name under receivers:", name)
		}
	}
	for k, pattern := range r.Match {
		if !slices.Contains(matchKeys, k) {
			return lineErr(at("match"), "match %q: want one of %s", k, strings.Join(matchKeys, ", "))
		}
		if _, err := path.Match(pattern, ""); err != nil || len(pattern) > maxNameLen {
			return lineErr(at("match"), "match %s %q: not a glob pattern (path.Match)", k, pattern)
		}
	}
	// Each kind's own settings, and none of another kind's.
	only := map[string][]string{KindConsumerLagging: {"lag", "time_lag"}, KindDeadLetters: {"min_per_minute"},
		KindDrift: {"drift_kinds"}, KindRefused: {"within"}}
	set := map[string]bool{"lag": r.Lag != 0, "time_lag": r.TimeLag != 0, "min_per_minute": r.MinPerMinute != 0,
		"drift_kinds": len(r.DriftKinds) > 0, "within": r.Within != 0}
	for key, isSet := range set {
		if isSet && !slices.Contains(only[r.Kind], key) {
			return lineErr(at(key), "%s: only for a rule of kind %s", key, kindOf(only, key))
		}
	}
	switch r.Kind {
	case KindConsumerLagging:
		if r.Lag <= 0 && r.TimeLag <= 0 {
			return lineErr(at("kind"), "a consumer_lagging rule needs lag (messages) or time_lag (a duration), above 0")
		}
		if r.Lag < 0 || r.TimeLag < 0 || r.TimeLag > maxLongest {
			return lineErr(at("lag"), "lag and time_lag must be above 0 (time_lag at most %s)", maxLongest)
		}
	case KindDeadLetters:
		if r.MinPerMinute < 0 {
			return lineErr(at("min_per_minute"), "min_per_minute %g: must not be negative", r.MinPerMinute)
		}
	case KindDrift:
		for _, k := range r.DriftKinds {
			if !slices.Contains(catalog.DriftKinds, k) {
				return lineErr(at("drift_kinds"), "drift kind %q: want one of %s", k, strings.Join(catalog.DriftKinds, ", "))
			}
		}
	case KindRefused:
		if r.Within < 0 || r.Within > maxLongest {
			return lineErr(at("within"), "within %s: want between 1s and %s", r.Within, maxLongest)
		}
	}
	return nil
}

func kindOf(only map[string][]string, key string) string {
	for kind, keys := range only {
		if slices.Contains(keys, key) {
			return kind
		}
	}
	return "?"
}

// lineError is a problem with a rule, and the line it is on.
type lineError struct {
	line int
	err  error
}

func lineErr(line int, format string, args ...any) *lineError {
	return &lineError{line: line, err: fmt.Errorf(format, args...)}
}

func checkName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return errors.New("missing")
	case len(name) > maxNameLen:
		return fmt.Errorf("longer than %d bytes", maxNameLen)
	case strings.IndexFunc(name, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
		return fmt.Errorf("%q holds a control character", name)
	}
	return nil
}

func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q: want an http:// or https:// URL", redactURL(raw))
	}
	return nil
}

// redactURL keeps a webhook's secret (Slack's is its path) out of messages: scheme and host only.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		if len(raw) > 40 {
			return raw[:20] + "…"
		}
		return raw
	}
	return u.Scheme + "://" + u.Host + "/…"
}

func validHeader(name, value string) bool {
	if name == "" || strings.ContainsAny(value, "\r\n\x00") {
		return false
	}
	for _, r := range name {
		if r > unicode.MaxASCII || strings.ContainsRune(" \t()<>@,;:\\\"/[]?={}", r) || !unicode.IsPrint(r) {
			return false
		}
	}
	return http.CanonicalHeaderKey(name) != ""
}

// nodeLines finds the line of a key in the parsed document, for messages about values the
// YAML decoder accepted but the rules refuse.
type nodeLines struct{ root *yaml.Node }

// of follows path (map keys and sequence indexes) as far as it goes and returns that node's
// line: a missing key gives the line of its parent.
func (l nodeLines) of(steps ...any) int {
	n := l.root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, step := range steps {
		next := child(n, step)
		if next == nil {
			break
		}
		n = next
	}
	return n.Line
}

func child(n *yaml.Node, step any) *yaml.Node {
	switch s := step.(type) {
	case string:
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == s {
					return n.Content[i+1]
				}
			}
		}
	case int:
		if n.Kind == yaml.SequenceNode && s < len(n.Content) {
			return n.Content[s]
		}
	}
	return nil
}
