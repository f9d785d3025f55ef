package avro

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/eventlens/eventlens/schemaregistry/javajson"
)

// javaTypeNames are the names of Java's Schema.Type; a named type called like one of them is
// always written with its namespace.
var javaTypeNames = map[string]bool{
	"record": true, "enum": true, "array": true, "map": true, "union": true, "fixed": true,
	"string": true, "bytes": true, "int": true, "long": true, "float": true, "double": true,
	"boolean": true, "null": true,
}

// qualified is how Java writes a reference to n from inside namespace space.
func qualified(n *node, space string) string {
	if n.space != "" && n.space == space && !javaTypeNames[n.name] {
		return n.name
	}
	return n.fullName()
}

// canonicalPrinter writes Java Avro's Schema.toString(referencedSchemas, false), the text
// Confluent stores: a named type is written in full the first time and by name afterwards, and
// types from references only by name.
type canonicalPrinter struct {
	b     bytes.Buffer
	known map[string]bool
}

func (p *canonicalPrinter) schema(n *node, space string) {
	b := &p.b
	if n.named() {
		full := n.fullName()
		if p.known[full] {
			javajson.WriteQuoted(b, qualified(n, space))
			return
		}
		p.known[full] = true
	}
	switch n.typ {
	case "union":
		b.WriteByte('[')
		for i, branch := range n.branches {
			if i > 0 {
				b.WriteByte(',')
			}
			p.schema(branch, space)
		}
		b.WriteByte(']')
		return
	case "array", "map":
		b.WriteString(`{"type":`)
		javajson.WriteQuoted(b, n.typ)
		if n.typ == "array" {
			b.WriteString(`,"items":`)
		} else {
			b.WriteString(`,"values":`)
		}
		p.schema(n.items, space)
		writeProps(b, n.props)
		b.WriteByte('}')
		return
	case "record", "error", "enum", "fixed":
		p.named(n, space)
		return
	}
	if len(n.props) == 0 {
		javajson.WriteQuoted(b, n.typ)
		return
	}
	b.WriteString(`{"type":`)
	javajson.WriteQuoted(b, n.typ)
	writeProps(b, n.props)
	b.WriteByte('}')
}

func (p *canonicalPrinter) named(n *node, space string) {
	b := &p.b
	b.WriteString(`{"type":`)
	javajson.WriteQuoted(b, n.typ)
	b.WriteString(`,"name":`)
	javajson.WriteQuoted(b, n.name)
	switch {
	case n.space != "" && n.space != space:
		b.WriteString(`,"namespace":`)
		javajson.WriteQuoted(b, n.space)
	case n.space == "" && space != "":
		b.WriteString(`,"namespace":""`)
	}
	if n.doc != nil {
		b.WriteString(`,"doc":`)
		n.doc.Encode(b, avroJSON)
	}
	switch n.typ {
	case "enum":
		writeStrings(b, "symbols", n.symbols)
		if n.enumDefault != nil {
			b.WriteString(`,"default":`)
			javajson.WriteQuoted(b, *n.enumDefault)
		}
	case "fixed":
		b.WriteString(`,"size":`)
		b.WriteString(strconv.Itoa(n.size))
	default:
		b.WriteString(`,"fields":[`)
		for i, f := range n.fields {
			if i > 0 {
				b.WriteByte(',')
			}
			p.field(f, n.space)
		}
		b.WriteByte(']')
	}
	writeProps(b, n.props)
	if len(n.aliases) > 0 {
		qualified := make([]string, len(n.aliases))
		for i, a := range n.aliases {
			qualified[i] = qualifiedAlias(a, n.space)
		}
		writeStrings(b, "aliases", qualified)
	}
	b.WriteByte('}')
}

// qualifiedAlias writes an alias relative to its type's namespace, as Java's aliasesToJson does.
func qualifiedAlias(full, space string) string {
	if space != "" && len(full) > len(space)+1 && full[:len(space)] == space && full[len(space)] == '.' {
		name := full[len(space)+1:]
		if !javaTypeNames[name] && !strings.Contains(name, ".") {
			return name
		}
	}
	return full
}

func (p *canonicalPrinter) field(f *field, space string) {
	b := &p.b
	b.WriteString(`{"name":`)
	javajson.WriteQuoted(b, f.name)
	b.WriteString(`,"type":`)
	p.schema(f.typ, space)
	if f.doc != nil {
		b.WriteString(`,"doc":`)
		f.doc.Encode(b, avroJSON)
	}
	if f.def != nil {
		b.WriteString(`,"default":`)
		f.def.Encode(b, avroJSON)
	}
	if f.order != "ascending" {
		b.WriteString(`,"order":`)
		javajson.WriteQuoted(b, f.order)
	}
	if len(f.aliases) > 0 {
		writeStrings(b, "aliases", f.aliases)
	}
	writeProps(b, f.props)
	b.WriteByte('}')
}

// writeStrings writes the member `,"key":["value",…]`.
func writeStrings(b *bytes.Buffer, key string, values []string) {
	b.WriteString(`,"` + key + `":[`)
	for i, v := range values {
		if i > 0 {
			b.WriteByte(',')
		}
		javajson.WriteQuoted(b, v)
	}
	b.WriteByte(']')
}

func writeProps(b *bytes.Buffer, props []javajson.Member) {
	for _, m := range props {
		b.WriteByte(',')
		javajson.WriteQuoted(b, m.Key)
		b.WriteByte(':')
		m.Value.Encode(b, avroJSON)
	}
}

// canonical is the text Confluent stores for n when the named types in known come from references.
func canonical(n *node, known []string) string {
	p := canonicalPrinter{known: make(map[string]bool, len(known))}
	for _, k := range known {
		p.known[k] = true
	}
	p.schema(n, "")
	return p.b.String()
}
