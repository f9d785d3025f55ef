package textdiff

import "strings"

// Kind says what became of a line.
type Kind int

const (
	Equal  Kind = iota // in both texts
	Delete             // only in the old text
	Insert             // only in the new text
)

func (k Kind) String() string {
	switch k {
	case Delete:
		return "delete"
	case Insert:
		return "insert"
	}
	return "equal"
}

// Edit is one line of the edit script: an index into the old text (Delete, Equal), the new
// text (Insert, Equal), or both; the other index is -1.
type Edit struct {
	Kind Kind
	Old  int
	New  int
}

// Lines returns a shortest edit script that turns a into b: every line of both, in order, as
// kept, deleted or inserted.
func Lines(a, b []string) []Edit {
	// Common prefix and suffix cost nothing and are most of a schema change.
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	out := make([]Edit, 0, len(a)+len(b)-pre-suf)
	for i := 0; i < pre; i++ {
		out = append(out, Edit{Equal, i, i})
	}
	for _, e := range myers(a[pre:len(a)-suf], b[pre:len(b)-suf]) {
		if e.Old >= 0 {
			e.Old += pre
		}
		if e.New >= 0 {
			e.New += pre
		}
		out = append(out, e)
	}
	for i := suf; i > 0; i-- {
		out = append(out, Edit{Equal, len(a) - i, len(b) - i})
	}
	return out
}

// maxEdits bounds the work on two very different texts: beyond it, Lines stops looking for a
// shortest script and replaces the differing middle whole. The frontiers kept for the walk
// back cost about maxEdits² ints (8 MB).
const maxEdits = 1000

// myers is Myers' greedy algorithm ("An O(ND) Difference Algorithm and Its Variations", 1986),
// keeping the frontier of every step to walk the path back.
func myers(a, b []string) []Edit {
	n, m := len(a), len(b)
	if n == 0 || m == 0 {
		return replace(n, m)
	}
	limit := min(n+m, maxEdits)
	offset := limit + 1
	v := make([]int, 2*limit+3) // v[k+offset] is the furthest x on diagonal k
	// trace[d] is the frontier before step d, diagonals -d-1..d+1 (all that step d reads).
	var trace [][]int
	for d := 0; d <= limit; d++ {
		trace = append(trace, append([]int(nil), v[offset-d-1:offset+d+2]...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[k-1+offset] < v[k+1+offset]) {
				x = v[k+1+offset] // down: insert from b
			} else {
				x = v[k-1+offset] + 1 // right: delete from a
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[k+offset] = x
			if x >= n && y >= m {
				return backtrack(trace, n, m, d)
			}
		}
	}
	return replace(n, m)
}

// replace is the script that deletes n lines and inserts m.
func replace(n, m int) []Edit {
	out := make([]Edit, 0, n+m)
	for i := range n {
		out = append(out, Edit{Delete, i, -1})
	}
	for j := range m {
		out = append(out, Edit{Insert, -1, j})
	}
	return out
}

func backtrack(trace [][]int, n, m, d int) []Edit {
	x, y := n, m
	var rev []Edit
	for ; d > 0; d-- {
		v := trace[d]
		at := func(k int) int { return v[k+d+1] }
		k := x - y
		var prevK int
		if k == -d || (k != d && at(k-1) < at(k+1)) {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := at(prevK)
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			x, y = x-1, y-1
			rev = append(rev, Edit{Equal, x, y})
		}
		if x == prevX {
			y--
			rev = append(rev, Edit{Insert, -1, y})
		} else {
			x--
			rev = append(rev, Edit{Delete, x, -1})
		}
	}
	for x > 0 && y > 0 {
		x, y = x-1, y-1
		rev = append(rev, Edit{Equal, x, y})
	}
	out := make([]Edit, len(rev))
	for i, e := range rev {
		out[len(rev)-1-i] = e
	}
	return out
}

// Row is one row of a side-by-side view: a line of the old text, of the new text, or both.
// An index of -1 leaves that side empty.
type Row struct {
	Old, New int
	Changed  bool // the sides differ (a line deleted, inserted or replaced)
}

// SideBySide pairs the edit script's deletions with the insertions that follow them, so a
// replaced line sits next to its replacement.
func SideBySide(edits []Edit) []Row {
	rows := make([]Row, 0, len(edits))
	for i := 0; i < len(edits); {
		if edits[i].Kind == Equal {
			rows = append(rows, Row{Old: edits[i].Old, New: edits[i].New})
			i++
			continue
		}
		var dels, ins []int
		for ; i < len(edits) && edits[i].Kind != Equal; i++ {
			if edits[i].Kind == Delete {
				dels = append(dels, edits[i].Old)
			} else {
				ins = append(ins, edits[i].New)
			}
		}
		for j := 0; j < max(len(dels), len(ins)); j++ {
			r := Row{Old: -1, New: -1, Changed: true}
			if j < len(dels) {
				r.Old = dels[j]
			}
			if j < len(ins) {
				r.New = ins[j]
			}
			rows = append(rows, r)
		}
	}
	return rows
}

// Split cuts text into lines without their line ends; a final line end adds no empty line.
func Split(text string) []string {
	if text == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(text, "\n"), "\n")
}
