package javajson

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

func mustParse(t testing.TB, text string) *Value {
	t.Helper()
	v, err := Parse(text, 64)
	if err != nil {
		t.Fatalf("parse %s: %v", text, err)
	}
	return v
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, text string
		want       string // part of the message
	}{
		{"empty", ``, "unexpected end of JSON input"},
		{"only space", "  \n", "unexpected end of JSON input"},
		{"unclosed object", `{"a":1`, ""},
		{"unclosed array", `[1,2`, ""},
		{"unclosed string", `"abc`, ""},
		{"missing colon", `{"a" 1}`, ""},
		{"trailing comma", `[1,]`, ""},
		{"key not a string", `{1:2}`, ""},
		{"bare word", `nul`, ""},
		{"leading zero", `01`, ""},
		{"two values", `1 2`, "unexpected text after the JSON value"},
		{"extra brace", `{"a":1}}`, "unexpected text after the JSON value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := Parse(tt.text, 64)
			if err == nil {
				t.Fatalf("parsed as %s, want an error", v.Compact(Options{}))
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestParseDepthLimit(t *testing.T) {
	nest := func(open, close string, levels int) string {
		return strings.Repeat(open, levels) + "1" + strings.Repeat(close, levels)
	}
	tests := []struct {
		name     string
		text     string
		maxDepth int
		ok       bool
	}{
		{"scalar at limit 0", `1`, 0, true},
		{"array below limit 0", `[1]`, 0, false},
		{"empty array at limit 0", `[]`, 0, true},
		{"arrays at the limit", nest("[", "]", 3), 3, true},
		{"arrays past the limit", nest("[", "]", 4), 3, false},
		{"objects at the limit", nest(`{"a":`, "}", 3), 3, true},
		{"objects past the limit", nest(`{"a":`, "}", 4), 3, false},
		{"mixed past the limit", nest(`[{"a":`, "}]", 100), 64, false},
		{"wide but shallow", "[" + strings.Repeat("[1],", 1000) + "[1]]", 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.text, tt.maxDepth)
			switch {
			case tt.ok && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case !tt.ok && err == nil:
				t.Fatal("parsed, want a depth error")
			case !tt.ok && !strings.Contains(err.Error(), "nesting deeper than"):
				t.Errorf("error %q does not say the nesting is too deep", err)
			}
		})
	}
}

func TestCompact(t *testing.T) {
	tests := []struct {
		name, text      string
		written, sorted string
	}{
		{"scalars", `[ null , true, false, "x", 1 ]`, `[null,true,false,"x",1]`, `[null,true,false,"x",1]`},
		{"empty containers", `{ "a" : [ ], "b" : { } }`, `{"a":[],"b":{}}`, `{"a":[],"b":{}}`},
		{"order kept", `{"b":1,"a":2,"c":{"z":1,"y":2}}`,
			`{"b":1,"a":2,"c":{"z":1,"y":2}}`, `{"a":2,"b":1,"c":{"y":2,"z":1}}`},
		{"sorted inside arrays", `[{"b":1,"a":2}]`, `[{"b":1,"a":2}]`, `[{"a":2,"b":1}]`},
		{"duplicate key keeps first place, last value", `{"a":1,"b":2,"a":3}`, `{"a":3,"b":2}`, `{"a":3,"b":2}`},
		{"prefix sorts first", `{"ab":1,"a":2,"":3}`, `{"ab":1,"a":2,"":3}`, `{"":3,"a":2,"ab":1}`},
		{"upper case before lower", `{"b":1,"B":2,"a":3}`, `{"b":1,"B":2,"a":3}`, `{"B":2,"a":3,"b":1}`},
		// Java compares UTF-16 code units: U+1F600 starts with the surrogate 0xD83D, below U+E000
		// and U+FFFD, though its code point is above them.
		{"UTF-16 order", `{"\uFFFD":1,"\uE000":2,"😀":3,"é":4}`,
			`{"` + "\uFFFD" + `":1,"` + "\uE000" + `":2,"😀":3,"é":4}`,
			`{"é":4,"😀":3,"` + "\uE000" + `":2,"` + "\uFFFD" + `":1}`},
		{"same high surrogate", `{"😁":1,"😀":2}`, `{"😁":1,"😀":2}`, `{"😀":2,"😁":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustParse(t, tt.text)
			if got := v.Compact(Options{}); got != tt.written {
				t.Errorf("written order:\n got %s\nwant %s", got, tt.written)
			}
			if got := v.Compact(Options{SortKeys: true}); got != tt.sorted {
				t.Errorf("sorted:\n got %s\nwant %s", got, tt.sorted)
			}
		})
	}
}

func TestCompareKeysIsATotalOrder(t *testing.T) {
	keys := []string{"", "a", "ab", "b", "é", "\uE000", "\uFFFD", "😀", "😁", "𐀀", "a😀", "a\uE000"}
	for _, a := range keys {
		for _, b := range keys {
			ab, ba := compareKeys(a, b), compareKeys(b, a)
			if (a == b) != (ab == 0) || sign(ab) != -sign(ba) {
				t.Errorf("compareKeys(%q, %q) = %d, compareKeys(%q, %q) = %d", a, b, ab, b, a, ba)
			}
		}
	}
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

func TestEscapes(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"quote and backslash", `"a\"b\\c"`, `"a\"b\\c"`},
		{"solidus is not escaped", `"a\/b"`, `"a/b"`},
		{"short escapes", `"\b\f\n\r\t"`, `"\b\f\n\r\t"`},
		{"other control characters", `"\u0000\u0001\u001f\u000B"`, `"\u0000\u0001\u001F\u000B"`},
		{"DEL and U+2028 as they are", `"\u007f\u2028\u2029"`, "\"\x7f\u2028\u2029\""},
		{"non-ASCII as it is", `"é\u00e9€"`, `"éé€"`},
		{"escaped surrogate pair", `"\ud83d\ude00"`, `"😀"`},
		{"raw non-BMP character", `"x😀y𝄞"`, `"x😀y𝄞"`},
		{"lone surrogate becomes U+FFFD", `"\ud800"`, "\"\uFFFD\""},
		{"escaped key", `{"a\nb":"\u0007"}`, `{"a\nb":"\u0007"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustParse(t, tt.text).Compact(Options{}); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestWriteQuoted(t *testing.T) {
	var b bytes.Buffer
	WriteQuoted(&b, "tab\there \"q\" \x1f 😀")
	if want := `"tab\there \"q\" \u001F 😀"`; b.String() != want {
		t.Errorf("got %s, want %s", b.String(), want)
	}
	var sb strings.Builder
	WriteQuoted(&sb, "")
	if sb.String() != `""` {
		t.Errorf("empty string written as %s", sb.String())
	}
}

func TestNumbers(t *testing.T) {
	tests := []struct {
		literal           string
		doubles, decimals string
		integer           bool
	}{
		{"1", "1", "1", true},
		{"-1", "-1", "-1", true},
		{"0", "0", "0", true},
		{"-0", "0", "0", true},
		{"123456789012345678901234567890", "123456789012345678901234567890", "123456789012345678901234567890", true},
		{"-123456789012345678901234567890", "-123456789012345678901234567890", "-123456789012345678901234567890", true},
		{"1e10", "1.0E10", "1E+10", false},
		{"1E10", "1.0E10", "1E+10", false},
		{"1e+10", "1.0E10", "1E+10", false},
		{"1.0", "1.0", "1.0", false},
		{"1.50", "1.5", "1.50", false},
		{"0.1", "0.1", "0.1", false},
		{"-0.0", "-0.0", "0.0", false},
		{"0.00", "0.0", "0.00", false},
		{"1e-7", "1.0E-7", "1E-7", false},
		{"0.0000001", "1.0E-7", "1E-7", false},
		{"0.000001", "1.0E-6", "0.000001", false},
		{"0.001", "0.001", "0.001", false},
		{"0.0001", "1.0E-4", "0.0001", false},
		{"12.5e1", "125.0", "125", false},
		{"1.5E300", "1.5E300", "1.5E+300", false},
		{"-1.5e-300", "-1.5E-300", "-1.5E-300", false},
		{"9999999.0", "9999999.0", "9999999.0", false},
		{"10000000.0", "1.0E7", "10000000.0", false},
		{"3.141592653589793238", "3.141592653589793", "3.141592653589793238", false},
		{"1e400", `"Infinity"`, "1E+400", false},
		{"-1e400", `"-Infinity"`, "-1E+400", false},
		{"1e-400", "0.0", "1E-400", false},
	}
	for _, tt := range tests {
		t.Run(tt.literal, func(t *testing.T) {
			v := mustParse(t, tt.literal)
			if lit, ok := v.Number(); !ok || lit != tt.literal {
				t.Errorf("Number() = %q, %v", lit, ok)
			}
			if v.IsInteger() != tt.integer {
				t.Errorf("IsInteger() = %v", v.IsInteger())
			}
			if got := v.Compact(Options{Decimals: Doubles}); got != tt.doubles {
				t.Errorf("as a double: got %s, want %s", got, tt.doubles)
			}
			if got := v.Compact(Options{Decimals: BigDecimals}); got != tt.decimals {
				t.Errorf("as a BigDecimal: got %s, want %s", got, tt.decimals)
			}
		})
	}
}

func TestFormatFloat(t *testing.T) {
	tests := []struct {
		f       float64
		bitSize int
		want    string
	}{
		{1, 64, "1.0"},
		{-2.5, 64, "-2.5"},
		{0.1, 64, "0.1"},
		{float64(float32(0.1)), 32, "0.1"},
		{float64(float32(0.1)), 64, "0.10000000149011612"},
		{1e7, 64, "1.0E7"},
		{1.25e-5, 64, "1.25E-5"},
		{math.MaxFloat64, 64, "1.7976931348623157E308"},
		{1e-300, 64, "1.0E-300"},
		{math.Copysign(0, -1), 64, "-0.0"},
		{math.NaN(), 64, "NaN"},
		{math.Inf(1), 32, "Infinity"},
		{math.Inf(-1), 64, "-Infinity"},
	}
	for _, tt := range tests {
		if got := FormatFloat(tt.f, tt.bitSize); got != tt.want {
			t.Errorf("FormatFloat(%v, %d) = %s, want %s", tt.f, tt.bitSize, got, tt.want)
		}
	}
}

func TestAccessors(t *testing.T) {
	v := mustParse(t, `{"s":"x","n":1.5,"i":7,"t":true,"f":false,"z":null,"a":[1,2],"o":{"k":"v"}}`)
	if v.Kind() != Object || len(v.Members()) != 8 || v.Items() != nil {
		t.Fatalf("kind %v, %d members, items %v", v.Kind(), len(v.Members()), v.Items())
	}
	if s, ok := v.Get("s").Text(); !ok || s != "x" {
		t.Errorf(`Get("s").Text() = %q, %v`, s, ok)
	}
	if _, ok := v.Get("n").Text(); ok {
		t.Error("a number has a text value")
	}
	if lit, ok := v.Get("n").Number(); !ok || lit != "1.5" || v.Get("n").IsInteger() {
		t.Errorf(`Get("n").Number() = %q, %v`, lit, ok)
	}
	if !v.Get("i").IsInteger() || v.Get("s").IsInteger() {
		t.Error("IsInteger wrong")
	}
	if b, ok := v.Get("t").Bool(); !ok || !b {
		t.Errorf(`Get("t").Bool() = %v, %v`, b, ok)
	}
	if b, ok := v.Get("f").Bool(); !ok || b {
		t.Errorf(`Get("f").Bool() = %v, %v`, b, ok)
	}
	if v.Get("z") == nil || v.Get("z").Kind() != Null {
		t.Error(`"z" is not a null value`)
	}
	if got := len(v.Get("a").Items()); got != 2 {
		t.Errorf("array has %d items", got)
	}
	if s, _ := v.Get("o").Get("k").Text(); s != "v" {
		t.Errorf("nested lookup gave %q", s)
	}
	// Lookups through missing members end in nil, never a panic.
	var missing *Value = v.Get("nope").Get("deeper")
	if missing != nil || v.Get("a").Get("x") != nil {
		t.Error("lookup of a missing member is not nil")
	}
	if _, ok := missing.Text(); ok {
		t.Error("nil has a text value")
	}
	if _, ok := missing.Number(); ok || missing.IsInteger() {
		t.Error("nil is a number")
	}
	if _, ok := missing.Bool(); ok {
		t.Error("nil is a boolean")
	}
}

func TestAny(t *testing.T) {
	v := mustParse(t, `{"a":[1,"x",true,null,2.50],"b":{"c":{}}}`)
	want := map[string]any{
		"a": []any{json.Number("1"), "x", true, nil, json.Number("2.50")},
		"b": map[string]any{"c": map[string]any{}},
	}
	if got := v.Any(); !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v\nwant %#v", got, want)
	}
}

func TestBuiltValues(t *testing.T) {
	v := NewObject([]Member{
		{Key: "b", Value: NewArray([]*Value{NewNumber("1.0e1"), NewString("x\n")})},
		{Key: "a", Value: NewArray(nil)},
	})
	var b bytes.Buffer
	v.Encode(&b, Options{})
	if want := `{"b":[10.0,"x\n"],"a":[]}`; b.String() != want {
		t.Errorf("got %s, want %s", b.String(), want)
	}
	if got, want := v.Compact(Options{SortKeys: true, Decimals: BigDecimals}), `{"a":[],"b":[10,"x\n"]}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// FuzzParse checks that whatever parses is written as valid JSON that reads back to the same
// text, in every encoding.
func FuzzParse(f *testing.F) {
	for _, s := range []string{`{"b":1,"a":[1.5e3,-0,"\u0001😀"]}`, `[[[]]]`, `1e400`, `"\ud800"`, `{"a":1,"a":2}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		v, err := Parse(text, 32)
		if err != nil {
			return
		}
		for _, o := range []Options{{}, {SortKeys: true}, {Decimals: BigDecimals}, {SortKeys: true, Decimals: BigDecimals}} {
			out := v.Compact(o)
			if !json.Valid([]byte(out)) {
				t.Fatalf("%+v: %s is not valid JSON", o, out)
			}
			again, err := Parse(out, 32)
			if err != nil {
				t.Fatalf("%+v: %s does not parse: %v", o, out, err)
			}
			if out2 := again.Compact(o); out2 != out {
				t.Fatalf("%+v: %s is written again as %s", o, out, out2)
			}
		}
	})
}
