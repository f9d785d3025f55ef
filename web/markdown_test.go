package web

import (
	"context"
	"strings"
	"testing"
)

func TestMarkdownIsRenderedSafely(t *testing.T) {
	tests := []struct {
		in            string
		want, notWant []string
	}{
		{"Shows **failing** in the demo.", []string{"<strong>failing</strong>"}, nil},
		{"A [link](https://example.com/docs).", []string{`<a href="https://example.com/docs">link</a>`}, nil},
		{"<script>alert(1)</script> and <img src=x onerror=alert(1)>", nil, []string{"<script", "<img", "onerror"}},
		{"[click](javascript:alert(1))", nil, []string{"javascript:"}},
	}
	for _, tt := range tests {
		var b strings.Builder
		if err := markdown(tt.in).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		for _, w := range tt.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("markdown(%q) = %q, want it to contain %q", tt.in, b.String(), w)
			}
		}
		for _, nw := range tt.notWant {
			if strings.Contains(b.String(), nw) {
				t.Errorf("markdown(%q) = %q, must not contain %q", tt.in, b.String(), nw)
			}
		}
	}
}
