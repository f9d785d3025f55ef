package jsonschema

import (
	"math/big"
	"regexp"
	"sort"

	"github.com/eventlens/eventlens/schemaregistry/javajson"
)

// kind is the class of a schema in Confluent's object model; the diff first compares kinds.
type kind uint8

const (
	kindEmpty kind = iota // {} and, in drafts 2019-09+, an object with no keyword the model reads
	kindTrue              // the boolean schema true; counts as empty
	kindFalse
	kindObject
	kindArray
	kindString
	kindNumber
	kindBoolean
	kindNull
	kindEnum
	kindConst
	kindCombined
	kindNot
	kindRef
	kindConditional
)

// node is one schema of the model. Only the fields of its kind are used.
type node struct {
	kind kind

	id, title, description *string
	defaultValue           *javajson.Value
	connectType            string

	// object
	properties           map[string]*node
	required             map[string]bool
	noAdditionalProps    bool
	additionalProperties *node
	patternProperties    []patternProperty
	propertyDeps         map[string]map[string]bool
	schemaDeps           map[string]*node
	maxProperties        *big.Rat
	minProperties        *big.Rat
	unevaluatedProps     *node

	// array
	allItems         *node
	itemSchemas      []*node
	noAdditionalItem bool
	additionalItems  *node
	maxItems         *big.Rat
	minItems         *big.Rat
	uniqueItems      bool
	maxContains      *big.Rat
	minContains      *big.Rat
	unevaluatedItems *node

	// string
	maxLength, minLength *big.Rat
	pattern              *string

	// number
	maximum, minimum           *big.Rat
	exclusiveMax, exclusiveMin *big.Rat
	multipleOf                 *big.Rat
	requiresInteger            bool

	// enum and const
	enumValues map[string]bool
	constValue string

	// combined: allOf, anyOf or oneOf
	criterion string
	subs      []*node
	generated bool // made by the 2019-09+ translation, not written as allOf/anyOf/oneOf

	// not
	not *node

	// $ref, resolved after loading; refLoc is where the target lives
	ref    *node
	refLoc location
}

type patternProperty struct {
	source string
	re     *regexp.Regexp // nil when Go cannot compile the pattern: it then matches nothing
	schema *node
}

func (n *node) isEmpty() bool { return n.kind == kindEmpty || n.kind == kindTrue }

func (n *node) permitsAdditionalProperties() bool { return !n.noAdditionalProps }

func (n *node) permitsAdditionalItems() bool { return !n.noAdditionalItem }

// mergeInto copies the keywords of src (same kind) into dst, as the 2019-09+ translation merges
// the partial schemas that single keywords produce.
func mergeInto(dst, src *node) {
	switch src.kind {
	case kindObject:
		for k, v := range src.properties {
			if dst.properties == nil {
				dst.properties = map[string]*node{}
			}
			dst.properties[k] = v
		}
		for k := range src.required {
			if dst.required == nil {
				dst.required = map[string]bool{}
			}
			dst.required[k] = true
		}
		if src.noAdditionalProps {
			dst.noAdditionalProps = true
		}
		if src.additionalProperties != nil {
			dst.additionalProperties = src.additionalProperties
		}
		dst.patternProperties = append(dst.patternProperties, src.patternProperties...)
		for k, v := range src.propertyDeps {
			if dst.propertyDeps == nil {
				dst.propertyDeps = map[string]map[string]bool{}
			}
			dst.propertyDeps[k] = v
		}
		for k, v := range src.schemaDeps {
			if dst.schemaDeps == nil {
				dst.schemaDeps = map[string]*node{}
			}
			dst.schemaDeps[k] = v
		}
		dst.maxProperties = orRat(src.maxProperties, dst.maxProperties)
		dst.minProperties = orRat(src.minProperties, dst.minProperties)
		if src.unevaluatedProps != nil {
			dst.unevaluatedProps = src.unevaluatedProps
		}
	case kindArray:
		if src.allItems != nil {
			dst.allItems = src.allItems
		}
		if src.itemSchemas != nil {
			dst.itemSchemas = src.itemSchemas
		}
		if src.noAdditionalItem {
			dst.noAdditionalItem = true
		}
		if src.additionalItems != nil {
			dst.additionalItems = src.additionalItems
		}
		dst.maxItems = orRat(src.maxItems, dst.maxItems)
		dst.minItems = orRat(src.minItems, dst.minItems)
		dst.uniqueItems = dst.uniqueItems || src.uniqueItems
		dst.maxContains = orRat(src.maxContains, dst.maxContains)
		dst.minContains = orRat(src.minContains, dst.minContains)
		if src.unevaluatedItems != nil {
			dst.unevaluatedItems = src.unevaluatedItems
		}
	case kindString:
		dst.maxLength = orRat(src.maxLength, dst.maxLength)
		dst.minLength = orRat(src.minLength, dst.minLength)
		if src.pattern != nil {
			dst.pattern = src.pattern
		}
	case kindNumber:
		dst.maximum = orRat(src.maximum, dst.maximum)
		dst.minimum = orRat(src.minimum, dst.minimum)
		dst.exclusiveMax = orRat(src.exclusiveMax, dst.exclusiveMax)
		dst.exclusiveMin = orRat(src.exclusiveMin, dst.exclusiveMin)
		dst.multipleOf = orRat(src.multipleOf, dst.multipleOf)
		dst.requiresInteger = dst.requiresInteger || src.requiresInteger
	}
}

