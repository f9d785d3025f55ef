package web

import (
	"bytes"
	"context"
	"io"

	"github.com/a-h/templ"
	"github.com/yuin/goldmark"
)

// markdownRenderer renders catalog descriptions. goldmark's defaults are the safe ones: raw HTML
// in the text is left out and dangerous link destinations (javascript:, vbscript:, …) are dropped.
var markdownRenderer = goldmark.New()

// markdown renders a Markdown description as HTML, safely (see markdownRenderer). A text that
// does not render is shown as plain text.
func markdown(text string) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		var buf bytes.Buffer
		if err := markdownRenderer.Convert([]byte(text), &buf); err != nil {
			_, err := io.WriteString(w, templ.EscapeString(text))
			return err
		}
		_, err := w.Write(buf.Bytes())
		return err
	})
}
