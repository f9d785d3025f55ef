package jsonschema

import (
	"cmp"
	"math/big"
	"slices"
	"sort"
	"strings"

	"github.com/eventlens/eventlens/schemaregistry/javajson"
)

// Policy decides which kinds of change a backward compatibility check accepts.
type Policy int

const (
	// Strict is Confluent's default: adding or removing a property of an open content model
	// breaks compatibility.
	Strict Policy = iota
	// Lenient is Confluent's compatibilityPolicy LENIENT, which accepts those changes too.
	Lenient
)

// Change is one named difference between two versions of a schema.
type Change struct {
	Type string // Confluent's Difference.Type, e.g. PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL
	Path string // JSON pointer into the schemas, e.g. #/properties/x
	// in lists the properties the change is in, outermost first, under the root.
	in []property
	// at is Path in each schema; it differs where a schema lacks the property or item.
	at where
}

// where is a JSON pointer into each of the two schemas compared.
type where struct{ original, update string }

// lacking places each schema that lacks what a comparison enters (a property, an item) at at,
// the schema that would hold it; a schema already lacking something further out keeps its
// place.
func (w where) lacking(original, update bool, at string) where {
	if original && w.original == "" {
		w.original = at
	}
	if update && w.update == "" {
		w.update = at
	}
	return w
}

// property is a property being compared, with its schema on each side (nil on the side that
// lacks it); with no name it stands for the root.
type property struct {
	name             string
	original, update *node
}

// Field is the dotted name of the property the change is in, e.g. customer.id for
// #/properties/customer/properties/id; "" outside any property.
func (c Change) Field() string {
	var names []string
	for _, p := range c.in {
		if p.name != "" {
			names = append(names, p.name)
		}
	}
	return strings.Join(names, ".")
}

// Types are the types of the property the change is in (or of the root), as written, before
// and after; "" on the side that lacks the property.
func (c Change) Types() (original, update string) {
	if len(c.in) == 0 {
		return "", ""
	}
	p := c.in[len(c.in)-1]
	return written(p.original, 0), written(p.update, 0)
}

func (c Change) String() string { return c.Type + " " + c.Path }

var compatibleStrict = setOf(
	"ID_CHANGED", "DESCRIPTION_CHANGED", "TITLE_CHANGED", "DEFAULT_CHANGED", "SCHEMA_REMOVED", "TYPE_EXTENDED",
	"MAX_LENGTH_INCREASED", "MAX_LENGTH_REMOVED", "MIN_LENGTH_DECREASED", "MIN_LENGTH_REMOVED", "PATTERN_REMOVED",
	"MAXIMUM_INCREASED", "MAXIMUM_REMOVED", "MINIMUM_DECREASED", "MINIMUM_REMOVED",
	"EXCLUSIVE_MAXIMUM_INCREASED", "EXCLUSIVE_MAXIMUM_REMOVED", "EXCLUSIVE_MINIMUM_DECREASED",
	"EXCLUSIVE_MINIMUM_REMOVED", "MULTIPLE_OF_REDUCED", "MULTIPLE_OF_REMOVED",
	"REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED", "REQUIRED_ATTRIBUTE_REMOVED", "DEPENDENCY_ARRAY_NARROWED",
	"DEPENDENCY_ARRAY_REMOVED", "DEPENDENCY_SCHEMA_REMOVED", "MAX_PROPERTIES_INCREASED", "MAX_PROPERTIES_REMOVED",
	"MIN_PROPERTIES_DECREASED", "MIN_PROPERTIES_REMOVED", "ADDITIONAL_PROPERTIES_ADDED",
	"ADDITIONAL_PROPERTIES_EXTENDED", "UNEVALUATED_PROPERTIES_ADDED", "UNEVALUATED_PROPERTIES_EXTENDED",
	"PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
	"REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL", "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
	"PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL",
	"PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
	"PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
	"MAX_ITEMS_INCREASED", "MAX_ITEMS_REMOVED", "MIN_ITEMS_DECREASED", "MIN_ITEMS_REMOVED",
	"MAX_CONTAINS_INCREASED", "MAX_CONTAINS_REMOVED", "MIN_CONTAINS_DECREASED", "MIN_CONTAINS_REMOVED",
	"UNIQUE_ITEMS_REMOVED", "ADDITIONAL_ITEMS_ADDED", "ADDITIONAL_ITEMS_EXTENDED", "UNEVALUATED_ITEMS_ADDED",
	"UNEVALUATED_ITEMS_EXTENDED", "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
	"ITEM_ADDED_TO_CLOSED_CONTENT_MODEL", "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
	"ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL", "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
	"ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
	"ENUM_ARRAY_EXTENDED", "COMBINED_TYPE_EXTENDED", "PRODUCT_TYPE_NARROWED", "SUM_TYPE_EXTENDED",
	"NOT_TYPE_NARROWED",
)

