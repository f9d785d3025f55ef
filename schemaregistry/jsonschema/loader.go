package jsonschema

import (
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"

	sjs "github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/eventlens/eventlens/schemaregistry/javajson"
)

// location is where a schema sits: the URL of its document and an escaped JSON pointer, written
// exactly as santhosh-tekuri/jsonschema writes schema locations.
type location struct {
	doc string
	ptr string
}

func (l location) String() string { return l.doc + "#" + l.ptr }

func (l location) child(tokens ...string) location {
	p := l.ptr
	for _, t := range tokens {
		p += "/" + strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1")
	}
	return location{l.doc, p}
}

// maxNodes bounds the model a schema may produce, whatever the shape of its references.
const maxNodes = 200_000

// loader builds the model of one schema with its references. It reads each location once, so
// that every $ref to the same target yields the same node: the diff relies on that identity to
// stop on recursive schemas.
type loader struct {
	modern   bool // 2019-09 or 2020-12: read as Confluent's json-sKema translation reads them
	draft4   bool
	docs     map[string]*javajson.Value
	compiler *sjs.Compiler
	nodes    map[location]*node
	refs     []*node
	count    int
	err      error
}

func (l *loader) fail(err error) {
	if l.err == nil {
		l.err = err
	}
}

func (l *loader) newNode(k kind) *node {
	l.count++
	if l.count > maxNodes {
		l.fail(fmt.Errorf("schema has more than %d subschemas", maxNodes))
	}
	return &node{kind: k}
}

// load returns the node at loc, building it on first use.
func (l *loader) load(v *javajson.Value, loc location) *node {
	if n, ok := l.nodes[loc]; ok {
		return n
	}
	if l.err != nil {
		return &node{kind: kindEmpty}
	}
	var n *node
	switch {
	case v == nil:
		n = l.newNode(kindEmpty)
	case v.Kind() == javajson.Bool:
		if b, _ := v.Bool(); b {
			n = l.newNode(kindTrue)
		} else {
			n = l.newNode(kindFalse)
		}
	case v.Kind() != javajson.Object:
		n = l.newNode(kindEmpty)
	case l.modern:
		n = l.loadModern(v, loc)
	default:
		n = l.loadLegacy(v, loc)
	}
	l.nodes[loc] = n
	return n
}

// resolveRefs points every $ref node at the node of its target, loading targets (and the refs
// inside them) until none is left.
func (l *loader) resolveRefs() {
	for len(l.refs) > 0 && l.err == nil {
		n := l.refs[len(l.refs)-1]
		l.refs = l.refs[:len(l.refs)-1]
		sch, err := l.compiler.Compile(n.refLoc.String())
		if err != nil {
			l.fail(err)
			return
		}
		target := sch.Ref
		if target == nil && sch.DynamicRef != nil {
			target = sch.DynamicRef.Ref
		}
		if target == nil {
			target = sch.RecursiveRef
		}
		if target == nil {
			n.ref = &node{kind: kindEmpty}
			continue
		}
		doc, ptr, _ := strings.Cut(target.Location, "#")
		loc := location{doc, ptr}
		root, ok := l.docs[doc]
		if !ok {
			// A metaschema or another document the compiler knows but the model does not read.
			n.ref = &node{kind: kindEmpty}
			continue
		}
		n.ref = l.load(evalPointer(root, ptr), loc)
	}
}

func evalPointer(v *javajson.Value, ptr string) *javajson.Value {
	if ptr == "" {
		return v
	}
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch {
		case v == nil:
			return nil
		case v.Kind() == javajson.Object:
			v = v.Get(tok)
		case v.Kind() == javajson.Array:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(v.Items()) {
				return nil
			}
			v = v.Items()[i]
		default:
			return nil
		}
	}
	return v
}

func (l *loader) refNode(loc location) *node {
	n := l.newNode(kindRef)
	n.refLoc = loc
	l.refs = append(l.refs, n)
	return n
}

