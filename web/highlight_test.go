package web

import (
	"strings"
	"testing"
)

// showTokens writes tokens back as class:text pairs, plain text bare.
func showTokens(lines []codeLine) string {
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteString("\n")
		}
		for _, t := range l {
			if t.Class == "" {
				b.WriteString(t.Text)
			} else {
				b.WriteString("[" + strings.TrimPrefix(t.Class, "tok-") + " " + t.Text + "]")
			}
		}
	}
	return b.String()
}

func TestHighlight(t *testing.T) {
	for _, c := range []struct {
		typ, text, want string
	}{
		{"AVRO", `{"type":"record","fields":[{"name":"a","default":-1.5e3},null,true]}`,
			"[punct {]\n  [key \"type\"][punct :] [str \"record\"][punct ,]\n  [key \"fields\"][punct :] [punct []\n    [punct {]\n      [key \"name\"][punct :] [str \"a\"][punct ,]\n      [key \"default\"][punct :] [num -1.5e3]\n    [punct }][punct ,]\n    [kw null][punct ,]\n    [kw true]\n  [punct ]]\n[punct }]"},
		{"JSON", `{"a\"b:":"<script>"}`, "[punct {]\n  [key \"a\\\"b:\"][punct :] [str \"<script>\"]\n[punct }]"},
		{"AVRO", `not json {`, "not json [punct {]"},
		{"PROTOBUF", "syntax = \"proto3\";\n// note\nmessage M {\n  repeated shop.Item items = 1 [deprecated = true];\n  /* a\n  b */\n}\n",
			"[kw syntax] [punct =] [str \"proto3\"][punct ;]\n[com // note]\n[kw message] M [punct {]\n  [kw repeated] shop.Item [key items] [punct =] [num 1] [punct [][key deprecated] [punct =] [kw true][punct ]][punct ;]\n  [com /* a]\n[com   b */]\n[punct }]"},
	} {
		got := showTokens(highlight(c.typ, prettySchema(c.typ, c.text)))
		if got != c.want {
			t.Errorf("highlight(%s, %q) =\n%s\nwant\n%s", c.typ, c.text, got, c.want)
		}
	}
}

// TestHighlightKeepsEveryByte checks that tokenizing loses nothing, whatever the text.
func TestHighlightKeepsEveryByte(t *testing.T) {
	for _, text := range []string{
		`{"a":[1,2,{"b":"c\\"}]}`, `"unterminated`, "\"a\nb\"", `{"é":"ü"}`, "message /* open", `'x' "y`, "-", "",
	} {
		for _, typ := range []string{"AVRO", "PROTOBUF"} {
			var b strings.Builder
			for i, l := range highlight(typ, text) {
				if i > 0 {
					b.WriteString("\n")
				}
				for _, tok := range l {
					b.WriteString(tok.Text)
				}
			}
			if b.String() != text {
				t.Errorf("%s %q comes back as %q", typ, text, b.String())
			}
		}
	}
}
