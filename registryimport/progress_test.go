package registryimport

import (
	"strings"
	"testing"
	"time"
)

func TestPrinter(t *testing.T) {
	for _, tty := range []bool{false, true} {
		var b strings.Builder
		p := NewPrinter(&b, tty)
		now := time.Unix(1000, 0)
		p.now = func() time.Time { return now }
		p.started = now
		p.Progress(Progress{Listing: true, SubjectsDone: 1, Subjects: 4, Versions: 3})
		for i := 1; i <= 40; i++ {
			now = now.Add(time.Second)
			p.Progress(Progress{SubjectsDone: i / 10, Subjects: 4, VersionsDone: i, Versions: 80, Copied: i})
		}
		p.Done()
		out := b.String()
		if !strings.Contains(out, "listing: 1 of 4 subjects, 3 versions so far") {
			t.Errorf("tty=%v: no listing line in %q", tty, out)
		}
		// 40 versions in 39 s since listing ended: 1/s, 40 left.
		if !strings.Contains(out, "copying: 4 of 4 subjects, 40 of 80 versions (40 copied, 0 refused), 1 versions/s, 39s left") {
			t.Errorf("tty=%v: last line missing in %q", tty, out)
		}
		lines := strings.Count(out, "\n")
		if tty && (lines != 1 || !strings.Contains(out, "\r\x1b[K")) {
			t.Errorf("on a terminal: %d lines in %q, want one rewritten line", lines, out)
		}
		if !tty && (lines < 8 || lines > 10 || strings.Contains(out, "\r")) {
			t.Errorf("not on a terminal: %d lines in %q, want a plain line every 5 s", lines, out)
		}
	}
}
