package jsonschema

import (
	"strconv"

	"github.com/eventlens/eventlens/schemaregistry/javajson"
)

// loadModern reads drafts 2019-09 and 2020-12 as Confluent does: json-sKema turns each keyword
// into a schema of its own, and Confluent's translation folds those into its older object
// model, merging keywords of the same type (properties and required into one object schema)
// and combining the rest in a generated allOf. The result differs from the older drafts'
// reading in ways Confluent's answers show: "$id" is not compared, and an object with no
// keyword the model reads (such as {"properties": {}}) is the empty schema.
func (l *loader) loadModern(v *javajson.Value, loc location) *node {
	var acc *node
	add := func(part *node) {
		if acc == nil {
			acc = part
		} else {
			acc = l.join(acc, part)
		}
	}
	object := func() *node { return l.newNode(kindObject) }
	array := func() *node { return l.newNode(kindArray) }
	prefixCount := 0
	if p := v.Get("prefixItems"); p != nil {
		prefixCount = len(p.Items())
	}
	conditional := false
	for _, m := range v.Members() {
		key, kv := m.Key, m.Value
		switch key {
		case "$ref", "$dynamicRef", "$recursiveRef":
			add(l.refNode(loc))
		case "type":
			if kv.Kind() == javajson.Array {
				n := l.newNode(kindCombined)
				n.criterion, n.generated = "anyOf", true
				for _, item := range kv.Items() {
					name, _ := item.Text()
					n.subs = append(n.subs, l.bareType(name))
				}
				add(n)
			} else {
				name, _ := kv.Text()
				add(l.bareType(name))
			}
		case "enum":
			add(l.enumNode(kv))
		case "const":
			n := l.newNode(kindConst)
			n.constValue = valueKey(kv)
			add(n)
		case "not":
			n := l.newNode(kindNot)
			n.not = l.load(kv, loc.child("not"))
			add(n)
		case "allOf", "anyOf", "oneOf":
			n := l.newNode(kindCombined)
			n.criterion = key
			for j, item := range kv.Items() {
				n.subs = append(n.subs, flatten(l.load(item, loc.child(key, strconv.Itoa(j))))...)
			}
			add(n)
		case "properties":
			for _, p := range kv.Members() {
				n := object()
				n.properties = map[string]*node{p.Key: l.load(p.Value, loc.child(key, p.Key))}
				add(n)
			}
		case "patternProperties":
			for _, p := range kv.Members() {
				n := object()
				n.patternProperties = []patternProperty{l.patternProperty(p.Key, p.Value, loc.child(key, p.Key))}
				add(n)
			}
		case "additionalProperties":
			n := object()
			switch s := l.load(kv, loc.child(key)); s.kind {
			case kindFalse:
				n.noAdditionalProps = true
			case kindTrue:
			default:
				n.additionalProperties = s
			}
			add(n)
		case "required":
			n := object()
			n.required = map[string]bool{}
			for _, r := range kv.Items() {
				if s, ok := r.Text(); ok {
					n.required[s] = true
				}
			}
			add(n)
		case "dependentRequired":
			n := object()
			n.propertyDeps = map[string]map[string]bool{}
			for _, dep := range kv.Members() {
				set := map[string]bool{}
				for _, item := range dep.Value.Items() {
					if s, ok := item.Text(); ok {
						set[s] = true
					}
				}
				n.propertyDeps[dep.Key] = set
			}
			add(n)
		case "dependentSchemas":
			n := object()
			n.schemaDeps = map[string]*node{}
			for _, dep := range kv.Members() {
				n.schemaDeps[dep.Key] = l.load(dep.Value, loc.child(key, dep.Key))
			}
			add(n)
		case "maxProperties", "minProperties", "propertyNames":
			n := object()
			n.maxProperties = number(v.Get("maxProperties"))
			n.minProperties = number(v.Get("minProperties"))
			add(n)
		case "unevaluatedProperties":
			n := object()
			n.unevaluatedProps = l.load(kv, loc.child(key))
			add(n)
		case "prefixItems":
			n := array()
			n.itemSchemas = []*node{}
			for j, item := range kv.Items() {
				n.itemSchemas = append(n.itemSchemas, l.load(item, loc.child(key, strconv.Itoa(j))))
			}
			add(n)
		case "items":
			n := array()
			if kv.Kind() == javajson.Array { // 2019-09: a list of items is 2020-12's prefixItems
				n.itemSchemas = []*node{}
				for j, item := range kv.Items() {
					n.itemSchemas = append(n.itemSchemas, l.load(item, loc.child(key, strconv.Itoa(j))))
				}
			} else {
				l.itemsRest(n, l.load(kv, loc.child(key)), prefixCount)
			}
			add(n)
		case "additionalItems":
			if items := v.Get("items"); items != nil && items.Kind() == javajson.Array {
				n := array()
				l.itemsRest(n, l.load(kv, loc.child(key)), len(items.Items()))
				add(n)
			}
		case "contains":
			n := array()
			n.minContains = number(v.Get("minContains"))
			if n.minContains == nil {
				n.minContains = ratOne()
			}
			n.maxContains = number(v.Get("maxContains"))
			add(n)
		case "minItems", "maxItems", "uniqueItems":
			n := array()
			n.minItems = number(v.Get("minItems"))
			n.maxItems = number(v.Get("maxItems"))
			if u, ok := v.Get("uniqueItems").Bool(); ok {
				n.uniqueItems = u
			}
			add(n)
		case "unevaluatedItems":
			n := array()
			n.unevaluatedItems = l.load(kv, loc.child(key))
			add(n)
		case "minLength", "maxLength", "pattern":
			add(l.stringNode(v))
		case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf":
			add(l.numberNode(v))
		case "if", "then", "else":
			if !conditional {
				conditional = true
				add(l.newNode(kindConditional))
			}
		}
	}
	if acc == nil {
		acc = l.newNode(kindEmpty)
	} else if acc.kind == kindCombined && acc.generated && acc.criterion == "allOf" && len(acc.subs) == 1 {
		acc = acc.subs[0]
	}
	l.setCommon(acc, v, false)
	return acc
}