var (
	numberKeywords = []string{"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}
	stringKeywords = []string{"minLength", "maxLength", "pattern", "format"}
	arrayKeywords  = []string{"items", "additionalItems", "minItems", "maxItems", "uniqueItems", "contains"}
	objectKeywords = []string{"properties", "required", "minProperties", "maxProperties", "dependencies",
		"patternProperties", "additionalProperties", "propertyNames"}
	// Java's HashMap visits these keys in this order; it decides the order of the members of
	// the allOf that a schema with several of them becomes.
	combinedKeywords = []string{"allOf", "oneOf", "anyOf"}
)

// loadLegacy reads drafts 4, 6 and 7 as everit-json-schema's SchemaLoader does: a $ref hides
// its siblings; otherwise enum, allOf/oneOf/anyOf, not, const, type (which claims the keywords
// of its types) and then the keywords no extractor claimed each make a schema, and several
// schemas are combined into a synthetic allOf.
func (l *loader) loadLegacy(v *javajson.Value, loc location) *node {
	var result *node
	if v.Get("$ref") != nil {
		result = l.refNode(loc)
		l.setCommon(result, v, true)
		return result
	}
	consumed := map[string]bool{}
	var parts []*node
	if e := v.Get("enum"); e != nil {
		parts = append(parts, l.enumNode(e))
	}
	for _, kw := range combinedKeywords {
		if c := v.Get(kw); c != nil && c.Kind() == javajson.Array {
			parts = append(parts, l.combinedNode(kw, c, loc.child(kw)))
		}
	}
	if not := v.Get("not"); not != nil {
		n := l.newNode(kindNot)
		n.not = l.load(not, loc.child("not"))
		parts = append(parts, n)
	}
	if c := v.Get("const"); c != nil && !l.draft4 {
		n := l.newNode(kindConst)
		n.constValue = valueKey(c)
		parts = append(parts, n)
	}
	if t := v.Get("type"); t != nil {
		if t.Kind() == javajson.Array {
			n := l.newNode(kindCombined)
			n.criterion = "anyOf"
			for _, item := range t.Items() {
				name, _ := item.Text()
				n.subs = append(n.subs, l.typedNode(name, v, loc, consumed))
			}
			parts = append(parts, n)
		} else {
			name, _ := t.Text()
			parts = append(parts, l.typedNode(name, v, loc, consumed))
		}
	}
	hasAny := func(keys []string) bool {
		for _, k := range keys {
			if !consumed[k] && v.Get(k) != nil {
				return true
			}
		}
		return false
	}
	if hasAny(arrayKeywords) {
		parts = append(parts, l.arrayNode(v, loc))
	}
	if hasAny(objectKeywords) {
		parts = append(parts, l.objectNode(v, loc))
	}
	if hasAny(numberKeywords) {
		parts = append(parts, l.numberNode(v))
	}
	if hasAny(stringKeywords) {
		parts = append(parts, l.stringNode(v))
	}
	if !l.draft4 && (v.Get("if") != nil || v.Get("then") != nil || v.Get("else") != nil) {
		parts = append(parts, l.newNode(kindConditional))
	}
	switch len(parts) {
	case 0:
		result = l.newNode(kindEmpty)
	case 1:
		result = parts[0]
	default:
		result = l.newNode(kindCombined)
		result.criterion = "allOf"
		result.subs = parts
	}
	l.setCommon(result, v, true)
	return result
}

// typedNode builds the schema of one explicit type and marks the keywords it claims.
func (l *loader) typedNode(name string, v *javajson.Value, loc location, consumed map[string]bool) *node {
	claim := func(keys []string) {
		for _, k := range keys {
			consumed[k] = true
		}
	}
	switch name {
	case "string":
		claim(stringKeywords)
		return l.stringNode(v)
	case "integer":
		claim(numberKeywords)
		n := l.numberNode(v)
		n.requiresInteger = true
		return n
	case "number":
		claim(numberKeywords)
		return l.numberNode(v)
	case "boolean":
		return l.newNode(kindBoolean)
	case "null":
		return l.newNode(kindNull)
	case "array":
		claim(arrayKeywords)
		return l.arrayNode(v, loc)
	case "object":
		claim(objectKeywords)
		return l.objectNode(v, loc)
	}
	l.fail(fmt.Errorf("unknown type %q", name))
	return l.newNode(kindEmpty)
}

// setCommon reads the annotations every schema carries.
func (l *loader) setCommon(n *node, v *javajson.Value, withID bool) {
	idKeyword := "$id"
	if l.draft4 {
		idKeyword = "id"
	}
	if s, ok := v.Get(idKeyword).Text(); ok && withID {
		n.id = &s
	}
	if s, ok := v.Get("title").Text(); ok {
		n.title = &s
	}
	if s, ok := v.Get("description").Text(); ok {
		n.description = &s
	}
	if d := v.Get("default"); d != nil {
		n.defaultValue = d
	}
	if s, ok := v.Get("connect.type").Text(); ok {
		n.connectType = s
	}
}

func (l *loader) enumNode(e *javajson.Value) *node {
	n := l.newNode(kindEnum)
	n.enumValues = map[string]bool{}
	for _, item := range e.Items() {
		n.enumValues[valueKey(item)] = true
	}
	return n
}

func (l *loader) combinedNode(criterion string, c *javajson.Value, loc location) *node {
	n := l.newNode(kindCombined)
	n.criterion = criterion
	for i, item := range c.Items() {
		n.subs = append(n.subs, l.load(item, loc.child(strconv.Itoa(i))))
	}
	return n
}

func number(v *javajson.Value) *big.Rat {
	lit, ok := v.Number()
	if !ok {
		return nil
	}
	r, ok := new(big.Rat).SetString(lit)
	if !ok {
		return nil
	}
	return r
}

func (l *loader) stringNode(v *javajson.Value) *node {
	n := l.newNode(kindString)
	n.minLength = number(v.Get("minLength"))
	n.maxLength = number(v.Get("maxLength"))
	if s, ok := v.Get("pattern").Text(); ok {
		n.pattern = &s
	}
	return n
}

func (l *loader) numberNode(v *javajson.Value) *node {
	n := l.newNode(kindNumber)
	n.minimum = number(v.Get("minimum"))
	n.maximum = number(v.Get("maximum"))
	n.multipleOf = number(v.Get("multipleOf"))
	// Draft 4 writes exclusive limits as booleans on minimum/maximum, which Confluent's diff
	// does not compare; later drafts write them as numbers.
	n.exclusiveMin = number(v.Get("exclusiveMinimum"))
	n.exclusiveMax = number(v.Get("exclusiveMaximum"))
	return n
}

func (l *loader) arrayNode(v *javajson.Value, loc location) *node {
	n := l.newNode(kindArray)
	if items := v.Get("items"); items != nil {
		if items.Kind() == javajson.Array {
			n.itemSchemas = []*node{}
			for i, item := range items.Items() {
				n.itemSchemas = append(n.itemSchemas, l.load(item, loc.child("items", strconv.Itoa(i))))
			}
		} else {
			n.allItems = l.load(items, loc.child("items"))
		}
	}
	if ai := v.Get("additionalItems"); ai != nil {
		if b, ok := ai.Bool(); ok {
			n.noAdditionalItem = !b
		} else {
			n.additionalItems = l.load(ai, loc.child("additionalItems"))
		}
	}
	n.minItems = number(v.Get("minItems"))
	n.maxItems = number(v.Get("maxItems"))
	if u, ok := v.Get("uniqueItems").Bool(); ok {
		n.uniqueItems = u
	}
	// everit leaves these to its unprocessed properties, where Confluent's diff still reads them.
	n.minContains = number(v.Get("minContains"))
	n.maxContains = number(v.Get("maxContains"))
	return n
}

func (l *loader) objectNode(v *javajson.Value, loc location) *node {
	n := l.newNode(kindObject)
	if props := v.Get("properties"); props != nil && props.Kind() == javajson.Object {
		n.properties = map[string]*node{}
		for _, m := range props.Members() {
			n.properties[m.Key] = l.load(m.Value, loc.child("properties", m.Key))
		}
	}
	if pp := v.Get("patternProperties"); pp != nil && pp.Kind() == javajson.Object {
		for _, m := range pp.Members() {
			n.patternProperties = append(n.patternProperties,
				l.patternProperty(m.Key, m.Value, loc.child("patternProperties", m.Key)))
		}
	}
	if ap := v.Get("additionalProperties"); ap != nil {
		if b, ok := ap.Bool(); ok {
			n.noAdditionalProps = !b
		} else {
			n.additionalProperties = l.load(ap, loc.child("additionalProperties"))
		}
	}
	if req := v.Get("required"); req != nil && req.Kind() == javajson.Array {
		n.required = map[string]bool{}
		for _, r := range req.Items() {
			if s, ok := r.Text(); ok {
				n.required[s] = true
			}
		}
	}
	n.minProperties = number(v.Get("minProperties"))
	n.maxProperties = number(v.Get("maxProperties"))
	if deps := v.Get("dependencies"); deps != nil && deps.Kind() == javajson.Object {
		for _, m := range deps.Members() {
			k, d := m.Key, m.Value
			if d.Kind() == javajson.Array {
				if n.propertyDeps == nil {
					n.propertyDeps = map[string]map[string]bool{}
				}
				set := map[string]bool{}
				for _, item := range d.Items() {
					if s, ok := item.Text(); ok {
						set[s] = true
					}
				}
				n.propertyDeps[k] = set
			} else {
				if n.schemaDeps == nil {
					n.schemaDeps = map[string]*node{}
				}
				n.schemaDeps[k] = l.load(d, loc.child("dependencies", k))
			}
		}
	}
	return n
}

func (l *loader) patternProperty(pattern string, v *javajson.Value, loc location) patternProperty {
	re, err := regexp.Compile(pattern)
	if err != nil {
		re = nil
	}
	return patternProperty{source: pattern, re: re, schema: l.load(v, loc)}
}
