package textdiff

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func TestLines(t *testing.T) {
	for _, c := range []struct {
		name string
		a, b string
		want string // one letter per edit: = kept, - deleted, + inserted
	}{
		{"both empty", "", "", ""},
		{"only inserts", "", "a b", "++"},
		{"only deletes", "a b", "", "--"},
		{"same", "a b c", "a b c", "==="},
		{"one line changed", "a b c", "a x c", "=-+="},
		{"line added in the middle", "a b c", "a b x c", "==+="},
		{"line removed", "a b c d", "a c d", "=-=="},
		{"moved line", "a b c", "b c a", "-==+"},
	} {
		t.Run(c.name, func(t *testing.T) {
			edits := Lines(strings.Fields(c.a), strings.Fields(c.b))
			var got strings.Builder
			for _, e := range edits {
				got.WriteByte("=-+"[e.Kind])
			}
			if got.String() != c.want {
				t.Errorf("Lines(%q, %q) = %s, want %s", c.a, c.b, got.String(), c.want)
			}
		})
	}
}

// TestLinesIsShortest checks on random texts that the script rebuilds both texts and is as
// short as the longest common subsequence allows.
func TestLinesIsShortest(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	random := func() []string {
		out := make([]string, r.IntN(30))
		for i := range out {
			out[i] = string(rune('a' + r.IntN(4)))
		}
		return out
	}
	for i := range 2000 {
		a, b := random(), random()
		edits := Lines(a, b)
		var gotA, gotB []string
		changes := 0
		for _, e := range edits {
			if e.Kind != Insert {
				gotA = append(gotA, a[e.Old])
			}
			if e.Kind != Delete {
				gotB = append(gotB, b[e.New])
			}
			if e.Kind == Equal && a[e.Old] != b[e.New] {
				t.Fatalf("case %d: kept lines differ: %q %q", i, a[e.Old], b[e.New])
			}
			if e.Kind != Equal {
				changes++
			}
		}
		if !reflect.DeepEqual(gotA, nilIfEmpty(a)) || !reflect.DeepEqual(gotB, nilIfEmpty(b)) {
			t.Fatalf("case %d: script does not rebuild the texts\na=%v\nb=%v\nedits=%v", i, a, b, edits)
		}
		if want := len(a) + len(b) - 2*lcs(a, b); changes != want {
			t.Fatalf("case %d: %d changes, shortest is %d\na=%v\nb=%v", i, changes, want, a, b)
		}
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// lcs is the textbook dynamic programme, the reference the fast algorithm must match.
func lcs(a, b []string) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}

func TestSideBySide(t *testing.T) {
	a := strings.Fields("a b c d e")
	b := strings.Fields("a x y c e f")
	rows := SideBySide(Lines(a, b))
	var got []string
	for _, r := range rows {
		side := func(lines []string, i int) string {
			if i < 0 {
				return "_"
			}
			return lines[i]
		}
		mark := " "
		if r.Changed {
			mark = "*"
		}
		got = append(got, fmt.Sprintf("%s%s%s", side(a, r.Old), mark, side(b, r.New)))
	}
	want := []string{"a a", "b*x", "_*y", "c c", "d*_", "e e", "_*f"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SideBySide = %q, want %q", got, want)
	}
}

func TestSplit(t *testing.T) {
	for in, want := range map[string][]string{"": nil, "a": {"a"}, "a\n": {"a"}, "a\n\nb": {"a", "", "b"}} {
		if got := Split(in); !reflect.DeepEqual(got, want) {
			t.Errorf("Split(%q) = %q, want %q", in, got, want)
		}
	}
}

func BenchmarkLines(b *testing.B) {
	var a, c []string
	for i := range 1000 {
		a = append(a, fmt.Sprintf(`    {"name": "f%d", "type": "int"},`, i))
		if i%50 != 7 {
			c = append(c, a[i])
		} else {
			c = append(c, fmt.Sprintf(`    {"name": "g%d", "type": "long"},`, i))
		}
	}
	for b.Loop() {
		Lines(a, c)
	}
}

// TestLinesVeryDifferent checks that two texts with nothing in common stay cheap: the script
// is still correct, if not the shortest.
func TestLinesVeryDifferent(t *testing.T) {
	var a, b []string
	for i := range 5000 {
		a = append(a, fmt.Sprint("a", i))
		b = append(b, fmt.Sprint("b", i))
	}
	edits := Lines(a, b)
	if len(edits) != 10000 {
		t.Fatalf("%d edits, want 10000", len(edits))
	}
}
