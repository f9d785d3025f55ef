package avro

import (
	"bytes"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/eventlens/eventlens/schemaregistry/javajson"
)

// normalizer writes Confluent's normalized text (AvroSchemaUtils.toNormalizedString): full
// names, sorted aliases and properties, logical type attributes first, defaults converted to the
// field's type. Confluent parses that text again and stores its canonical form; so do we.
type normalizer struct {
	b     bytes.Buffer
	known map[string]bool
}

func (w *normalizer) schema(n *node) {
	b := &w.b
	switch n.typ {
	case "union":
		b.WriteByte('[')
		for i, branch := range n.branches {
			if i > 0 {
				b.WriteByte(',')
			}
			w.schema(branch)
		}
		b.WriteByte(']')
	case "array", "map":
		b.WriteString(`{"type":`)
		javajson.WriteQuoted(b, n.typ)
		if n.typ == "array" {
			b.WriteString(`,"items":`)
		} else {
			b.WriteString(`,"values":`)
		}
		w.schema(n.items)
		w.logicalAndSortedProps(n)
		b.WriteByte('}')
	case "record", "error", "enum", "fixed":
		full := n.fullName()
		if w.known[full] {
			javajson.WriteQuoted(b, full)
			return
		}
		w.known[full] = true
		b.WriteString(`{"name":`)
		javajson.WriteQuoted(b, full)
		b.WriteString(`,"type":`)
		javajson.WriteQuoted(b, n.typ)
		switch n.typ {
		case "enum":
			writeStrings(b, "symbols", n.symbols)
		case "fixed":
			b.WriteString(`,"size":` + strconv.Itoa(n.size))
		default:
			b.WriteString(`,"fields":[`)
			for i, f := range n.fields {
				if i > 0 {
					b.WriteByte(',')
				}
				w.field(f)
			}
			b.WriteByte(']')
		}
		if doc, _ := n.doc.Text(); doc != "" {
			b.WriteString(`,"doc":`)
			n.doc.Encode(b, avroJSON)
		}
		writeSortedStrings(b, "aliases", n.aliases)
		if n.enumDefault != nil {
			b.WriteString(`,"default":`)
			javajson.WriteQuoted(b, *n.enumDefault)
		}
		w.logicalAndSortedProps(n)
		b.WriteByte('}')
	default:
		if len(n.props) == 0 {
			javajson.WriteQuoted(b, n.typ)
			return
		}
		b.WriteString(`{"type":`)
		javajson.WriteQuoted(b, n.typ)
		w.logicalAndSortedProps(n)
		b.WriteByte('}')
	}
}

func (w *normalizer) field(f *field) {
	b := &w.b
	b.WriteString(`{"name":`)
	javajson.WriteQuoted(b, f.name)
	b.WriteString(`,"type":`)
	w.schema(f.typ)
	b.WriteString(`,"order":`)
	javajson.WriteQuoted(b, f.order)
	if f.doc != nil {
		b.WriteString(`,"doc":`)
		f.doc.Encode(b, avroJSON)
	}
	writeSortedStrings(b, "aliases", f.aliases)
	if f.def != nil {
		b.WriteString(`,"default":`)
		if v := defaultAs(f.def, f.typ); v != nil {
			v.Encode(b, avroJSON)
		} else {
			f.def.Encode(b, avroJSON)
		}
	}
	writeSortedProps(b, f.props)
	b.WriteByte('}')
}

// logicalAndSortedProps writes a valid logical type's attributes, then every property sorted by
// key; the parse that follows drops the repeated keys.
func (w *normalizer) logicalAndSortedProps(n *node) {
	b := &w.b
	if lt, precision, scale, ok := logicalType(n); ok {
		b.WriteString(`,"logicalType":`)
		javajson.WriteQuoted(b, lt)
		if lt == "decimal" {
			b.WriteString(`,"precision":` + strconv.Itoa(precision))
			if scale != 0 {
				b.WriteString(`,"scale":` + strconv.Itoa(scale))
			}
		}
	}
	writeSortedProps(b, n.props)
}

func writeSortedProps(b *bytes.Buffer, props []javajson.Member) {
	sorted := slices.Clone(props)
	slices.SortFunc(sorted, func(x, y javajson.Member) int { return strings.Compare(x.Key, y.Key) })
	writeProps(b, sorted)
}