var compatibleLenient = union(compatibleStrict, setOf(
	"ADDITIONAL_PROPERTIES_NARROWED", "ADDITIONAL_PROPERTIES_REMOVED", "UNEVALUATED_PROPERTIES_NARROWED",
	"UNEVALUATED_PROPERTIES_REMOVED", "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL",
	"OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
	"PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
	"PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
))

func setOf(types ...string) map[string]bool {
	m := make(map[string]bool, len(types))
	for _, t := range types {
		m[t] = true
	}
	return m
}

func union(a, b map[string]bool) map[string]bool {
	m := setOf()
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return m
}

// Compatible reports whether a change of type t keeps data written with the original schema
// readable with the update under policy p.
func (p Policy) Compatible(t string) bool {
	if p == Lenient {
		return compatibleLenient[t]
	}
	return compatibleStrict[t]
}

// Diff lists every change from original to update, compatible ones included, judging nested
// alternatives (oneOf members, partially open content models) under policy p as Confluent does.
// The changes come sorted by path and type.
func Diff(original, update *Schema, p Policy) []Change {
	changes := compare(p, original.root, update.root)
	sort.Slice(changes, func(i, j int) bool {
		if changes[i].Path != changes[j].Path {
			return changes[i].Path < changes[j].Path
		}
		return changes[i].Type < changes[j].Type
	})
	return changes
}

type pair struct{ original, update *node }

// diffRun is state shared by one whole comparison: results memoized by pair of nodes, the
// pairs being compared (a pair met again is a recursive cycle), and the pairs a previous pass
// found incompatible.
type diffRun struct {
	policy     Policy
	memo       map[pair][]Change
	inProgress map[pair]bool
	seed       map[pair][]Change
	optimistic bool
	steps      int
	exhausted  bool
	maxSteps   int
}

// maxSteps and maxDiffDepth bound the work and the recursion of one comparison; combined
// schemas compare every member with every member, which hostile schemas could otherwise make
// explosive. A comparison cut short reports tooComplex, which no policy accepts: the registry
// refuses what it could not check rather than pass it.
const (
	maxSteps     = 2_000_000
	maxDiffDepth = 10_000
	tooComplex   = "SCHEMA_TOO_COMPLEX_TO_COMPARE"
)

// compare mirrors Confluent's fixpoint: a recursive cycle is first assumed compatible, and
// passes repeat with the pairs found incompatible until the set of those stops growing.
func compare(p Policy, original, update *node) []Change {
	return compareBounded(p, original, update, maxSteps)
}

func compareBounded(p Policy, original, update *node, steps int) []Change {
	var seed map[pair][]Change
	for {
		run := &diffRun{policy: p, memo: map[pair][]Change{}, inProgress: map[pair]bool{}, seed: seed, maxSteps: steps}
		c := &diffContext{run: run, in: []property{{original: original, update: update}}}
		c.compare(original, update)
		incompatible := map[pair][]Change{}
		for k, v := range run.memo {
			if !run.allCompatible(v) {
				incompatible[k] = v
			}
		}
		if run.exhausted {
			return append(c.changes, Change{Type: tooComplex, Path: "#/", at: where{"#/", "#/"}})
		}
		if !run.optimistic || sameKeys(incompatible, seed) {
			return c.changes
		}
		seed = incompatible
	}
}

func sameKeys(a, b map[pair][]Change) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			return false
		}
	}
	return true
}

func (r *diffRun) allCompatible(changes []Change) bool {
	for _, c := range changes {
		if !r.policy.Compatible(c.Type) {
			return false
		}
	}
	return true
}

// diffContext collects changes under a path, inside properties.
type diffContext struct {
	run  *diffRun
	path []string
	// lacks is, for each schema, "" while it has all of path, else where in it is the schema
	// that would hold the property or item it lacks.
	lacks   where
	in      []property
	changes []Change
}

func (c *diffContext) sub() *diffContext {
	return &diffContext{run: c.run, path: append([]string(nil), c.path...), lacks: c.lacks, in: append([]property(nil), c.in...)}
}

func (c *diffContext) pathString() string { return "#/" + strings.Join(c.path, "/") }

