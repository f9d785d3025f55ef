package web

import (
	"slices"
	"testing"

	"github.com/eventlens/eventlens/tracing"
)

// TestWindowsAreLive checks every window the pages offer is one tracing keeps running sums for:
// any other would make each view sum aggregate rows, hundreds of milliseconds on a large store.
func TestWindowsAreLive(t *testing.T) {
	for _, w := range windows {
		if !slices.Contains(tracing.DefaultWindows, w.D) {
			t.Errorf("window %s (%s) is not among tracing.DefaultWindows %v", w.Key, w.D, tracing.DefaultWindows)
		}
	}
}