func orRat(a, b *big.Rat) *big.Rat {
	if a != nil {
		return a
	}
	return b
}

// mergeable kinds are those whose partial schemas the translation folds into one.
func mergeable(k kind) bool {
	return k == kindObject || k == kindArray || k == kindString || k == kindNumber
}

// structuralKey identifies a subschema for collapsing duplicate members of a combined schema,
// as Confluent does by putting them in a set. Recursion stops at references.
func structuralKey(n *node) string {
	var b []byte
	var walk func(n *node, depth int)
	walk = func(n *node, depth int) {
		if n == nil {
			b = append(b, '-')
			return
		}
		if depth > 32 {
			b = append(b, '~')
			return
		}
		b = append(b, byte('A'+n.kind), '(')
		str := func(p *string) {
			if p != nil {
				b = append(b, *p...)
			}
			b = append(b, ',')
		}
		rat := func(r *big.Rat) {
			if r != nil {
				b = append(b, r.RatString()...)
			}
			b = append(b, ',')
		}
		str(n.id)
		str(n.title)
		str(n.description)
		if n.defaultValue != nil {
			b = append(b, valueKey(n.defaultValue)...)
		}
		b = append(b, ',')
		for _, k := range sortedKeys(n.properties) {
			b = append(b, k...)
			b = append(b, ':')
			walk(n.properties[k], depth+1)
		}
		for _, k := range sortedKeys(n.required) {
			b = append(b, k...)
			b = append(b, ';')
		}
		if n.noAdditionalProps || n.noAdditionalItem || n.uniqueItems || n.requiresInteger {
			b = append(b, '!')
		}
		walk(n.additionalProperties, depth+1)
		for _, p := range n.patternProperties {
			b = append(b, p.source...)
			walk(p.schema, depth+1)
		}
		for _, k := range sortedKeys(n.schemaDeps) {
			b = append(b, k...)
			walk(n.schemaDeps[k], depth+1)
		}
		for _, k := range sortedKeys(n.propertyDeps) {
			b = append(b, k...)
			b = append(b, sortedKeysString(n.propertyDeps[k])...)
		}
		for _, r := range []*big.Rat{n.maxProperties, n.minProperties, n.maxItems, n.minItems, n.maxContains,
			n.minContains, n.maxLength, n.minLength, n.maximum, n.minimum, n.exclusiveMax, n.exclusiveMin, n.multipleOf} {
			rat(r)
		}
		walk(n.unevaluatedProps, depth+1)
		walk(n.allItems, depth+1)
		for _, s := range n.itemSchemas {
			walk(s, depth+1)
		}
		walk(n.additionalItems, depth+1)
		walk(n.unevaluatedItems, depth+1)
		str(n.pattern)
		b = append(b, sortedKeysString(n.enumValues)...)
		b = append(b, n.constValue...)
		b = append(b, n.criterion...)
		for _, s := range n.subs {
			walk(s, depth+1)
		}
		walk(n.not, depth+1)
		b = append(b, n.refLoc.String()...)
		b = append(b, ')')
	}
	walk(n, 0)
	return string(b)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sortedKeysString(m map[string]bool) string {
	var b []byte
	for _, k := range sortedKeys(m) {
		b = append(b, k...)
		b = append(b, 0)
	}
	return string(b)
}

func ratOne() *big.Rat { return big.NewRat(1, 1) }