func (c *diffContext) add(t string) {
	path := c.pathString()
	c.changes = append(c.changes, Change{Type: t, Path: path, in: slices.Clone(c.in),
		at: where{cmp.Or(c.lacks.original, path), cmp.Or(c.lacks.update, path)}})
}

func (c *diffContext) addAt(attr, t string) {
	c.enter(attr)
	c.add(t)
	c.leave()
}

func (c *diffContext) enter(p string) { c.path = append(c.path, p) }
func (c *diffContext) leave()         { c.path = c.path[:len(c.path)-1] }

// enterProperty enters the property name of the two objects, from their "properties" or
// "required"; it returns what leaveProperty restores. A schema lacking the property is located
// at its object.
func (c *diffContext) enterProperty(name string, original, update *node) (lacked where) {
	p := property{name: name, original: original.properties[name], update: update.properties[name]}
	lacked = c.lacks
	c.lacks = c.lacks.lacking(p.original == nil, p.update == nil, "#/"+strings.Join(c.path[:len(c.path)-1], "/"))
	c.enter(name)
	c.in = append(c.in, p)
	return lacked
}

func (c *diffContext) leaveProperty(lacked where) {
	c.leave()
	c.in = c.in[:len(c.in)-1]
	c.lacks = lacked
}

func (c *diffContext) compatible() bool { return c.run.allCompatible(c.changes) }

// addRebased adds changes computed relative to a pair under the current path.
func (c *diffContext) addRebased(rel []Change) {
	prefix := c.pathString()
	for _, ch := range rel {
		ch.Path = rebase(prefix, ch.Path)
		ch.at = where{cmp.Or(c.lacks.original, rebase(prefix, ch.at.original)), cmp.Or(c.lacks.update, rebase(prefix, ch.at.update))}
		ch.in = append(slices.Clone(c.in), ch.in...)
		c.changes = append(c.changes, ch)
	}
}

// rebase puts rel, a pointer relative to a pair, under prefix, the pointer to that pair.
func rebase(prefix, rel string) string {
	switch {
	case prefix == "#/":
		return rel
	case len(rel) <= 2:
		return prefix
	}
	return prefix + "/" + rel[2:]
}

func deref(n *node) *node {
	if n != nil && n.kind == kindRef {
		if n.ref == nil {
			return &node{kind: kindEmpty}
		}
		return n.ref
	}
	return n
}

func (c *diffContext) compare(original, update *node) {
	switch {
	case original == nil && update == nil:
		return
	case original == nil:
		c.add("SCHEMA_ADDED")
		return
	case update == nil:
		c.add("SCHEMA_REMOVED")
		return
	}
	original, update = deref(original), deref(update)
	c.addRebased(c.compareMemoized(original, update))
}

func (c *diffContext) compareMemoized(original, update *node) []Change {
	r := c.run
	key := pair{original, update}
	if cached, ok := r.memo[key]; ok {
		return cached
	}
	if r.inProgress[key] {
		if seeded, ok := r.seed[key]; ok {
			return seeded
		}
		r.optimistic = true
		return nil
	}
	r.steps++
	if r.steps > r.maxSteps || len(r.inProgress) > maxDiffDepth {
		r.exhausted = true
	}
	if r.exhausted {
		return nil
	}
	r.inProgress[key] = true
	sub := &diffContext{run: r}
	sub.compareTypes(original, update)
	delete(r.inProgress, key)
	r.memo[key] = sub.changes
	return sub.changes
}

func sameKind(a, b *node) bool { return a.kind == b.kind }

