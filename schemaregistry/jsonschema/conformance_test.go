package jsonschema

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

const corpusDir = "../../../shared/conformance/confluent/jsonschema"

type diffCase struct {
	Description       string          `json:"description"`
	OriginalSchema    json.RawMessage `json:"original_schema"`
	UpdateSchema      json.RawMessage `json:"update_schema"`
	Changes           []string        `json:"changes"`
	Compatible        bool            `json:"compatible"`
	CompatibleLenient *bool           `json:"compatible_lenient"`
}

// readCorpus reads a Confluent corpus file in place; it is not copied into the project because
// of its licence. CI must have it; a developer machine without shared/ skips.
func readCorpus(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpusDir, name))
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("conformance corpus missing in CI: %v", err)
		}
		t.Skipf("conformance corpus not available: %v", err)
	}
	return data
}

func readCases(t testing.TB, name string) []diffCase {
	var cases []diffCase
	if err := json.Unmarshal(readCorpus(t, name), &cases); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return cases
}

// knownFailures lists corpus cases (file, index) this package does not yet agree with, each
// with the reason; the test fails when one of them starts passing, so the list stays honest.
var knownFailures = map[string]map[int]string{}

func TestConfluentDiffCorpus(t *testing.T) {
	for _, file := range []string{"diff-schema-examples.json", "diff-schema-examples-2020-12.json"} {
		t.Run(file, func(t *testing.T) {
			cases := readCases(t, file)
			passed := 0
			for i, c := range cases {
				ok := t.Run(fmt.Sprint(i, " ", c.Description), func(t *testing.T) {
					reason, known := knownFailures[file][i]
					problems := checkCase(c)
					switch {
					case known && len(problems) == 0:
						t.Errorf("known failure now passes; remove it from knownFailures (%s)", reason)
					case known:
						t.Skipf("known failure: %s: %v", reason, problems)
					case len(problems) > 0:
						for _, p := range problems {
							t.Error(p)
						}
					}
				})
				if ok && knownFailures[file][i] == "" {
					passed++
				}
			}
			t.Logf("%s: %d/%d cases agree with Confluent", file, passed, len(cases))
		})
	}
}

func checkCase(c diffCase) []string {
	original, err := Parse(string(c.OriginalSchema), nil)
	if err != nil {
		return []string{fmt.Sprintf("original: %v", err)}
	}
	update, err := Parse(string(c.UpdateSchema), nil)
	if err != nil {
		return []string{fmt.Sprintf("update: %v", err)}
	}
	var problems []string
	var got []string
	for _, ch := range Diff(original, update, Strict) {
		got = append(got, ch.String())
	}
	want := slices.Clone(c.Changes)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		problems = append(problems, fmt.Sprintf("changes:\n got  %q\n want %q", got, want))
	}
	if compatible := len(update.BackwardIncompatibilities(original)) == 0; compatible != c.Compatible {
		problems = append(problems, fmt.Sprintf("STRICT compatible = %v, want %v", compatible, c.Compatible))
	}
	if c.CompatibleLenient != nil {
		lenient, _ := Format{Policy: Lenient}.Parse(string(c.UpdateSchema), nil)
		if compatible := len(lenient.BackwardIncompatibilities(original)) == 0; compatible != *c.CompatibleLenient {
			problems = append(problems, fmt.Sprintf("LENIENT compatible = %v, want %v", compatible, *c.CompatibleLenient))
		}
	}
	return problems
}

func TestRecursiveSchemaDiffsToNothing(t *testing.T) {
	text := string(readCorpus(t, "recursive-schema.json"))
	a, err := Parse(text, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse(text, nil)
	if err != nil {
		t.Fatal(err)
	}
	if changes := Diff(a, b, Strict); len(changes) != 0 {
		t.Errorf("recursive schema against itself: %v", changes)
	}
	if changes := Diff(a, a, Strict); len(changes) != 0 {
		t.Errorf("recursive schema against the same parse: %v", changes)
	}
}
