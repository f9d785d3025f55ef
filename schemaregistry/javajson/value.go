package javajson

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Kind tells what a Value holds.
type Kind uint8

// The kinds of JSON value.
const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

// Value is a JSON value that keeps what Jackson's tree keeps and Go's maps lose: the order of
// object members and the literal text of numbers. A Value is not changed once built.
type Value struct {
	kind    Kind
	bool    bool
	text    string // the string, or the number's literal as written
	items   []*Value
	members []Member
}

// Member is one member of an object.
type Member struct {
	Key   string
	Value *Value
}

// NewString is a string value.
func NewString(s string) *Value { return &Value{kind: String, text: s} }

// NewNumber is a number written as literal, a JSON number: an integer if it has neither a
// fraction nor an exponent.
func NewNumber(literal string) *Value { return &Value{kind: Number, text: literal} }

// NewArray is an array of items.
func NewArray(items []*Value) *Value { return &Value{kind: Array, items: items} }

// NewObject is an object of members, in that order; the keys must differ.
func NewObject(members []Member) *Value { return &Value{kind: Object, members: members} }

// Kind is the kind of v.
func (v *Value) Kind() Kind { return v.kind }

// Get returns the member named key, or nil if v is nil, not an object or has no such member.
func (v *Value) Get(key string) *Value {
	if v == nil || v.kind != Object {
		return nil
	}
	for _, m := range v.members {
		if m.Key == key {
			return m.Value
		}
	}
	return nil
}

// Text is Jackson's textValue(): the string, or "" and false for a nil v or any other kind.
func (v *Value) Text() (string, bool) {
	if v == nil || v.kind != String {
		return "", false
	}
	return v.text, true
}

// Number is the number's literal as written, or "" and false for a nil v or any other kind.
func (v *Value) Number() (string, bool) {
	if v == nil || v.kind != Number {
		return "", false
	}
	return v.text, true
}

// IsInteger reports whether v is a number Jackson reads as an integer node: one written with
// neither a fraction nor an exponent.
func (v *Value) IsInteger() bool {
	return v != nil && v.kind == Number && isIntegerLiteral(v.text)
}

// Bool is the boolean, or false and false for a nil v or any other kind.
func (v *Value) Bool() (value, ok bool) {
	if v == nil || v.kind != Bool {
		return false, false
	}
	return v.bool, true
}

// Items are the elements of an array, nil for any other kind.
func (v *Value) Items() []*Value { return v.items }

// Members are the members of an object in the order written, nil for any other kind.
func (v *Value) Members() []Member { return v.members }

// Any is v in the generic form encoding/json decodes to with UseNumber: nil, bool, json.Number,
// string, []any and map[string]any.
func (v *Value) Any() any {
	switch v.kind {
	case Bool:
		return v.bool
	case Number:
		return json.Number(v.text)
	case String:
		return v.text
	case Array:
		out := make([]any, len(v.items))
		for i, item := range v.items {
			out[i] = item.Any()
		}
		return out
	case Object:
		out := make(map[string]any, len(v.members))
		for _, m := range v.members {
			out[m.Key] = m.Value.Any()
		}
		return out
	}
	return nil
}

// Parse reads exactly one JSON value from text. A repeated key keeps its first position and its
// last value, as Jackson's ObjectNode does. Values nested more than maxDepth levels below the
// top one are refused, so that hostile input cannot exhaust the stack of whatever walks the
// tree afterwards.
func Parse(text string, maxDepth int) (*Value, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	v, err := read(dec, 0, maxDepth)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("unexpected text after the JSON value")
	}
	return v, nil
}

func read(dec *json.Decoder, depth, maxDepth int) (*Value, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("nesting deeper than %d levels", maxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("unexpected end of JSON input")
		}
		return nil, err
	}
	switch t := tok.(type) {
	case nil:
		return &Value{kind: Null}, nil
	case bool:
		return &Value{kind: Bool, bool: t}, nil
	case json.Number:
		return &Value{kind: Number, text: string(t)}, nil
	case string:
		return &Value{kind: String, text: t}, nil
	case json.Delim:
		switch t {
		case '[':
			v := &Value{kind: Array}
			for dec.More() {
				item, err := read(dec, depth+1, maxDepth)
				if err != nil {
					return nil, err
				}
				v.items = append(v.items, item)
			}
			_, err := dec.Token()
			return v, err
		case '{':
			v := &Value{kind: Object}
			index := map[string]int{}
			for dec.More() {
				keyTok, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key := keyTok.(string)
				value, err := read(dec, depth+1, maxDepth)
				if err != nil {
					return nil, err
				}
				if i, ok := index[key]; ok {
					v.members[i].Value = value
					continue
				}
				index[key] = len(v.members)
				v.members = append(v.members, Member{key, value})
			}
			_, err := dec.Token()
			return v, err
		}
	}
	return nil, fmt.Errorf("unexpected JSON token %v", tok)
}