func (c *diffContext) compareTypes(original, update *node) {
	if original.kind != kindCombined && update.kind == kindCombined {
		if len(update.subs) == 1 {
			sub := c.sub()
			sub.compare(original, update.subs[0])
			if sub.compatible() {
				c.changes = append(c.changes, sub.changes...)
				return
			}
		} else if update.criterion == "anyOf" || update.criterion == "oneOf" {
			for _, s := range update.subs {
				sub := c.sub()
				sub.compare(original, s)
				if sub.compatible() {
					c.changes = append(c.changes, sub.changes...)
					c.add("SUM_TYPE_EXTENDED")
					return
				}
			}
		}
	} else if original.kind == kindCombined && update.kind != kindCombined {
		if len(original.subs) == 1 {
			sub := c.sub()
			sub.compare(original.subs[0], update)
			if sub.compatible() {
				c.changes = append(c.changes, sub.changes...)
				return
			}
		} else if original.criterion == "allOf" {
			for _, s := range original.subs {
				sub := c.sub()
				sub.compare(s, update)
				if sub.compatible() {
					c.changes = append(c.changes, sub.changes...)
					c.add("PRODUCT_TYPE_NARROWED")
					return
				}
			}
		}
	}

	if !sameKind(original, update) {
		if original.kind == kindFalse || update.isEmpty() {
			return
		}
		// Kafka Connect marks its bytes as connect.type=bytes under different JSON types;
		// Confluent treats them as one type so a fix to decimal conversion stays compatible.
		if original.connectType == "bytes" && update.connectType == "bytes" {
			return
		}
		c.add("TYPE_CHANGED")
		return
	}

	if !equalStrings(original.id, update.id) {
		c.add("ID_CHANGED")
	}
	if !equalStrings(original.title, update.title) {
		c.add("TITLE_CHANGED")
	}
	if !equalStrings(original.description, update.description) {
		c.add("DESCRIPTION_CHANGED")
	}
	if !equalValues(original.defaultValue, update.defaultValue) {
		c.add("DEFAULT_CHANGED")
	}

	switch original.kind {
	case kindString:
		c.compareString(original, update)
	case kindNumber:
		c.compareNumber(original, update)
	case kindConst:
		if original.constValue != update.constValue {
			c.addAt("const", "ENUM_ARRAY_CHANGED")
		}
	case kindEnum:
		c.compareEnum(original, update)
	case kindCombined:
		c.compareCombined(original, update)
	case kindNot:
		c.enter("not")
		sub := c.sub()
		// not inverts the direction: the update's excluded values must be excluded before.
		sub.compare(update.not, original.not)
		if sub.compatible() {
			c.add("NOT_TYPE_NARROWED")
		} else {
			c.add("NOT_TYPE_EXTENDED")
		}
		c.leave()
	case kindObject:
		c.compareObject(original, update)
	case kindArray:
		c.compareArray(original, update)
	}
}

