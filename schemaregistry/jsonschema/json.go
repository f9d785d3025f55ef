package jsonschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"
)

// Limits that keep hostile input cheap: the registry answers anything beyond them with an
// invalid-schema error instead of spending memory or stack on it.
const (
	maxSchemaBytes = 8 << 20
	maxDepth       = 256
)

type jsonKind uint8

const (
	jsonNull jsonKind = iota
	jsonBool
	jsonNumber
	jsonString
	jsonArray
	jsonObject
)

// value is a parsed JSON document that keeps the order of object members, because Confluent
// stores and hashes the schema text with its members in the order they were written.
type value struct {
	kind  jsonKind
	bool  bool
	text  string // the string, or the number literal as written
	items []*value
	keys  []string
	vals  []*value
}

func (v *value) get(key string) *value {
	if v == nil || v.kind != jsonObject {
		return nil
	}
	for i, k := range v.keys {
		if k == key {
			return v.vals[i]
		}
	}
	return nil
}

func (v *value) has(key string) bool { return v.get(key) != nil }

func (v *value) str() (string, bool) {
	if v == nil || v.kind != jsonString {
		return "", false
	}
	return v.text, true
}

// parseJSON reads exactly one JSON value. Duplicate members keep their first position and their
// last value, as Jackson's tree model does.
func parseJSON(data []byte) (*value, error) {
	if len(data) > maxSchemaBytes {
		return nil, fmt.Errorf("schema is %d bytes, more than the %d allowed", len(data), maxSchemaBytes)
	}
	if !utf8.Valid(data) {
		return nil, errors.New("schema is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the top-level value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder, depth int) (*value, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("nesting deeper than %d levels", maxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return nil, errors.New("unexpected end of JSON input")
		}
		return nil, err
	}
	switch t := tok.(type) {
	case nil:
		return &value{kind: jsonNull}, nil
	case bool:
		return &value{kind: jsonBool, bool: t}, nil
	case json.Number:
		return &value{kind: jsonNumber, text: string(t)}, nil
	case string:
		return &value{kind: jsonString, text: t}, nil
	case json.Delim:
		if t == '[' {
			v := &value{kind: jsonArray}
			for dec.More() {
				item, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				v.items = append(v.items, item)
			}
			_, err := dec.Token()
			return v, err
		}
		v := &value{kind: jsonObject}
		index := map[string]int{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			key := kt.(string)
			item, err := decodeValue(dec, depth+1)
			if err != nil {
				return nil, err
			}
			if i, ok := index[key]; ok {
				v.vals[i] = item
				continue
			}
			index[key] = len(v.keys)
			v.keys = append(v.keys, key)
			v.vals = append(v.vals, item)
		}
		_, err := dec.Token()
		return v, err
	}
	return nil, fmt.Errorf("unexpected JSON token %v", tok)
}

// any converts to the generic form santhosh-tekuri/jsonschema compiles.
func (v *value) any() any {
	switch v.kind {
	case jsonBool:
		return v.bool
	case jsonNumber:
		return json.Number(v.text)
	case jsonString:
		return v.text
	case jsonArray:
		out := make([]any, len(v.items))
		for i, item := range v.items {
			out[i] = item.any()
		}
		return out
	case jsonObject:
		out := make(map[string]any, len(v.keys))
		for i, k := range v.keys {
			out[k] = v.vals[i].any()
		}
		return out
	}
	return nil
}

// encode writes v compactly as Jackson writes Confluent's schema tree; sorted orders members by
// key as Confluent's normalization does.
func (v *value) encode(b *strings.Builder, sorted bool) {
	switch v.kind {
	case jsonNull:
		b.WriteString("null")
	case jsonBool:
		if v.bool {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case jsonNumber:
		b.WriteString(jacksonNumber(v.text))
	case jsonString:
		writeJacksonString(b, v.text)
	case jsonArray:
		b.WriteByte('[')
		for i, item := range v.items {
			if i > 0 {
				b.WriteByte(',')
			}
			item.encode(b, sorted)
		}
		b.WriteByte(']')
	case jsonObject:
		order := make([]int, len(v.keys))
		for i := range order {
			order[i] = i
		}
		if sorted {
			sort.Slice(order, func(i, j int) bool { return utf16Less(v.keys[order[i]], v.keys[order[j]]) })
		}
		b.WriteByte('{')
		for n, i := range order {
			if n > 0 {
				b.WriteByte(',')
			}
			writeJacksonString(b, v.keys[i])
			b.WriteByte(':')
			v.vals[i].encode(b, sorted)
		}
		b.WriteByte('}')
	}
}

func (v *value) String() string {
	var b strings.Builder
	v.encode(&b, false)
	return b.String()
}

// key is an order-independent text of v, used to compare JSON values (enum members, defaults,
// subschemas) for equality.
func (v *value) key() string {
	var b strings.Builder
	v.encode(&b, true)
	return b.String()
}

// utf16Less orders strings as Java's String.compareTo does (by UTF-16 code units).
func utf16Less(a, b string) bool {
	ra, rb := []rune(a), []rune(b)
	for i := 0; i < len(ra) && i < len(rb); i++ {
		if ra[i] != rb[i] {
			return utf16Unit(ra[i]) < utf16Unit(rb[i])
		}
	}
	return len(ra) < len(rb)
}

// utf16Unit is the first UTF-16 code unit of r: supplementary characters start with a
// surrogate (0xD800-0xDBFF), which sorts below U+E000-U+FFFF.
func utf16Unit(r rune) rune {
	if r >= 0x10000 {
		return 0xD800 + (r-0x10000)>>10
	}
	return r
}

func writeJacksonString(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 {
				b.WriteString(`\u00`)
				b.WriteByte(hex[r>>4])
				b.WriteByte(hex[r&0xF])
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}

// jacksonNumber renders a JSON number literal as Confluent's Jackson does: integers as written
// (with -0 read as 0), other numbers as an exact java.math.BigDecimal.toString().
func jacksonNumber(lit string) string {
	neg := strings.HasPrefix(lit, "-")
	lit = strings.TrimPrefix(lit, "-")
	mant, exp := lit, 0
	if i := strings.IndexAny(lit, "eE"); i >= 0 {
		mant = lit[:i]
		fmt.Sscan(lit[i+1:], &exp)
	}
	isInt := !strings.ContainsAny(lit, ".eE")
	intPart, frac := mant, ""
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		intPart, frac = mant[:i], mant[i+1:]
	}
	digits := strings.TrimLeft(intPart+frac, "0")
	if digits == "" {
		digits = "0"
		neg = false
	}
	if isInt {
		if neg {
			return "-" + digits
		}
		return digits
	}
	scale := len(frac) - exp
	sign := ""
	if neg {
		sign = "-"
	}
	adjusted := -scale + len(digits) - 1
	if scale >= 0 && adjusted >= -6 {
		if scale == 0 {
			return sign + digits
		}
		if len(digits) > scale {
			return sign + digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
		}
		return sign + "0." + strings.Repeat("0", scale-len(digits)) + digits
	}
	out := sign + digits[:1]
	if len(digits) > 1 {
		out += "." + digits[1:]
	}
	if adjusted >= 0 {
		return fmt.Sprintf("%sE+%d", out, adjusted)
	}
	return fmt.Sprintf("%sE%d", out, adjusted)
}
