package protobuf

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseAndDiff parses two schemas and diffs them both ways: nothing may panic or hang,
// and a schema diffed against itself shows no change. Seeds are the corpus pairs when the
// corpus is present, and a few hostile shapes.
func FuzzParseAndDiff(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join(corpusDir, "diff-schema-examples.json")); err == nil {
		var cases []corpusCase
		if err := json.Unmarshal(b, &cases); err != nil {
			f.Fatal(err)
		}
		for _, c := range cases {
			if !strings.HasSuffix(c.OriginalSchema, ".proto") {
				f.Add(c.OriginalSchema, c.UpdateSchema)
			}
		}
	}
	f.Add("syntax = \"proto3\";\nmessage A { oneof o { A a = 1; int32 b = 2; } map<string, A> m = 3; }\n",
		"syntax = \"proto3\";\nmessage A { A a = 1; oneof p { sint32 b = 2; } }\n")
	f.Add("syntax = \"proto2\";\nmessage A { optional group G = 1 { required int32 x = 2; } extensions 10 to max; }\n",
		"syntax = \"proto2\";\nmessage A { repeated int32 x = 2 [packed = true, default = 1]; }\n")
	f.Add("option (x) = {a: [1, 2] b {c: \"d\"}};", "enum E { option allow_alias = true; A = 0; B = 0; }")
	f.Add(strings.Repeat("message M {", 70), strings.Repeat("[", 70))
	f.Fuzz(func(t *testing.T, a, b string) {
		sa, errA := Parse(a, nil)
		sb, errB := Parse(b, nil)
		for _, s := range []*Schema{sa, sb} {
			if s == nil {
				continue
			}
			_ = s.Normalized()
			if d := Diff(s, s); len(d) != 0 {
				t.Fatalf("self-diff of %q: %v", a, d)
			}
		}
		if errA == nil && errB == nil {
			Diff(sa, sb)
			Diff(sb, sa)
			sb.BackwardIncompatibilities(sa)
		}
	})
}
