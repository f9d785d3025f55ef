package avro

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// node is one schema in Java Avro's object model. A named type is one node however often it is
// referred to, so pointer identity here is Java's object identity (the compatibility memo and
// the printers rely on it).
type node struct {
	typ string // Avro type: "int", "record", "error", "enum", "fixed", "array", "map", "union", ...

	// Named types (record, error, enum, fixed).
	name    string // simple name
	space   string // namespace; "" is Java's null namespace
	doc     *jsonValue
	aliases []string // full names, deduplicated, in the order written

	fields     []*field // record
	fieldIndex map[string]*field

	symbols     []string // enum
	enumDefault *string

	size int // fixed

	items    *node   // array items, map values
	branches []*node // union

	props []jsonMember // attributes Java keeps as properties, in the order written
}

type field struct {
	name     string
	posToken string // the field's position, as a location token
	typ      *node
	doc      *jsonValue
	def      *jsonValue // nil: no default
	order    string     // "ascending", "descending" or "ignore"
	aliases  []string
	props    []jsonMember
}

func (n *node) named() bool {
	switch n.typ {
	case "record", "error", "enum", "fixed":
		return true
	}
	return false
}

func (n *node) fullName() string {
	if n.space == "" {
		return n.name
	}
	return n.space + "." + n.name
}

// kind is the type as Java's Schema.Type names it; "error" is a record.
func (n *node) kind() string {
	if n.typ == "error" {
		return "record"
	}
	return n.typ
}

var primitives = map[string]bool{
	"null": true, "boolean": true, "int": true, "long": true,
	"float": true, "double": true, "bytes": true, "string": true,
}

var (
	schemaReserved = map[string]bool{"doc": true, "fields": true, "items": true, "name": true,
		"namespace": true, "size": true, "symbols": true, "values": true, "type": true, "aliases": true}
	enumReserved = map[string]bool{"doc": true, "fields": true, "items": true, "name": true,
		"namespace": true, "size": true, "symbols": true, "values": true, "type": true, "aliases": true,
		"default": true}
	fieldReserved = map[string]bool{"default": true, "doc": true, "name": true, "order": true,
		"type": true, "aliases": true}
)

// builder turns JSON into nodes with Java's Schema.Parser rules. names holds every named type
// defined so far, references included, by full name.
type builder struct {
	names map[string]*node
}

func (b *builder) build(v *jsonValue, space string) (*node, error) {
	switch v.kind {
	case jsonString:
		return b.lookup(v.text, space)
	case jsonArray:
		u := &node{typ: "union"}
		for _, item := range v.items {
			branch, err := b.build(item, space)
			if err != nil {
				return nil, err
			}
			u.branches = append(u.branches, branch)
		}
		return u, nil
	case jsonObject:
		return b.buildObject(v, space)
	}
	return nil, fmt.Errorf("a schema must be a type name, an object or a union array, not %s", describe(v))
}

// lookup resolves a type name the way Java's ParseContext.find does: primitives first, then the
// name in the current namespace, then the name as written.
func (b *builder) lookup(name, space string) (*node, error) {
	if primitives[name] {
		return &node{typ: name}, nil
	}
	full := name
	if space != "" && !strings.Contains(name, ".") {
		full = space + "." + name
	}
	if n := b.names[full]; n != nil {
		return n, nil
	}
	if n := b.names[name]; n != nil {
		return n, nil
	}
	return nil, fmt.Errorf("unknown type %q (is a reference missing?)", full)
}

func (b *builder) buildObject(v *jsonValue, space string) (*node, error) {
	typ, ok := v.get("type").textValue()
	if !ok {
		return nil, errors.New(`a schema object needs a "type" string`)
	}
	n := &node{typ: typ}
	reserved := schemaReserved
	switch {
	case primitives[typ]:
	case typ == "record" || typ == "error":
		if err := b.define(n, v, space); err != nil {
			return nil, err
		}
		fields := v.get("fields")
		if fields == nil || fields.kind != jsonArray {
			return nil, fmt.Errorf("record %q has no fields array", n.fullName())
		}
		n.fieldIndex = make(map[string]*field, len(fields.items))
		for i, fv := range fields.items {
			f, err := b.buildField(fv, n.space)
			if err != nil {
				return nil, fmt.Errorf("record %q: %w", n.fullName(), err)
			}
			if _, dup := n.fieldIndex[f.name]; dup {
				return nil, fmt.Errorf("record %q has two fields named %q", n.fullName(), f.name)
			}
			f.posToken = indexToken(i)
			n.fields = append(n.fields, f)
			n.fieldIndex[f.name] = f
		}
	case typ == "enum":
		reserved = enumReserved
		if err := b.define(n, v, space); err != nil {
			return nil, err
		}
		symbols := v.get("symbols")
		if symbols == nil || symbols.kind != jsonArray {
			return nil, fmt.Errorf("enum %q has no symbols array", n.fullName())
		}
		for _, s := range symbols.items {
			text, ok := s.textValue()
			if !ok {
				return nil, fmt.Errorf("enum %q has a symbol that is not a string", n.fullName())
			}
			n.symbols = append(n.symbols, text)
		}
		if d, ok := v.get("default").textValue(); ok {
			n.enumDefault = &d
		}
	case typ == "fixed":
		if err := b.define(n, v, space); err != nil {
			return nil, err
		}
		size := v.get("size")
		if size == nil || size.kind != jsonNumber || !isIntegerLiteral(size.text) {
			return nil, fmt.Errorf("fixed %q needs an integer size", n.fullName())
		}
		if _, err := fmt.Sscan(size.text, &n.size); err != nil || n.size < 0 {
			return nil, fmt.Errorf("fixed %q has an invalid size %s", n.fullName(), size.text)
		}
	case typ == "array" || typ == "map":
		key := "items"
		if typ == "map" {
			key = "values"
		}
		inner := v.get(key)
		if inner == nil {
			return nil, fmt.Errorf("%s has no %q", typ, key)
		}
		var err error
		if n.items, err = b.build(inner, space); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf(`unknown type %q: "type" must be a primitive type or one of record, error, enum, fixed, array, map`, typ)
	}
	n.props = properties(v, reserved)
	return n, nil
}

