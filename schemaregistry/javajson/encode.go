package javajson

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Writer is what values are written to; *bytes.Buffer and *strings.Builder are Writers.
type Writer interface {
	io.Writer
	io.ByteWriter
	io.StringWriter
}

// Decimals says how a number with a fraction or an exponent is printed. Integers are always
// printed as written (with -0 as 0): Jackson keeps them as int, long or BigInteger nodes.
type Decimals uint8

const (
	// Doubles prints it as Java's Double.toString does (1.0E10, 1.0E-7, 1.5E300, 1.0), an
	// out-of-range one as "Infinity" in quotes: Jackson's default reading, a DoubleNode. Java
	// Avro reads schemas this way.
	Doubles Decimals = iota
	// BigDecimals prints it exactly as java.math.BigDecimal.toString does (1E+10, 1E-7,
	// 1.5E+300, 1.0): Jackson with USE_BIG_DECIMAL_FOR_FLOATS, a DecimalNode. Confluent's
	// JSON Schema provider reads schemas this way.
	BigDecimals
)

// Options say how Encode writes a value. The zero Options write members in the order written
// and numbers as Java Avro's Jackson does.
type Options struct {
	// SortKeys writes each object's members ordered by key as Java's String.compareTo orders
	// them (by UTF-16 code units), instead of in the order written.
	SortKeys bool
	// Decimals is how numbers with a fraction or an exponent are printed.
	Decimals Decimals
}

// Encode writes v compactly, as Jackson serialises its tree.
func (v *Value) Encode(w Writer, o Options) {
	switch v.kind {
	case Null:
		w.WriteString("null")
	case Bool:
		w.WriteString(strconv.FormatBool(v.bool))
	case Number:
		writeNumber(w, v.text, o.Decimals)
	case String:
		WriteQuoted(w, v.text)
	case Array:
		w.WriteByte('[')
		for i, item := range v.items {
			if i > 0 {
				w.WriteByte(',')
			}
			item.Encode(w, o)
		}
		w.WriteByte(']')
	case Object:
		members := v.members
		if o.SortKeys {
			members = slices.Clone(members)
			slices.SortFunc(members, func(a, b Member) int { return compareKeys(a.Key, b.Key) })
		}
		w.WriteByte('{')
		for i, m := range members {
			if i > 0 {
				w.WriteByte(',')
			}
			WriteQuoted(w, m.Key)
			w.WriteByte(':')
			m.Value.Encode(w, o)
		}
		w.WriteByte('}')
	}
}

// Compact is the text Encode writes.
func (v *Value) Compact(o Options) string {
	var b strings.Builder
	v.Encode(&b, o)
	return b.String()
}

// compareKeys orders strings as Java's String.compareTo does, by UTF-16 code units: a
// supplementary character starts with a surrogate (0xD800-0xDBFF), so it sorts below
// U+E000-U+FFFF, though above them in code point order.
func compareKeys(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			if ua, ub := firstUTF16Unit(ra), firstUTF16Unit(rb); ua != ub {
				return int(ua) - int(ub)
			}
			// Same high surrogate: the low surrogates order as the code points do.
			return int(ra) - int(rb)
		}
		a, b = a[na:], b[nb:]
	}
	return len(a) - len(b)
}

func firstUTF16Unit(r rune) rune {
	if r >= 0x10000 {
		return 0xD800 + (r-0x10000)>>10
	}
	return r
}

// WriteQuoted writes s as a JSON string the way Jackson does: only '"', '\\' and the control
// characters below U+0020 are escaped, everything else (U+007F, U+2028, characters beyond the
// BMP) is written as it is. s is expected to be UTF-8, as Parse's strings are; its bytes are
// copied through unchanged.
func WriteQuoted(w Writer, s string) {
	const hex = "0123456789ABCDEF"
	w.WriteByte('"')
	start := 0 // s[start:i] needs no escape and is not yet written
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		w.WriteString(s[start:i])
		start = i + 1
		switch c {
		case '"', '\\':
			w.WriteByte('\\')
			w.WriteByte(c)
		case '\b':
			w.WriteString(`\b`)
		case '\t':
			w.WriteString(`\t`)
		case '\n':
			w.WriteString(`\n`)
		case '\f':
			w.WriteString(`\f`)
		case '\r':
			w.WriteString(`\r`)
		default:
			w.WriteString(`\u00`)
			w.WriteByte(hex[c>>4])
			w.WriteByte(hex[c&0xF])
		}
	}
	w.WriteString(s[start:])
	w.WriteByte('"')
}

// isIntegerLiteral reports whether Jackson reads the number literal as an integer node.
func isIntegerLiteral(lit string) bool {
	return !strings.ContainsAny(lit, ".eE")
}

func writeNumber(w Writer, lit string, d Decimals) {
	switch {
	case isIntegerLiteral(lit):
		w.WriteString(integerString(lit))
	case d == BigDecimals:
		w.WriteString(bigDecimalString(lit))
	default:
		f, _ := strconv.ParseFloat(lit, 64) // out of range gives ±Inf, as Java's parser does
		s := FormatFloat(f, 64)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			s = `"` + s + `"` // Jackson quotes the doubles JSON has no literal for
		}
		w.WriteString(s)
	}
}

// integerString is an integer literal as Java's integer types print it: no leading zeros, and
// -0 as 0.
func integerString(lit string) string {
	neg := strings.HasPrefix(lit, "-")
	digits := strings.TrimLeft(strings.TrimPrefix(lit, "-"), "0")
	switch {
	case digits == "":
		return "0"
	case neg:
		return "-" + digits
	}
	return digits
}

// bigDecimalString is the number literal lit (with a fraction or an exponent) as
// java.math.BigDecimal.toString() prints it: the unscaled digits as written, in scientific
// notation when the exponent is positive or the number is below 10^-6.
func bigDecimalString(lit string) string {
	neg := strings.HasPrefix(lit, "-")
	lit = strings.TrimPrefix(lit, "-")
	mant, exp := lit, 0
	if i := strings.IndexAny(lit, "eE"); i >= 0 {
		mant = lit[:i]
		fmt.Sscan(lit[i+1:], &exp)
	}
	intPart, frac := mant, ""
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		intPart, frac = mant[:i], mant[i+1:]
	}
	digits := strings.TrimLeft(intPart+frac, "0")
	if digits == "" {
		digits = "0"
		neg = false
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

// FormatFloat renders f like Java's Double.toString (bitSize 64) or Float.toString (bitSize 32,
// for an f that holds a float32): the shortest digits that read back as f, plain from 10^-3 up
// to 10^7 and as d.dddE±n outside, with NaN, Infinity and -Infinity spelled out.
func FormatFloat(f float64, bitSize int) string {
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
		s := strconv.FormatFloat(f, 'f', -1, bitSize)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'e', -1, bitSize) // like 1.5e+10 or 1e-05
	mant, exp, _ := strings.Cut(s, "e")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	n, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(n)
}