func writeSortedStrings(b *bytes.Buffer, key string, values []string) {
	if len(values) == 0 {
		return
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	writeStrings(b, key, sorted)
}

// logicalType reports the logical type Java Avro accepts on n (LogicalTypes.fromSchemaIgnoreInvalid).
func logicalType(n *node) (name string, precision, scale int, ok bool) {
	var lt *javajson.Value
	for _, p := range n.props {
		if p.Key == "logicalType" {
			lt = p.Value
		}
	}
	name, isText := lt.Text()
	if !isText {
		return "", 0, 0, false
	}
	switch name {
	case "decimal":
		precision, ok = intProp(n, "precision")
		if !ok || precision <= 0 {
			return "", 0, 0, false
		}
		scale, hasScale := intProp(n, "scale")
		if !hasScale {
			scale = 0
		}
		if scale < 0 || scale > precision {
			return "", 0, 0, false
		}
		switch n.typ {
		case "bytes":
		case "fixed":
			if float64(precision) > math.Floor(math.Log10(math.Pow(2, float64(8*n.size-1))-1)) {
				return "", 0, 0, false
			}
		default:
			return "", 0, 0, false
		}
		return name, precision, scale, true
	case "big-decimal":
		return name, 0, 0, n.typ == "bytes"
	case "uuid":
		return name, 0, 0, n.typ == "string" || (n.typ == "fixed" && n.size == 16)
	case "date", "time-millis":
		return name, 0, 0, n.typ == "int"
	case "time-micros", "timestamp-millis", "timestamp-micros", "timestamp-nanos",
		"local-timestamp-millis", "local-timestamp-micros", "local-timestamp-nanos":
		return name, 0, 0, n.typ == "long"
	case "duration":
		return name, 0, 0, n.typ == "fixed" && n.size == 12
	}
	return "", 0, 0, false
}

func intProp(n *node, key string) (int, bool) {
	for _, p := range n.props {
		if p.Key == key && p.Value.IsInteger() {
			lit, _ := p.Value.Number()
			v, err := strconv.ParseInt(lit, 10, 32)
			return int(v), err == nil
		}
	}
	return 0, false
}

// defaultAs converts a default value to the Java object Avro makes of it for schema s and back
// to JSON (JacksonUtils.toObject): an integer default of a double field becomes 1.0, and so on.
// It returns nil where Java finds no conversion.
func defaultAs(v *javajson.Value, s *node) *javajson.Value {
	if v.Kind() == javajson.Null {
		return v
	}
	if s != nil && s.typ == "union" {
		for _, branch := range s.branches {
			if branch.typ == "null" {
				continue
			}
			if out := defaultAs(v, branch); out != nil {
				return out
			}
		}
		return nil
	}
	typ := ""
	if s != nil {
		typ = s.kind()
	}
	switch v.Kind() {
	case javajson.Bool:
		return v
	case javajson.Number:
		lit, _ := v.Number()
		if v.IsInteger() {
			n, ok := new(big.Int).SetString(lit, 10)
			if !ok || !n.IsInt64() {
				return nil // Jackson's BigIntegerNode: Java converts it to nothing
			}
			switch typ {
			case "", "int", "long":
				return v
			case "float":
				return floatLiteral(float64(float32(n.Int64())), 32)
			case "double":
				return floatLiteral(float64(n.Int64()), 64)
			}
			return nil
		}
		f, _ := strconv.ParseFloat(lit, 64)
		switch typ {
		case "", "double":
			return floatLiteral(f, 64)
		case "float":
			return floatLiteral(float64(float32(f)), 32)
		}
		return nil
	case javajson.String:
		switch typ {
		case "", "string", "enum":
			return v
		case "bytes", "fixed":
			// Java keeps the string's ISO-8859-1 bytes: other characters become '?'.
			text, _ := v.Text()
			latin := []rune(text)
			for i, r := range latin {
				if r > 0xFF {
					latin[i] = '?'
				}
			}
			return javajson.NewString(string(latin))
		}
		return nil
	case javajson.Array:
		var items *node
		if s != nil && s.typ == "array" {
			items = s.items
		}
		var out []*javajson.Value
		for _, item := range v.Items() {
			c := defaultAs(item, items)
			if c == nil {
				return nil
			}
			out = append(out, c)
		}
		return javajson.NewArray(out)
	case javajson.Object:
		var out []javajson.Member
		for _, m := range v.Members() {
			var ms *node
			switch {
			case s != nil && s.typ == "map":
				ms = s.items
			case s != nil && s.kind() == "record":
				f := s.fieldIndex[m.Key]
				if f == nil {
					return nil
				}
				ms = f.typ
			}
			c := defaultAs(m.Value, ms)
			if c == nil {
				return nil
			}
			out = append(out, javajson.Member{Key: m.Key, Value: c})
		}
		return javajson.NewObject(out)
	}
	return nil
}

// floatLiteral is a float or double as Jackson writes it (Float.toString or Double.toString).
func floatLiteral(f float64, bits int) *javajson.Value {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return javajson.NewString(javajson.FormatFloat(f, bits))
	}
	return javajson.NewNumber(javajson.FormatFloat(f, bits))
}
