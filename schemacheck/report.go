package schemacheck

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Finding is one incompatibility, or one subject that could not be checked. Kind, Path and
// Message are the registry's (Confluent's) words; Field, OldType and NewType say the same in
// the schema author's, when the format can.
type Finding struct {
	Subject string `json:"subject"`
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`    // 1-based line in File, when the location maps to one
	Kind    string `json:"kind"`              // e.g. READER_FIELD_MISSING_DEFAULT_VALUE
	Path    string `json:"path,omitempty"`    // location in the schema, e.g. /fields/1/type
	Field   string `json:"field,omitempty"`   // the field it is at: Payment.id, customer.id, Order.id (1)
	OldType string `json:"oldType,omitempty"` // the field's type before, as written; none when the field is new
	NewType string `json:"newType,omitempty"` // the field's type after; none when the field is gone
	Message string `json:"message"`
}

// Change says what changed the way a reviewer would: "field Payment.id changed type string →
// long", "field Payment.currency (string) added"; "" when the finding names no field or type.
func (f Finding) Change() string {
	subject := "field " + f.Field
	if f.Field == "" {
		subject = "schema"
	}
	switch {
	case f.OldType != "" && f.NewType != "" && f.OldType != f.NewType:
		return subject + " changed type " + f.OldType + " → " + f.NewType
	case f.OldType != "" && f.NewType != "":
		return subject + " (" + f.NewType + ")"
	case f.NewType != "":
		return subject + " (" + f.NewType + ") added"
	case f.OldType != "":
		return subject + " (" + f.OldType + ") removed"
	case f.Field != "":
		return subject
	}
	return ""
}

// Checked is the outcome for one subject.
type Checked struct {
	Subject  string    `json:"subject"`
	File     string    `json:"file"`
	Level    string    `json:"level,omitempty"`
	Against  string    `json:"against"` // what the file was compared with: "registry", "new subject" or a file
	Findings []Finding `json:"findings"`
}

// Report is the outcome of a check run.
type Report struct {
	Checked []Checked `json:"checked"`
}

// Compatible reports whether nothing breaks.
func (r Report) Compatible() bool {
	for _, c := range r.Checked {
		if len(c.Findings) > 0 {
			return false
		}
	}
	return true
}

func (r Report) findings() int {
	n := 0
	for _, c := range r.Checked {
		n += len(c.Findings)
	}
	return n
}

// Formats lists the output formats Write knows.
var Formats = []string{"text", "json", "github", "junit"}

// Write writes r in format; colour applies to text only.
func (r Report) Write(w io.Writer, format string, colour bool) error {
	switch format {
	case "text":
		return r.writeText(w, colour)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Compatible bool `json:"compatible"`
			Report
		}{r.Compatible(), r})
	case "github":
		return r.writeGitHub(w)
	case "junit":
		return r.writeJUnit(w)
	}
	return fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(Formats, ", "))
}

func (r Report) writeText(w io.Writer, colour bool) error {
	paint := func(code, s string) string {
		if !colour {
			return s
		}
		return "\x1b[" + code + "m" + s + "\x1b[0m"
	}
	var b strings.Builder
	for _, c := range r.Checked {
		if len(c.Findings) == 0 {
			fmt.Fprintf(&b, "%s %s (%s) compatible with %s\n", paint("32", "ok  "), c.Subject, c.File, c.Against)
			continue
		}
		fmt.Fprintf(&b, "%s %s (%s) breaks against %s:\n", paint("31", "FAIL"), c.Subject, c.File, c.Against)
		for _, f := range c.Findings {
			where := f.File
			if f.Line > 0 {
				where = fmt.Sprintf("%s:%d", f.File, f.Line)
			}
			fmt.Fprintf(&b, "     %s %s", paint("1", f.Kind), where)
			if change := f.Change(); change != "" {
				fmt.Fprintf(&b, " %s", change)
			} else if f.Path != "" {
				fmt.Fprintf(&b, " at %s", f.Path)
			}
			fmt.Fprintf(&b, "\n       %s\n", strings.ReplaceAll(f.Message, "\n", "\n       "))
		}
	}
	if r.Compatible() {
		fmt.Fprintf(&b, "%d schema(s) checked, all compatible\n", len(r.Checked))
	} else {
		fmt.Fprintf(&b, "%d schema(s) checked, %d incompatibilit%s\n", len(r.Checked), r.findings(), plural(r.findings(), "y", "ies"))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// writeGitHub writes workflow commands, so each break annotates the pull request at its line.
// https://docs.github.com/actions/reference/workflow-commands-for-github-actions
func (r Report) writeGitHub(w io.Writer) error {
	var b strings.Builder
	for _, c := range r.Checked {
		for _, f := range c.Findings {
			props := "file=" + escapeGitHubProperty(f.File)
			if f.Line > 0 {
				props += fmt.Sprintf(",line=%d", f.Line)
			}
			props += ",title=" + escapeGitHubProperty(f.Kind+" in "+f.Subject)
			msg := f.Message
			if f.Path != "" {
				msg += " (at " + f.Path + ")"
			}
			if change := f.Change(); change != "" {
				msg = change + "\n" + msg
			}
			fmt.Fprintf(&b, "::error %s::%s\n", props, escapeGitHubData(msg))
		}
	}
	if r.Compatible() {
		fmt.Fprintf(&b, "::notice title=eventlens check::%d schema(s) compatible\n", len(r.Checked))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func escapeGitHubData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeGitHubProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Failures  []junitFailed `xml:"failure"`
}

type junitFailed struct {
	Type    string `xml:"type,attr"`
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// writeJUnit writes one test case per subject, failed with one failure per incompatibility.
func (r Report) writeJUnit(w io.Writer) error {
	suite := junitSuite{Name: "schema compatibility", Tests: len(r.Checked)}
	for _, c := range r.Checked {
		tc := junitCase{Name: c.Subject, Classname: "eventlens.check", File: c.File}
		for _, f := range c.Findings {
			loc := f.File
			if f.Line > 0 {
				loc = fmt.Sprintf("%s:%d", f.File, f.Line)
			}
			text := fmt.Sprintf("%s at %s %s", f.Kind, loc, f.Path)
			if change := f.Change(); change != "" {
				text += "\n" + change
			}
			tc.Failures = append(tc.Failures, junitFailed{Type: f.Kind, Message: f.Message, Text: text})
		}
		if len(tc.Failures) > 0 {
			suite.Failures++
		}
		suite.Cases = append(suite.Cases, tc)
	}
	sort.SliceStable(suite.Cases, func(i, j int) bool { return suite.Cases[i].Name < suite.Cases[j].Name })
	doc := junitSuites{Name: "eventlens check", Tests: suite.Tests, Failures: suite.Failures, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
