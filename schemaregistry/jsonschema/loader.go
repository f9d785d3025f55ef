package jsonschema

import (
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"

	sjs "github.com/santhosh-tekuri/jsonschema/v6"
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
	docs     map[string]*value
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
func (l *loader) load(v *value, loc location) *node {
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
	case v.kind == jsonBool && v.bool:
		n = l.newNode(kindTrue)
	case v.kind == jsonBool:
		n = l.newNode(kindFalse)
	case v.kind != jsonObject:
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

func evalPointer(v *value, ptr string) *value {
	if ptr == "" {
		return v
	}
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch {
		case v == nil:
			return nil
		case v.kind == jsonObject:
			v = v.get(tok)
		case v.kind == jsonArray:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(v.items) {
				return nil
			}
			v = v.items[i]
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
func (l *loader) loadLegacy(v *value, loc location) *node {
	var result *node
	if v.has("$ref") {
		result = l.refNode(loc)
		l.setCommon(result, v, true)
		return result
	}
	consumed := map[string]bool{}
	var parts []*node
	if e := v.get("enum"); e != nil {
		parts = append(parts, l.enumNode(e))
	}
	for _, kw := range combinedKeywords {
		if c := v.get(kw); c != nil && c.kind == jsonArray {
			parts = append(parts, l.combinedNode(kw, c, loc.child(kw)))
		}
	}
	if not := v.get("not"); not != nil {
		n := l.newNode(kindNot)
		n.not = l.load(not, loc.child("not"))
		parts = append(parts, n)
	}
	if c := v.get("const"); c != nil && !l.draft4 {
		n := l.newNode(kindConst)
		n.constValue = c.key()
		parts = append(parts, n)
	}
	if t := v.get("type"); t != nil {
		if t.kind == jsonArray {
			n := l.newNode(kindCombined)
			n.criterion = "anyOf"
			for _, item := range t.items {
				name, _ := item.str()
				n.subs = append(n.subs, l.typedNode(name, v, loc, consumed))
			}
			parts = append(parts, n)
		} else {
			name, _ := t.str()
			parts = append(parts, l.typedNode(name, v, loc, consumed))
		}
	}
	hasAny := func(keys []string) bool {
		for _, k := range keys {
			if !consumed[k] && v.has(k) {
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
	if !l.draft4 && (v.has("if") || v.has("then") || v.has("else")) {
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
func (l *loader) typedNode(name string, v *value, loc location, consumed map[string]bool) *node {
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
func (l *loader) setCommon(n *node, v *value, withID bool) {
	idKeyword := "$id"
	if l.draft4 {
		idKeyword = "id"
	}
	if s, ok := v.get(idKeyword).str(); ok && withID {
		n.id = &s
	}
	if s, ok := v.get("title").str(); ok {
		n.title = &s
	}
	if s, ok := v.get("description").str(); ok {
		n.description = &s
	}
	if d := v.get("default"); d != nil {
		n.defaultValue = d
	}
	if s, ok := v.get("connect.type").str(); ok {
		n.connectType = s
	}
}

func (l *loader) enumNode(e *value) *node {
	n := l.newNode(kindEnum)
	n.enumValues = map[string]bool{}
	for _, item := range e.items {
		n.enumValues[item.key()] = true
	}
	return n
}

func (l *loader) combinedNode(criterion string, c *value, loc location) *node {
	n := l.newNode(kindCombined)
	n.criterion = criterion
	for i, item := range c.items {
		n.subs = append(n.subs, l.load(item, loc.child(strconv.Itoa(i))))
	}
	return n
}

func number(v *value) *big.Rat {
	if v == nil || v.kind != jsonNumber {
		return nil
	}
	r, ok := new(big.Rat).SetString(v.text)
	if !ok {
		return nil
	}
	return r
}

func (l *loader) stringNode(v *value) *node {
	n := l.newNode(kindString)
	n.minLength = number(v.get("minLength"))
	n.maxLength = number(v.get("maxLength"))
	if s, ok := v.get("pattern").str(); ok {
		n.pattern = &s
	}
	return n
}

func (l *loader) numberNode(v *value) *node {
	n := l.newNode(kindNumber)
	n.minimum = number(v.get("minimum"))
	n.maximum = number(v.get("maximum"))
	n.multipleOf = number(v.get("multipleOf"))
	// Draft 4 writes exclusive limits as booleans on minimum/maximum, which Confluent's diff
	// does not compare; later drafts write them as numbers.
	n.exclusiveMin = number(v.get("exclusiveMinimum"))
	n.exclusiveMax = number(v.get("exclusiveMaximum"))
	return n
}

func (l *loader) arrayNode(v *value, loc location) *node {
	n := l.newNode(kindArray)
	if items := v.get("items"); items != nil {
		if items.kind == jsonArray {
			n.itemSchemas = []*node{}
			for i, item := range items.items {
				n.itemSchemas = append(n.itemSchemas, l.load(item, loc.child("items", strconv.Itoa(i))))
			}
		} else {
			n.allItems = l.load(items, loc.child("items"))
		}
	}
	if ai := v.get("additionalItems"); ai != nil {
		if ai.kind == jsonBool {
			n.noAdditionalItem = !ai.bool
		} else {
			n.additionalItems = l.load(ai, loc.child("additionalItems"))
		}
	}
	n.minItems = number(v.get("minItems"))
	n.maxItems = number(v.get("maxItems"))
	if u := v.get("uniqueItems"); u != nil && u.kind == jsonBool {
		n.uniqueItems = u.bool
	}
	// everit leaves these to its unprocessed properties, where Confluent's diff still reads them.
	n.minContains = number(v.get("minContains"))
	n.maxContains = number(v.get("maxContains"))
	return n
}

func (l *loader) objectNode(v *value, loc location) *node {
	n := l.newNode(kindObject)
	if props := v.get("properties"); props != nil && props.kind == jsonObject {
		n.properties = map[string]*node{}
		for i, k := range props.keys {
			n.properties[k] = l.load(props.vals[i], loc.child("properties", k))
		}
	}
	if pp := v.get("patternProperties"); pp != nil && pp.kind == jsonObject {
		for i, k := range pp.keys {
			n.patternProperties = append(n.patternProperties,
				l.patternProperty(k, pp.vals[i], loc.child("patternProperties", k)))
		}
	}
	if ap := v.get("additionalProperties"); ap != nil {
		if ap.kind == jsonBool {
			n.noAdditionalProps = !ap.bool
		} else {
			n.additionalProperties = l.load(ap, loc.child("additionalProperties"))
		}
	}
	if req := v.get("required"); req != nil && req.kind == jsonArray {
		n.required = map[string]bool{}
		for _, r := range req.items {
			if s, ok := r.str(); ok {
				n.required[s] = true
			}
		}
	}
	n.minProperties = number(v.get("minProperties"))
	n.maxProperties = number(v.get("maxProperties"))
	if deps := v.get("dependencies"); deps != nil && deps.kind == jsonObject {
		for i, k := range deps.keys {
			d := deps.vals[i]
			if d.kind == jsonArray {
				if n.propertyDeps == nil {
					n.propertyDeps = map[string]map[string]bool{}
				}
				set := map[string]bool{}
				for _, item := range d.items {
					if s, ok := item.str(); ok {
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

func (l *loader) patternProperty(pattern string, v *value, loc location) patternProperty {
	re, err := regexp.Compile(pattern)
	if err != nil {
		re = nil
	}
	return patternProperty{source: pattern, re: re, schema: l.load(v, loc)}
}