// itemsRest reads the schema that items after the listed ones must match.
func (l *loader) itemsRest(n, s *node, prefixCount int) {
	switch {
	case s.kind == kindFalse:
		n.noAdditionalItem = true
	case s.kind == kindTrue:
	case prefixCount == 0:
		n.allItems = s
	default:
		n.additionalItems = s
	}
}

func (l *loader) bareType(name string) *node {
	switch name {
	case "string":
		return l.newNode(kindString)
	case "integer":
		n := l.newNode(kindNumber)
		n.requiresInteger = true
		return n
	case "number":
		return l.newNode(kindNumber)
	case "boolean":
		return l.newNode(kindBoolean)
	case "null":
		return l.newNode(kindNull)
	case "array":
		return l.newNode(kindArray)
	case "object":
		return l.newNode(kindObject)
	}
	return l.newNode(kindEmpty)
}

func isGenerated(n *node, criterion string) bool {
	return n.kind == kindCombined && n.generated && n.criterion == criterion
}

// flatten unwraps a generated allOf into its members.
func flatten(n *node) []*node {
	if isGenerated(n, "allOf") {
		return n.subs
	}
	return []*node{n}
}

func containsKind(combined, n *node) bool {
	for _, s := range combined.subs {
		if s.kind == n.kind {
			return true
		}
	}
	return false
}

// join folds the schema of one more keyword into what the earlier keywords of the same object
// produced.
func (l *loader) join(acc, cur *node) *node {
	switch {
	case acc.kind == cur.kind && mergeable(acc.kind):
		merged := *acc
		mergeInto(&merged, cur)
		return &merged
	case isGenerated(acc, "anyOf") && containsKind(acc, cur):
		n := l.newNode(kindCombined)
		n.criterion, n.generated = "anyOf", true
		n.subs = accumulate(append([]*node(nil), acc.subs...), cur)
		return n
	case isGenerated(cur, "anyOf") && containsKind(cur, acc):
		n := l.newNode(kindCombined)
		n.criterion, n.generated = "anyOf", true
		n.subs = accumulate(append([]*node(nil), cur.subs...), acc)
		return n
	}
	n := l.newNode(kindCombined)
	n.criterion, n.generated = "allOf", true
	for _, s := range append(append([]*node(nil), flatten(acc)...), flatten(cur)...) {
		n.subs = accumulate(n.subs, s)
	}
	return n
}

// accumulate adds cur to a list of schemas, merging it into the first one of its kind.
func accumulate(list []*node, cur *node) []*node {
	for i, s := range list {
		if s.kind == cur.kind && mergeable(s.kind) {
			merged := *s
			mergeInto(&merged, cur)
			list[i] = &merged
			return list
		}
	}
	return append(list, cur)
}
