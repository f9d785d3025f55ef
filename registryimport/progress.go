package registryimport

import (
	"fmt"
	"io"
	"time"
)

// Printer shows a copy's progress: on a terminal one line rewritten in place at most every
// 200 ms, elsewhere (a log, CI) a plain line every 5 s. Progress is its method for
// Options.Progress; Done ends the display.
type Printer struct {
	w       io.Writer
	tty     bool
	now     func() time.Time
	started time.Time
	last    time.Time
	lastP   Progress
	copying bool // rates count from the end of listing
}

// NewPrinter writes to w, rewriting its line when tty.
func NewPrinter(w io.Writer, tty bool) *Printer {
	p := &Printer{w: w, tty: tty, now: time.Now}
	p.started = p.now()
	return p
}

// Progress shows p if it is time to.
func (p *Printer) Progress(pr Progress) {
	p.lastP = pr
	now := p.now()
	if !pr.Listing && !p.copying {
		p.copying, p.started = true, now
	}
	every := 5 * time.Second
	if p.tty {
		every = 200 * time.Millisecond
	}
	if now.Sub(p.last) < every {
		return
	}
	p.last = now
	p.print(pr, now)
}

// Done shows the last progress and ends the line.
func (p *Printer) Done() {
	p.print(p.lastP, p.now())
	if p.tty {
		fmt.Fprintln(p.w)
	}
}

func (p *Printer) print(pr Progress, now time.Time) {
	line := p.line(pr, now.Sub(p.started))
	if p.tty {
		fmt.Fprintf(p.w, "\r\x1b[K%s", line)
		return
	}
	fmt.Fprintln(p.w, line)
}

// line says how far the copy is, how fast it goes and how long it has left.
func (p *Printer) line(pr Progress, elapsed time.Duration) string {
	if pr.Listing {
		return fmt.Sprintf("listing: %d of %d subjects, %d versions so far", pr.SubjectsDone, pr.Subjects, pr.Versions)
	}
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(pr.VersionsDone) / s
	}
	left := "?"
	if rate > 0 && pr.Versions >= pr.VersionsDone {
		left = (time.Duration(float64(pr.Versions-pr.VersionsDone)/rate) * time.Second).Round(time.Second).String()
	}
	return fmt.Sprintf("copying: %d of %d subjects, %d of %d versions (%d copied, %d refused), %.0f versions/s, %s left",
		pr.SubjectsDone, pr.Subjects, pr.VersionsDone, pr.Versions, pr.Copied, pr.Refused, rate, left)
}
