package flowgraph

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// SVG text is measured by the browser, after layout; the layout needs widths before that, so it
// estimates them from DejaVu Sans' advance widths — wider than most system fonts, so boxes err on
// the roomy side rather than letting text overflow.
func textWidth(s string, size float64, mono bool) float64 {
	if mono {
		return float64(utf8.RuneCountInString(s)) * 0.602 * size
	}
	var em float64
	for _, r := range s {
		switch {
		case strings.ContainsRune("ijlI.,:;'|!·", r):
			em += 0.30
		case strings.ContainsRune("frt()[]{}-/ ", r):
			em += 0.40
		case strings.ContainsRune("mwMW%", r):
			em += 0.95
		case unicode.IsUpper(r):
			em += 0.72
		case unicode.IsDigit(r):
			em += 0.64
		default:
			em += 0.62
		}
	}
	return em * size
}

// truncate shortens s to at most n runes, marking the cut with an ellipsis.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// wrapLabel breaks an edge label at its " · " separators so that lines stay under maxWidth
// where they can; a narrow label keeps the gap between columns narrow.
func wrapLabel(label string, size, maxWidth float64) []string {
	if label == "" {
		return nil
	}
	parts := strings.Split(label, " · ")
	var lines []string
	line := parts[0]
	for _, p := range parts[1:] {
		if joined := line + " · " + p; textWidth(joined, size, false) <= maxWidth {
			line = joined
			continue
		}
		lines = append(lines, line)
		line = p
	}
	return append(lines, line)
}

// labelWidth is the width of an edge label's box; app.css sets failing labels in bold.
func labelWidth(lines []string, h Health) float64 {
	w := 0.0
	for _, line := range lines {
		w = max(w, textWidth(line, labelFont, false))
	}
	if h == Failing {
		w *= 1.1
	}
	return w + 12
}

// labelHeight is the height of an edge label's box.
func labelHeight(lines []string) float64 { return float64(len(lines))*labelLineH + 4 }