func equalStrings(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func equalValues(a, b *javajson.Value) bool {
	if a == nil || b == nil {
		return a == b
	}
	return valueKey(a) == valueKey(b)
}

// compareLimit names the change of a numeric keyword, e.g. MAX_LENGTH_INCREASED.
func (c *diffContext) compareLimit(attr, prefix string, original, update *big.Rat) {
	switch {
	case original == nil && update == nil:
	case original == nil:
		c.addAt(attr, prefix+"_ADDED")
	case update == nil:
		c.addAt(attr, prefix+"_REMOVED")
	case original.Cmp(update) < 0:
		c.addAt(attr, prefix+"_INCREASED")
	case original.Cmp(update) > 0:
		c.addAt(attr, prefix+"_DECREASED")
	}
}

func (c *diffContext) compareString(original, update *node) {
	c.compareLimit("maxLength", "MAX_LENGTH", original.maxLength, update.maxLength)
	c.compareLimit("minLength", "MIN_LENGTH", original.minLength, update.minLength)
	switch {
	case original.pattern == nil && update.pattern != nil:
		c.addAt("pattern", "PATTERN_ADDED")
	case original.pattern != nil && update.pattern == nil:
		c.addAt("pattern", "PATTERN_REMOVED")
	case original.pattern != nil && *original.pattern != *update.pattern:
		c.addAt("pattern", "PATTERN_CHANGED")
	}
}

func (c *diffContext) compareNumber(original, update *node) {
	c.compareLimit("maximum", "MAXIMUM", original.maximum, update.maximum)
	c.compareLimit("minimum", "MINIMUM", original.minimum, update.minimum)
	c.compareLimit("exclusiveMaximum", "EXCLUSIVE_MAXIMUM", original.exclusiveMax, update.exclusiveMax)
	c.compareLimit("exclusiveMinimum", "EXCLUSIVE_MINIMUM", original.exclusiveMin, update.exclusiveMin)
	o, u := original.multipleOf, update.multipleOf
	switch {
	case o == nil && u == nil:
	case o == nil:
		c.addAt("multipleOf", "MULTIPLE_OF_ADDED")
	case u == nil:
		c.addAt("multipleOf", "MULTIPLE_OF_REMOVED")
	case o.Cmp(u) == 0:
	case o.Sign() != 0 && isInteger(new(big.Rat).Quo(u, o)):
		c.addAt("multipleOf", "MULTIPLE_OF_EXPANDED")
	case u.Sign() != 0 && isInteger(new(big.Rat).Quo(o, u)):
		c.addAt("multipleOf", "MULTIPLE_OF_REDUCED")
	default:
		c.addAt("multipleOf", "MULTIPLE_OF_CHANGED")
	}
	if original.requiresInteger != update.requiresInteger {
		if original.requiresInteger {
			c.add("TYPE_EXTENDED")
		} else {
			c.add("TYPE_NARROWED")
		}
	}
}

func isInteger(r *big.Rat) bool { return r.IsInt() }

func (c *diffContext) compareEnum(original, update *node) {
	if sameSet(original.enumValues, update.enumValues) {
		return
	}
	switch {
	case subset(original.enumValues, update.enumValues):
		c.addAt("enum", "ENUM_ARRAY_EXTENDED")
	case subset(update.enumValues, original.enumValues):
		c.addAt("enum", "ENUM_ARRAY_NARROWED")
	default:
		c.addAt("enum", "ENUM_ARRAY_CHANGED")
	}
}

func sameSet(a, b map[string]bool) bool { return len(a) == len(b) && subset(a, b) }

func subset(a, b map[string]bool) bool {
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

func (c *diffContext) compareCombined(original, update *node) {
	switch {
	case original.criterion == update.criterion:
	case update.criterion == "anyOf",
		len(original.subs) == 1 && len(update.subs) == 1,
		len(original.subs) == 1 && update.criterion == "oneOf",
		len(update.subs) == 1 && original.criterion == "allOf":
		c.add("COMBINED_TYPE_EXTENDED")
	default:
		c.add("COMBINED_TYPE_CHANGED")
		return
	}
	originals, updates := distinct(original.subs), distinct(update.subs)
	switch {
	case len(originals) < len(updates):
		if update.criterion == "allOf" {
			c.add("PRODUCT_TYPE_EXTENDED")
		} else {
			c.add("SUM_TYPE_EXTENDED")
		}
	case len(originals) > len(updates):
		if original.criterion == "allOf" {
			c.add("PRODUCT_TYPE_NARROWED")
		} else {
			c.add("SUM_TYPE_NARROWED")
		}
	}
	// compatible[i][j] holds the changes when original member i can be read as update member j.
	compatible := make([][][]Change, len(originals))
	for i, o := range originals {
		compatible[i] = make([][]Change, len(updates))
		c.enter(original.criterion + "/" + itoa(i))
		for j, u := range updates {
			sub := c.sub()
			sub.compare(o, u)
			if sub.compatible() {
				compatible[i][j] = append([]Change{}, sub.changes...)
			}
		}
		c.leave()
	}
	matched := maximumMatching(compatible, len(updates))
	for i, j := range matched {
		if j >= 0 {
			c.changes = append(c.changes, compatible[i][j]...)
		}
	}
	if count(matched) < min(len(originals), len(updates)) {
		c.add("COMBINED_TYPE_SUBSCHEMAS_CHANGED")
	}
}

// distinct drops members that are structurally equal to an earlier one, as Confluent's set of
// members does.
func distinct(subs []*node) []*node {
	seen := map[string]bool{}
	var out []*node
	for _, s := range subs {
		k := structuralKey(s)
		if !seen[k] {
			seen[k] = true
			out = append(out, s)
		}
	}
	return out
}

// maximumMatching pairs original members with update members along compatible edges
// (augmenting paths); it returns, for each original member, its update member or -1.
func maximumMatching(edges [][][]Change, nUpdates int) []int {
	matchOfUpdate := make([]int, nUpdates)
	for j := range matchOfUpdate {
		matchOfUpdate[j] = -1
	}
	var try func(i int, seen []bool) bool
	try = func(i int, seen []bool) bool {
		for j := 0; j < nUpdates; j++ {
			if edges[i][j] == nil || seen[j] {
				continue
			}
			seen[j] = true
			if matchOfUpdate[j] < 0 || try(matchOfUpdate[j], seen) {
				matchOfUpdate[j] = i
				return true
			}
		}
		return false
	}
	for i := range edges {
		try(i, make([]bool, nUpdates))
	}
	matched := make([]int, len(edges))
	for i := range matched {
		matched[i] = -1
	}
	for j, i := range matchOfUpdate {
		if i >= 0 {
			matched[i] = j
		}
	}
	return matched
}

func count(matched []int) int {
	n := 0
	for _, j := range matched {
		if j >= 0 {
			n++
		}
	}
	return n
}

func itoa(i int) string { return big.NewInt(int64(i)).String() }
