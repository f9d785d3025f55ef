package avro

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// maxDepth bounds the nesting of a schema's JSON. Real schemas stay far below it; hostile ones
// must not exhaust the stack of the recursive steps that follow (our model, hamba's parser).
const maxDepth = 64

// jsonKind tells which of the JSON value fields holds the value.
type jsonKind uint8

const (
	jsonNull jsonKind = iota
	jsonBool
	jsonNumber
	jsonString
	jsonArray
	jsonObject
)

// jsonValue is a JSON value that keeps what Java's Jackson tree keeps and Go maps lose: the
// order of object members and the literal text of numbers.
type jsonValue struct {
	kind    jsonKind
	bool    bool
	text    string // string value, or the number's literal
	items   []*jsonValue
	members []jsonMember
}

type jsonMember struct {
	key   string
	value *jsonValue
}

// get returns the member named key, or nil.
func (v *jsonValue) get(key string) *jsonValue {
	if v == nil || v.kind != jsonObject {
		return nil
	}
	for _, m := range v.members {
		if m.key == key {
			return m.value
		}
	}
	return nil
}

// textValue is Jackson's textValue(): the string, or "" and false for any other kind.
func (v *jsonValue) textValue() (string, bool) {
	if v == nil || v.kind != jsonString {
		return "", false
	}
	return v.text, true
}

// parseJSON reads exactly one JSON value. A repeated key keeps its first position and its last
// value, as Jackson's ObjectNode does.
func parseJSON(text string) (*jsonValue, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	v, err := readValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("unexpected text after the schema's JSON value")
	}
	return v, nil
}

func readValue(dec *json.Decoder, depth int) (*jsonValue, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("schema nests deeper than %d levels", maxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("unexpected end of JSON")
		}
		return nil, err
	}
	switch t := tok.(type) {
	case nil:
		return &jsonValue{kind: jsonNull}, nil
	case bool:
		return &jsonValue{kind: jsonBool, bool: t}, nil
	case json.Number:
		return &jsonValue{kind: jsonNumber, text: string(t)}, nil
	case string:
		return &jsonValue{kind: jsonString, text: t}, nil
	case json.Delim:
		switch t {
		case '[':
			v := &jsonValue{kind: jsonArray}
			for dec.More() {
				item, err := readValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				v.items = append(v.items, item)
			}
			_, err := dec.Token()
			return v, err
		case '{':
			v := &jsonValue{kind: jsonObject}
			index := map[string]int{}
			for dec.More() {
				keyTok, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key := keyTok.(string)
				value, err := readValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				if i, ok := index[key]; ok {
					v.members[i].value = value
					continue
				}
				index[key] = len(v.members)
				v.members = append(v.members, jsonMember{key, value})
			}
			_, err := dec.Token()
			return v, err
		}
	}
	return nil, fmt.Errorf("unexpected JSON token %v", tok)
}

// writeJSON writes v the way Jackson serialises its tree: compact, integers as written, other
// numbers through Java's Double.toString.
func writeJSON(b *bytes.Buffer, v *jsonValue) {
	switch v.kind {
	case jsonNull:
		b.WriteString("null")
	case jsonBool:
		b.WriteString(strconv.FormatBool(v.bool))
	case jsonNumber:
		writeNumber(b, v.text)
	case jsonString:
		writeString(b, v.text)
	case jsonArray:
		b.WriteByte('[')
		for i, item := range v.items {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, item)
		}
		b.WriteByte(']')
	case jsonObject:
		b.WriteByte('{')
		for i, m := range v.members {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, m.key)
			b.WriteByte(':')
			writeJSON(b, m.value)
		}
		b.WriteByte('}')
	}
}

// isIntegerLiteral reports whether Jackson reads the literal as an integer node.
func isIntegerLiteral(lit string) bool {
	return !strings.ContainsAny(lit, ".eE")
}

func writeNumber(b *bytes.Buffer, lit string) {
	if isIntegerLiteral(lit) {
		n, ok := new(big.Int).SetString(lit, 10)
		if ok {
			b.WriteString(n.String())
			return
		}
	}
	f, _ := strconv.ParseFloat(lit, 64) // out of range gives ±Inf, as Java's parser does
	writeJavaDouble(b, f)
}

// writeJavaDouble writes f as Jackson writes a Java double: Double.toString, with NaN and the
// infinities quoted.
func writeJavaDouble(b *bytes.Buffer, f float64) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		b.WriteByte('"')
		b.WriteString(javaDoubleString(f, 64))
		b.WriteByte('"')
		return
	}
	b.WriteString(javaDoubleString(f, 64))
}

// javaDoubleString renders f like Java's Double.toString (bits 64) or Float.toString (bits 32):
// the shortest digits that round-trip, plain between 10^-3 and 10^7, otherwise as d.dddE±n.
func javaDoubleString(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	abs := math.Abs(f)
	if abs >= 1e-3 && abs < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, bits)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'e', -1, bits) // like 1.5e+10 or 1e-05
	mant, exp, _ := strings.Cut(s, "e")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	n, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(n)
}

// writeString quotes s as Jackson does: only '"', '\\' and control characters are escaped.
func writeString(b *bytes.Buffer, s string) {
	const hex = "0123456789ABCDEF"
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c >= 0x20:
			b.WriteByte(c)
		case c == '\b':
			b.WriteString(`\b`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\f':
			b.WriteString(`\f`)
		case c == '\r':
			b.WriteString(`\r`)
		default:
			b.WriteString(`\u00`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xF])
		}
	}
	b.WriteByte('"')
}
