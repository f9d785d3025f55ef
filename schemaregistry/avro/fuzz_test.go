package avro

import (
	"encoding/json"
	"os"
	"path"
	"testing"
)

// FuzzParseAndCheck parses two schema texts and, when both are valid, checks them against each
// other both ways, diffs them and prints them: nothing may panic, loop or lose its canonical text.
func FuzzParseAndCheck(f *testing.F) {
	if data, err := os.ReadFile(path.Join(corpus, "avro/compatibility-cases.json")); err == nil {
		var file struct {
			Cases []compatibilityCase `json:"cases"`
		}
		if err := json.Unmarshal(data, &file); err != nil {
			f.Fatal(err)
		}
		for _, c := range file.Cases {
			f.Add(string(c.Reader), string(c.Writer))
		}
	}
	f.Add(recordWith(12), recordWith(7))
	f.Add(`{"type":"record","name":"L","fields":[{"name":"n","type":["null","L"]}]}`, `["null","int"]`)
	f.Fuzz(func(t *testing.T, a, b string) {
		sa, err := Format{}.Parse(a, nil)
		if err != nil {
			return
		}
		if again, err := (Format{}).Parse(sa.Canonical(), nil); err != nil || again.Canonical() != sa.Canonical() {
			t.Fatalf("canonical text %s does not parse to itself: %v", sa.Canonical(), err)
		}
		_ = sa.Normalized()
		sb, err := Format{}.Parse(b, nil)
		if err != nil {
			return
		}
		sa.BackwardIncompatibilities(sb)
		sb.BackwardIncompatibilities(sa)
		for _, c := range Diff(sb.(*Schema), sa.(*Schema)) {
			_ = c.Message()
		}
	})
}
