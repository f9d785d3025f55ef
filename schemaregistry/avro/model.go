package avro

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/eventlens/eventlens/schemaregistry/javajson"
)

// node is one schema in Java Avro's object model. A named type is one node however often it is
// referred to, so pointer identity here is Java's object identity (the compatibility memo and
// the printers rely on it).
type node struct {
	typ string // Avro type: "int", "record", "error", "enum", "fixed", "array", "map", "union", ...

	// Named types (record, error, enum, fixed).
	name    string // simple name
	space   string // namespace; "" is Java's null namespace
	doc     *javajson.Value
	aliases []string // full names, deduplicated, in the order written

	fields     []*field // record
	fieldIndex map[string]*field

	symbols     []string // enum
	enumDefault *string

	size int // fixed

	items    *node   // array items, map values
	branches []*node // union

	props []javajson.Member // attributes Java keeps as properties, in the order written
}

type field struct {
	name     string
	posToken string // the field's position, as a location token
	typ      *node
	doc      *javajson.Value
	def      *javajson.Value // nil: no default
	order    string          // "ascending", "descending" or "ignore"
	aliases  []string
	props    []javajson.Member
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

func (b *builder) build(v *javajson.Value, space string) (*node, error) {
	switch v.Kind() {
	case javajson.String:
		name, _ := v.Text()
		return b.lookup(name, space)
	case javajson.Array:
		u := &node{typ: "union"}
		for _, item := range v.Items() {
			branch, err := b.build(item, space)
			if err != nil {
				return nil, err
			}
			u.branches = append(u.branches, branch)
		}
		return u, nil
	case javajson.Object:
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

func (b *builder) buildObject(v *javajson.Value, space string) (*node, error) {
	typ, ok := v.Get("type").Text()
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
		fields := v.Get("fields")
		if fields == nil || fields.Kind() != javajson.Array {
			return nil, fmt.Errorf("record %q has no fields array", n.fullName())
		}
		n.fieldIndex = make(map[string]*field, len(fields.Items()))
		for i, fv := range fields.Items() {
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
		symbols := v.Get("symbols")
		if symbols == nil || symbols.Kind() != javajson.Array {
			return nil, fmt.Errorf("enum %q has no symbols array", n.fullName())
		}
		for _, s := range symbols.Items() {
			text, ok := s.Text()
			if !ok {
				return nil, fmt.Errorf("enum %q has a symbol that is not a string", n.fullName())
			}
			n.symbols = append(n.symbols, text)
		}
		if d, ok := v.Get("default").Text(); ok {
			n.enumDefault = &d
		}
	case typ == "fixed":
		if err := b.define(n, v, space); err != nil {
			return nil, err
		}
		size := v.Get("size")
		if !size.IsInteger() {
			return nil, fmt.Errorf("fixed %q needs an integer size", n.fullName())
		}
		sizeText, _ := size.Number()
		if _, err := fmt.Sscan(sizeText, &n.size); err != nil || n.size < 0 {
			return nil, fmt.Errorf("fixed %q has an invalid size %s", n.fullName(), sizeText)
		}
	case typ == "array" || typ == "map":
		key := "items"
		if typ == "map" {
			key = "values"
		}
		inner := v.Get(key)
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
func (b *builder) define(n *node, v *javajson.Value, space string) error {
	name, ok := v.Get("name").Text()
	if !ok {
		return fmt.Errorf("a %s needs a \"name\" string", n.typ)
	}
	if ns, ok := v.Get("namespace").Text(); ok {
		space = ns
	}
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		space, name = name[:i], name[i+1:]
	}
	n.name, n.space = name, space
	if primitives[n.fullName()] {
		return fmt.Errorf("a %s may not be named after the primitive type %q", n.typ, name)
	}
	if doc := v.Get("doc"); doc != nil && doc.Kind() == javajson.String {
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

func (b *builder) buildField(v *javajson.Value, space string) (*field, error) {
	if v.Kind() != javajson.Object {
		return nil, errors.New("a field must be an object")
	}
	name, ok := v.Get("name").Text()
	if !ok {
		return nil, errors.New(`a field needs a "name" string`)
	}
	f := &field{name: name, order: "ascending", def: v.Get("default")}
	tv := v.Get("type")
	if tv == nil {
		return nil, fmt.Errorf("field %q has no type", name)
	}
	var err error
	if f.typ, err = b.build(tv, space); err != nil {
		return nil, fmt.Errorf("field %q: %w", name, err)
	}
	if doc := v.Get("doc"); doc != nil && doc.Kind() == javajson.String {
		f.doc = doc
	}
	if o := v.Get("order"); o != nil {
		text, _ := o.Text()
		switch order := strings.ToLower(text); order {
		case "ascending", "descending", "ignore":
			f.order = order
		default:
			return nil, fmt.Errorf("field %q has an invalid order %q", name, text)
		}
	}
	// Java reads a textual default of a float or double field as that number.
	if f.def != nil && f.def.Kind() == javajson.String && (f.typ.typ == "float" || f.typ.typ == "double") {
		text, _ := f.def.Text()
		d, err := parseJavaDouble(text)
		if err != nil {
			return nil, fmt.Errorf("field %q: default %q is not a number", name, text)
		}
		// The 'e' form keeps it a floating-point literal, so it prints as Java prints a double.
		f.def = javajson.NewNumber(strconv.FormatFloat(d, 'e', -1, 64))
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

func aliasList(v *javajson.Value) ([]string, error) {
	a := v.Get("aliases")
	if a == nil {
		return nil, nil
	}
	if a.Kind() != javajson.Array {
		return nil, errors.New(`"aliases" must be an array of names`)
	}
	out := make([]string, 0, len(a.Items()))
	for _, item := range a.Items() {
		text, ok := item.Text()
		if !ok {
			return nil, errors.New(`"aliases" must be an array of names`)
		}
		out = append(out, text)
	}
	return out, nil
}

// properties keeps the members that are not reserved.
func properties(v *javajson.Value, reserved map[string]bool) []javajson.Member {
	var props []javajson.Member
	for _, m := range v.Members() {
		if !reserved[m.Key] {
			props = append(props, m)
		}
	}
	return props
}

func describe(v *javajson.Value) string {
	switch v.Kind() {
	case javajson.Null:
		return "null"
	case javajson.Bool:
		return "a boolean"
	case javajson.Number:
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
