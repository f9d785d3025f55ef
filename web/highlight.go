package web

import (
	"bytes"
	"encoding/json"
	"strings"
)

// token is a run of schema text with the class that colours it ("" for plain text).
type token struct {
	Class string // tok-key, tok-str, tok-num, tok-kw, tok-punct, tok-com or ""
	Text  string
}

// codeLine is one line of a highlighted schema.
type codeLine []token

// prettySchema returns a schema's text as people read it: JSON (Avro, JSON Schema) indented by
// two spaces in its written member order, Protobuf as stored (the canonical text is already
// laid out).
func prettySchema(schemaType, text string) string {
	if schemaType == "PROTOBUF" {
		return strings.TrimRight(text, "\n")
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, []byte(text), "", "  "); err != nil {
		return text
	}
	return buf.String()
}

// highlight splits a pretty-printed schema into lines of classified tokens. The text itself is
// never trusted: templ escapes every token when it renders.
func highlight(schemaType, text string) []codeLine {
	var toks []token
	if schemaType == "PROTOBUF" {
		toks = protoTokens(text)
	} else {
		toks = jsonTokens(text)
	}
	return splitLines(toks)
}

// splitLines cuts tokens at line ends, so that a token spanning lines (a block comment) is
// coloured on each.
func splitLines(toks []token) []codeLine {
	lines := []codeLine{nil}
	for _, t := range toks {
		parts := strings.Split(t.Text, "\n")
		for i, p := range parts {
			if i > 0 {
				lines = append(lines, nil)
			}
			if p != "" {
				lines[len(lines)-1] = append(lines[len(lines)-1], token{t.Class, p})
			}
		}
	}
	return lines
}

// jsonTokens tokenizes JSON leniently: text that is not JSON still comes out whole, as plain
// runs.
func jsonTokens(s string) []token {
	var out []token
	plain := func(text string) {
		if n := len(out); n > 0 && out[n-1].Class == "" {
			out[n-1].Text += text
			return
		}
		out = append(out, token{"", text})
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"':
			j := i + 1
			for j < len(s) && s[j] != '"' && s[j] != '\n' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j+1, len(s))
			class := "tok-str"
			// A string followed by a colon is a member name.
			k := j
			for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
				k++
			}
			if k < len(s) && s[k] == ':' {
				class = "tok-key"
			}
			out = append(out, token{class, s[i:j]})
			i = j
		case c == '-' || (c >= '0' && c <= '9'):
			j := i + 1
			for j < len(s) && strings.IndexByte("0123456789.eE+-", s[j]) >= 0 {
				j++
			}
			out = append(out, token{"tok-num", s[i:j]})
			i = j
		case strings.IndexByte("{}[]:,", c) >= 0:
			out = append(out, token{"tok-punct", s[i : i+1]})
			i++
		case isWordByte(c):
			j := i
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
			switch w := s[i:j]; w {
			case "true", "false", "null":
				out = append(out, token{"tok-kw", w})
			default:
				plain(w)
			}
			i = j
		default:
			plain(s[i : i+1])
			i++
		}
	}
	return out
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// protoKeywords are the words of the .proto language and its scalar types.
var protoKeywords = map[string]bool{
	"syntax": true, "edition": true, "package": true, "import": true, "public": true, "weak": true,
	"option": true, "message": true, "enum": true, "oneof": true, "map": true, "service": true,
	"rpc": true, "returns": true, "stream": true, "extend": true, "extensions": true, "reserved": true,
	"to": true, "max": true, "repeated": true, "optional": true, "required": true, "group": true,
	"true": true, "false": true,
	"double": true, "float": true, "int32": true, "int64": true, "uint32": true, "uint64": true,
	"sint32": true, "sint64": true, "fixed32": true, "fixed64": true, "sfixed32": true,
	"sfixed64": true, "bool": true, "string": true, "bytes": true,
}

// protoTokens tokenizes .proto text: keywords, field and value names (the word before "="),
// strings, numbers, comments and punctuation.
func protoTokens(s string) []token {
	var out []token
	plain := func(text string) {
		if n := len(out); n > 0 && out[n-1].Class == "" {
			out[n-1].Text += text
			return
		}
		out = append(out, token{"", text})
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case strings.HasPrefix(s[i:], "//"):
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				j = len(s) - i
			}
			out = append(out, token{"tok-com", s[i : i+j]})
			i += j
		case strings.HasPrefix(s[i:], "/*"):
			j := strings.Index(s[i+2:], "*/")
			end := len(s)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			out = append(out, token{"tok-com", s[i:end]})
			i = end
		case c == '"' || c == '\'':
			j := i + 1
			for j < len(s) && s[j] != c && s[j] != '\n' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j+1, len(s))
			out = append(out, token{"tok-str", s[i:j]})
			i = j
		case c >= '0' && c <= '9' || c == '-' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			j := i + 1
			for j < len(s) && (isWordByte(s[j]) || s[j] == '.') {
				j++
			}
			out = append(out, token{"tok-num", s[i:j]})
			i = j
		case isWordByte(c):
			j := i
			for j < len(s) && (isWordByte(s[j]) || s[j] == '.') {
				j++
			}
			w := s[i:j]
			k := j
			for k < len(s) && s[k] == ' ' {
				k++
			}
			switch {
			case protoKeywords[w]:
				out = append(out, token{"tok-kw", w})
			case k < len(s) && s[k] == '=':
				out = append(out, token{"tok-key", w})
			default:
				plain(w)
			}
			i = j
		case strings.IndexByte("{}[]()<>;=,", c) >= 0:
			out = append(out, token{"tok-punct", s[i : i+1]})
			i++
		default:
			plain(s[i : i+1])
			i++
		}
	}
	return out
}