// define reads the name, namespace, doc and aliases of a named type and registers it before its
// body is read, so that a record may refer to itself.
func (b *builder) define(n *node, v *jsonValue, space string) error {
	name, ok := v.get("name").textValue()
	if !ok {
		return fmt.Errorf("a %s needs a \"name\" string", n.typ)
	}
	if ns, ok := v.get("namespace").textValue(); ok {
		space = ns
	}
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		space, name = name[:i], name[i+1:]
	}
	n.name, n.space = name, space
	if primitives[n.fullName()] {
		return fmt.Errorf("a %s may not be named after the primitive type %q", n.typ, name)
	}
	if doc := v.get("doc"); doc != nil && doc.kind == jsonString {
		n.doc = doc
	}
	aliases, err := aliasList(v)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, a := range aliases {
		full := a
		if n.space != "" && !strings.Contains(a, ".") {
			full = n.space + "." + a
		}
		if !seen[full] {
			seen[full] = true
			n.aliases = append(n.aliases, full)
		}
	}
	full := n.fullName()
	if b.names[full] != nil {
		return fmt.Errorf("type %q is defined twice", full)
	}
	b.names[full] = n
	return nil
}

func (b *builder) buildField(v *jsonValue, space string) (*field, error) {
	if v.kind != jsonObject {
		return nil, errors.New("a field must be an object")
	}
	name, ok := v.get("name").textValue()
	if !ok {
		return nil, errors.New(`a field needs a "name" string`)
	}
	f := &field{name: name, order: "ascending", def: v.get("default")}
	tv := v.get("type")
	if tv == nil {
		return nil, fmt.Errorf("field %q has no type", name)
	}
	var err error
	if f.typ, err = b.build(tv, space); err != nil {
		return nil, fmt.Errorf("field %q: %w", name, err)
	}
	if doc := v.get("doc"); doc != nil && doc.kind == jsonString {
		f.doc = doc
	}
	if o := v.get("order"); o != nil {
		text, _ := o.textValue()
		switch order := strings.ToLower(text); order {
		case "ascending", "descending", "ignore":
			f.order = order
		default:
			return nil, fmt.Errorf("field %q has an invalid order %q", name, text)
		}
	}
	// Java reads a textual default of a float or double field as that number.
	if f.def != nil && f.def.kind == jsonString && (f.typ.typ == "float" || f.typ.typ == "double") {
		d, err := parseJavaDouble(f.def.text)
		if err != nil {
			return nil, fmt.Errorf("field %q: default %q is not a number", name, f.def.text)
		}
		// The 'e' form keeps it a floating-point literal, so it prints as Java prints a double.
		f.def = &jsonValue{kind: jsonNumber, text: strconv.FormatFloat(d, 'e', -1, 64)}
	}
	aliases, err := aliasList(v)
	if err != nil {
		return nil, fmt.Errorf("field %q: %w", name, err)
	}
	seen := map[string]bool{}
	for _, a := range aliases {
		if !seen[a] {
			seen[a] = true
			f.aliases = append(f.aliases, a)
		}
	}
	f.props = properties(v, fieldReserved)
	return f, nil
}

func aliasList(v *jsonValue) ([]string, error) {
	a := v.get("aliases")
	if a == nil {
		return nil, nil
	}
	if a.kind != jsonArray {
		return nil, errors.New(`"aliases" must be an array of names`)
	}
	out := make([]string, 0, len(a.items))
	for _, item := range a.items {
		text, ok := item.textValue()
		if !ok {
			return nil, errors.New(`"aliases" must be an array of names`)
		}
		out = append(out, text)
	}
	return out, nil
}

// properties keeps the members that are not reserved.
func properties(v *jsonValue, reserved map[string]bool) []jsonMember {
	var props []jsonMember
	for _, m := range v.members {
		if !reserved[m.key] {
			props = append(props, m)
		}
	}
	return props
}

func describe(v *jsonValue) string {
	switch v.kind {
	case jsonNull:
		return "null"
	case jsonBool:
		return "a boolean"
	case jsonNumber:
		return "a number"
	}
	return "this value"
}

// parseJavaDouble reads text as Java's Double.parseDouble does for the forms schemas use.
func parseJavaDouble(text string) (float64, error) {
	t := strings.TrimSpace(text)
	switch t {
	case "NaN", "+NaN", "-NaN":
		return math.NaN(), nil
	case "Infinity", "+Infinity":
		return math.Inf(1), nil
	case "-Infinity":
		return math.Inf(-1), nil
	}
	t = strings.TrimRight(t, "dDfF")
	if strings.ContainsAny(t, "nN") { // Go would also accept "nan" and "inf"; Java does not
		return 0, errors.New("not a number")
	}
	return strconv.ParseFloat(t, 64)
}
