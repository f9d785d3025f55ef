package protobuf

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/eventlens/eventlens/schemaregistry/format"
)

// corpusDir holds Confluent's protobuf-provider test resources, read in place (their license
// keeps them out of this repository).
const corpusDir = "../../../shared/conformance/confluent/protobuf"

type corpusRef struct {
	Name    string `json:"name"`
	Subject string `json:"subject"`
	Version int    `json:"version"`
}

type corpusDep struct {
	Name       string  `json:"name"`
	Dependency *string `json:"dependency"`
}

type corpusCase struct {
	Description          string      `json:"description"`
	OriginalSchema       string      `json:"original_schema"`
	UpdateSchema         string      `json:"update_schema"`
	OriginalReferences   []corpusRef `json:"original_references"`
	UpdateReferences     []corpusRef `json:"update_references"`
	OriginalDependencies []corpusDep `json:"original_dependencies"`
	UpdateDependencies   []corpusDep `json:"update_dependencies"`
	Changes              []string    `json:"changes"`
	Compatible           bool        `json:"compatible"`
}

// readCorpus loads a corpus file; a missing corpus skips the test locally and fails it in CI.
func readCorpus(t testing.TB, name string) []corpusCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir, name))
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("corpus missing in CI: %v", err)
		}
		t.Skipf("corpus not available: %v", err)
	}
	var cases []corpusCase
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return cases
}

// schemaText is the case's schema, or the file it names under io/….
func schemaText(t testing.TB, s string) string {
	t.Helper()
	if !strings.HasSuffix(s, ".proto") {
		return s
	}
	b, err := os.ReadFile(filepath.Join(corpusDir, s))
	if err != nil {
		t.Fatalf("read %s: %v", s, err)
	}
	return string(b)
}

// caseReferences pairs the case's references with the dependency texts; a dependency given
// by name only is one of the imports the registry knows without a reference.
func caseReferences(t testing.TB, refs []corpusRef, deps []corpusDep) []format.Reference {
	t.Helper()
	texts := map[string]string{}
	for _, d := range deps {
		if d.Dependency != nil {
			texts[d.Name] = *d.Dependency
			continue
		}
		src, err := builtinSource(d.Name)
		if err != nil {
			t.Fatalf("dependency %s: %v", d.Name, err)
		}
		texts[d.Name] = src
	}
	var out []format.Reference
	for _, r := range refs {
		out = append(out, format.Reference{Name: r.Name, Subject: r.Subject, Version: r.Version, Schema: texts[r.Name]})
	}
	return out
}

// knownFailures lists corpus cases (file and index) we do not yet agree on, with the reason.
// A listed case that starts passing fails the test, so the list stays honest.
var knownFailures = map[string]string{}

func TestConfluentDiffCorpus(t *testing.T) {
	for _, file := range []string{"diff-schema-examples.json", "diff-schema-examples-with-meta.json"} {
		cases := readCorpus(t, file)
		passed := 0
		for i, c := range cases {
			key := fmt.Sprint(file, "#", i)
			ok := t.Run(fmt.Sprint(file, "/", i, " ", c.Description), func(t *testing.T) {
				if reason, known := knownFailures[key]; known {
					if err := checkCase(t, c); err == nil {
						t.Fatalf("known failure now passes, remove it from knownFailures (%s)", reason)
					} else {
						t.Skipf("known failure (%s): %v", reason, err)
					}
					return
				}
				if err := checkCase(t, c); err != nil {
					t.Fatal(err)
				}
			})
			if _, known := knownFailures[key]; ok && !known {
				passed++
			}
		}
		t.Logf("%s: %d/%d cases agree with Confluent", file, passed, len(cases))
	}
}

func checkCase(t *testing.T, c corpusCase) error {
	orig, err := Parse(schemaText(t, c.OriginalSchema), caseReferences(t, c.OriginalReferences, c.OriginalDependencies))
	if err != nil {
		return fmt.Errorf("original: %v", err)
	}
	upd, err := Parse(schemaText(t, c.UpdateSchema), caseReferences(t, c.UpdateReferences, c.UpdateDependencies))
	if err != nil {
		return fmt.Errorf("update: %v", err)
	}
	var got []string
	for _, ch := range Diff(orig, upd) {
		got = append(got, ch.String())
	}
	want := slices.Clone(c.Changes)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		return fmt.Errorf("changes\n got %q\nwant %q", got, want)
	}
	if compatible := len(upd.BackwardIncompatibilities(orig)) == 0; compatible != c.Compatible {
		return fmt.Errorf("compatible = %v, want %v", compatible, c.Compatible)
	}
	return nil
}
