package avro

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/eventlens/eventlens/schemaregistry/format"
	"github.com/eventlens/eventlens/schemaregistry/javajson"
)

// Kinds of change between two versions of an Avro schema. Java Avro and Confluent name only
// the incompatibilities; these name every change, in the style of Confluent's JSON Schema and
// Protobuf diffs.
const (
	FieldAdded         = "FIELD_ADDED"
	FieldRemoved       = "FIELD_REMOVED"
	FieldRenamed       = "FIELD_RENAMED" // the new field reads the old one through an alias
	TypeChanged        = "TYPE_CHANGED"
	DefaultAdded       = "DEFAULT_ADDED"
	DefaultChanged     = "DEFAULT_CHANGED"
	DefaultRemoved     = "DEFAULT_REMOVED"
	DocChanged         = "DOC_CHANGED"
	AliasesChanged     = "ALIASES_CHANGED"
	OrderChanged       = "ORDER_CHANGED"
	EnumSymbolsAdded   = "ENUM_SYMBOLS_ADDED"
	EnumSymbolsRemoved = "ENUM_SYMBOLS_REMOVED"
	EnumDefaultChanged = "ENUM_DEFAULT_CHANGED"
	FixedSizeChanged   = "FIXED_SIZE_CHANGED"
	NameChanged        = "NAME_CHANGED"
	NamespaceChanged   = "NAMESPACE_CHANGED"
)

// Change is one difference between two versions of an Avro schema, compatible or not.
type Change struct {
	Type string // one of the kinds above
	Path string // JSON pointer into the new schema; into the old one for a removed field
	// Field is the dotted name of the field the change is at, as format.Difference names it
	// ("OrderPlaced.couponCode"); a change to the root type itself is named by that type's
	// name ("OrderPlaced"). OldType and NewType are that field's types as written.
	Field            string
	OldType, NewType string
	// Old and New are what changed, before and after, as written: a default or a doc as JSON,
	// a name, aliases or symbols, a size; "" where that side has none.
	Old, New string
	// BreaksBackward tells that the compatibility check finds this change keeps the new
	// version from reading data written with the old; BreaksForward, the old from reading
	// data written with the new.
	BreaksBackward, BreaksForward bool

	of             string // what changed: "field", or the named type's kind
	newKey, oldKey string // Field in the words of each schema, "" at the root, as the check names it
	// keepsOld and keepsNew tell, for a union's type change, that every branch of that side
	// continues into a branch of the other.
	keepsOld, keepsNew bool
}

// Diff lists every change from original to update: the named types' names, docs and aliases,
// each record's fields (added, removed, renamed through an alias, their types, defaults, docs,
// aliases and order), nested types in place, enum symbols and fixed sizes. A named type used
// in several places is compared where it is first met, as the compatibility check does. Each
// change is marked with the directions in which the check finds it breaks.
func Diff(original, update *Schema) []Change {
	changes, _ := diff(original, update)
	return changes
}

// diff is Diff, with the incompatibilities it could pin on no change.
func diff(original, update *Schema) ([]Change, []format.Difference) {
	d := differ{seen: map[[2]*node]bool{}}
	d.types(place{oldType: original.root, newType: update.root}, original.root, update.root)
	unexplained := d.mark(update.BackwardIncompatibilities(original), backward)
	unexplained = append(unexplained, d.mark(original.BackwardIncompatibilities(update), forward)...)
	return d.changes, unexplained
}

// Message says what changed in words, the way a reviewer reads a schema change.
func (c Change) Message() string {
	of := strings.ToUpper(c.of[:1]) + c.of[1:]
	switch c.Type {
	case FieldAdded:
		return "Field added: " + c.NewType + ", " + defaultWords(c.New)
	case FieldRemoved:
		return "Field removed: " + c.OldType + ", " + defaultWords(c.Old)
	case FieldRenamed:
		return "Field renamed: " + c.Old + " → " + c.New
	case TypeChanged:
		return "Type changed: " + c.Old + " → " + c.New
	case DefaultAdded:
		return "Default added: " + c.New
	case DefaultChanged:
		return "Default changed: " + c.Old + " → " + c.New
	case DefaultRemoved:
		return "Default removed (was " + c.Old + ")"
	case DocChanged:
		switch {
		case c.Old == "":
			return of + " doc added: " + c.New
		case c.New == "":
			return of + " doc removed (was " + c.Old + ")"
		}
		return of + " doc changed: " + c.Old + " → " + c.New
	case AliasesChanged:
		return of + " aliases changed: " + orNone(c.Old) + " → " + orNone(c.New)
	case OrderChanged:
		return "Sort order changed: " + c.Old + " → " + c.New
	case EnumSymbolsAdded:
		return "Enum symbols added: " + c.New
	case EnumSymbolsRemoved:
		return "Enum symbols removed: " + c.Old
	case EnumDefaultChanged:
		return "Enum default changed: " + orNone(c.Old) + " → " + orNone(c.New)
	case FixedSizeChanged:
		return "Fixed size changed: " + c.Old + " → " + c.New
	case NameChanged:
		return of + " renamed: " + c.Old + " → " + c.New
	case NamespaceChanged:
		return of + " namespace changed: " + orNone(c.Old) + " → " + orNone(c.New)
	}
	return c.Type
}

func defaultWords(def string) string {
	if def == "" {
		return "no default"
	}
	return "default " + def
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// place is where a comparison stands in the two schemas.
type place struct {
	oldPath, newPath string // JSON pointers
	oldKey, newKey   string // dotted field names in each schema's words, "" above the first field
	oldType, newType *node  // the innermost field's types (the roots' above any field), nil where it lacks
	name             string // what names a change above the first field: the named type met there
}

// at is the place one step down, token in each schema.
func (p place) at(oldToken, newToken string) place {
	p.oldPath += "/" + pointerEscaper.Replace(oldToken)
	p.newPath += "/" + pointerEscaper.Replace(newToken)
	return p
}

type differ struct {
	changes []Change
	seen    map[[2]*node]bool // pairs of named types compared already
}

// add records a change at p, at token below it in the new schema, and returns it.
func (d *differ) add(p place, typ, of, token, old, new string) *Change {
	c := Change{Type: typ, Path: p.newPath + "/" + token, Field: cmp.Or(p.newKey, p.name), OldType: written(p.oldType), NewType: written(p.newType),
		Old: old, New: new, of: of, newKey: p.newKey, oldKey: p.oldKey}
	if token == "" {
		c.Path = p.newPath
	}
	if c.Path == "" {
		c.Path = "/"
	}
	d.changes = append(d.changes, c)
	return &d.changes[len(d.changes)-1]
}

// types compares the types found at p in the two schemas.
func (d *differ) types(p place, o, n *node) {
	switch {
	case o.named() && n.named() && o.kind() == n.kind():
		d.named(p, o, n)
	case o.typ == "array" && n.typ == "array":
		d.types(p.at("items", "items"), o.items, n.items)
	case o.typ == "map" && n.typ == "map":
		d.types(p.at("values", "values"), o.items, n.items)
	case o.typ == "union" || n.typ == "union":
		old, new := branches(o), branches(n)
		pairs := pairBranches(old, new)
		// Each side keeps its branches when every one continues into a branch of the other of
		// the same type, or of a named type compared on its own (whose name may change).
		keepsOld, keepsNew := len(pairs) == len(old), len(pairs) == len(new)
		reordered := false
		for k, pair := range pairs {
			if writtenApart(old[pair[0]], new[pair[1]]) {
				keepsOld, keepsNew = false, false
			}
			reordered = reordered || k > 0 && pair[0] < pairs[k-1][0]
		}
		if o.typ != n.typ || !keepsOld || !keepsNew || reordered {
			d.typeChanged(p, o, n, keepsOld, keepsNew)
		}
		for _, pair := range pairs {
			ob, nb := old[pair[0]], new[pair[1]]
			if writtenApart(ob, nb) {
				continue // the type change says it in full
			}
			q := p
			if o.typ == "union" {
				q.oldPath += "/" + indexToken(pair[0])
			}
			if n.typ == "union" {
				q.newPath += "/" + indexToken(pair[1])
			}
			d.types(q, ob, nb)
		}
	case o.kind() != n.kind() || written(o) != written(n):
		d.typeChanged(p, o, n, false, false)
	}
}

// typeChanged records that the type at p changed from o to n, in the words of the field's
// types (which show an array's items and a union's branches), or more fully where those read
// alike: a record and an enum both named Status, a union of one type and that type.
func (d *differ) typeChanged(p place, o, n *node, keepsOld, keepsNew bool) {
	old, new := written(p.oldType), written(p.newType)
	if old == new || old == "" || new == "" {
		old, new = spelled(o), spelled(n)
	}
	c := d.add(p, TypeChanged, "field", "", old, new)
	c.keepsOld, c.keepsNew = keepsOld, keepsNew
}

// writtenApart tells that two paired branches differ in how they are written, in full, which
// their union's type change then says; named types are written by name and compared apart.
func writtenApart(o, n *node) bool {
	return !(o.named() && n.named()) && written(o) != written(n)
}

// spelled is a type written with its kind where its name alone could mislead.
func spelled(n *node) string {
	switch {
	case n.typ == "union" && len(n.branches) == 0:
		return "empty union"
	case n.typ == "union":
		return "union of " + written(n)
	case n.named():
		return n.kind() + " " + written(n)
	}
	return written(n)
}

// branches are a union's branches, or the type itself when it is not a union.
func branches(n *node) []*node {
	if n.typ == "union" {
		return n.branches
	}
	return []*node{n}
}

// pairBranches pairs each new branch with the old branch it continues, as indexes: first the
// same type (named types by full name), then a named type by its simple name or an alias, or
// as the only one left of its kind (a rename).
func pairBranches(old, new []*node) [][2]int {
	var pairs [][2]int
	usedOld, usedNew := make([]bool, len(old)), make([]bool, len(new))
	match := func(same func(o, n *node) bool) {
		for j, nb := range new {
			for i, ob := range old {
				if !usedOld[i] && !usedNew[j] && same(ob, nb) {
					usedOld[i], usedNew[j] = true, true
					pairs = append(pairs, [2]int{i, j})
				}
			}
		}
	}
	match(func(o, n *node) bool {
		if o.named() || n.named() {
			return o.named() && n.named() && o.fullName() == n.fullName()
		}
		return o.typ == n.typ
	})
	match(func(o, n *node) bool {
		return o.named() && n.named() && o.kind() == n.kind() &&
			(o.name == n.name || slices.Contains(n.aliases, o.fullName()) || slices.Contains(o.aliases, n.fullName()))
	})
	match(func(o, n *node) bool {
		return o.named() && n.named() && o.kind() == n.kind() && only(old, usedOld, o) && only(new, usedNew, n)
	})
	slices.SortFunc(pairs, func(a, b [2]int) int { return a[1] - b[1] })
	return pairs
}

// only tells whether t is the one branch of its kind not yet paired.
func only(branches []*node, used []bool, t *node) bool {
	n := 0
	for i, b := range branches {
		if !used[i] && b.named() && b.kind() == t.kind() {
			n++
		}
	}
	return n == 1
}

// named compares two named types of the same kind met at p.
func (d *differ) named(p place, o, n *node) {
	if d.seen[[2]*node{o, n}] {
		return
	}
	d.seen[[2]*node{o, n}] = true
	if p.newKey == "" {
		p.name = n.name
	}
	of := n.kind()
	switch {
	case o.name != n.name:
		d.add(p, NameChanged, of, "name", o.fullName(), n.fullName())
	case o.space != n.space:
		d.add(p, NamespaceChanged, of, "namespace", o.space, n.space)
	}
	d.doc(p, of, jsonText(o.doc), jsonText(n.doc))
	if !slices.Equal(o.aliases, n.aliases) {
		d.add(p, AliasesChanged, of, "aliases", list(o.aliases), list(n.aliases))
	}
	switch of {
	case "record":
		d.fields(p, o, n)
	case "enum":
		if added := missing(o.symbols, n.symbols); added != "" {
			d.add(p, EnumSymbolsAdded, of, "symbols", "", added)
		}
		if removed := missing(n.symbols, o.symbols); removed != "" {
			d.add(p, EnumSymbolsRemoved, of, "symbols", removed, "")
		}
		if old, new := deref(o.enumDefault), deref(n.enumDefault); old != new {
			d.add(p, EnumDefaultChanged, of, "default", old, new)
		}
	case "fixed":
		if o.size != n.size {
			d.add(p, FixedSizeChanged, of, "size", strconv.Itoa(o.size), strconv.Itoa(n.size))
		}
	}
}

func (d *differ) doc(p place, of, old, new string) {
	if old != new {
		d.add(p, DocChanged, of, "doc", old, new)
	}
}

// fields compares the fields of two records met at p: each new field with the old field it
// reads, then the old fields no new field reads.
func (d *differ) fields(p place, o, n *node) {
	oldParent, newParent := p.oldKey, p.newKey
	if newParent == "" { // the first record down names the fields in it, as the check does
		oldParent, newParent = o.name, n.name
	}
	continues := counterparts(o, n)
	for _, nf := range n.fields {
		q := place{newPath: p.newPath + "/fields/" + nf.posToken, newKey: newParent + "." + nf.name, newType: nf.typ}
		of := continues[nf]
		if of == nil {
			q.oldKey = oldParent + "." + nf.name
			d.add(q, FieldAdded, "field", "", "", jsonText(nf.def))
			continue
		}
		q.oldPath, q.oldKey, q.oldType = p.oldPath+"/fields/"+of.posToken, oldParent+"."+of.name, of.typ
		if of.name != nf.name {
			d.add(q, FieldRenamed, "field", "name", of.name, nf.name)
		}
		switch old, new := jsonText(of.def), jsonText(nf.def); {
		case old == new:
		case old == "":
			d.add(q, DefaultAdded, "field", "default", old, new)
		case new == "":
			d.add(q, DefaultRemoved, "field", "default", old, new)
		default:
			d.add(q, DefaultChanged, "field", "default", old, new)
		}
		d.doc(q, "field", jsonText(of.doc), jsonText(nf.doc))
		if !slices.Equal(of.aliases, nf.aliases) {
			d.add(q, AliasesChanged, "field", "aliases", list(of.aliases), list(nf.aliases))
		}
		if of.order != nf.order {
			d.add(q, OrderChanged, "field", "order", of.order, nf.order)
		}
		d.types(q.at("type", "type"), of.typ, nf.typ)
	}
	read := map[*field]bool{}
	for _, of := range continues {
		read[of] = true
	}
	for _, of := range o.fields {
		if read[of] {
			continue
		}
		q := place{oldPath: p.oldPath + "/fields/" + of.posToken, newPath: p.oldPath + "/fields/" + of.posToken,
			oldKey: oldParent + "." + of.name, newKey: newParent + "." + of.name, oldType: of.typ}
		d.add(q, FieldRemoved, "field", "", jsonText(of.def), "")
	}
}

// counterparts finds the old field each new field continues: the one of its name, else one
// its aliases name (as a reader of new data finds the field), else one whose aliases name it
// (as a reader of old data finds it). An old field continues into one new field at most.
func counterparts(o, n *node) map[*field]*field {
	out := map[*field]*field{}
	taken := map[*field]bool{}
	pair := func(find func(nf *field) *field) {
		for _, nf := range n.fields {
			if out[nf] != nil {
				continue
			}
			if of := find(nf); of != nil && !taken[of] {
				out[nf], taken[of] = of, true
			}
		}
	}
	pair(func(nf *field) *field { return o.fieldIndex[nf.name] })
	pair(func(nf *field) *field {
		for _, a := range nf.aliases {
			if of := o.fieldIndex[a]; of != nil && !taken[of] {
				return of
			}
		}
		return nil
	})
	pair(func(nf *field) *field {
		for _, of := range o.fields {
			if !taken[of] && slices.Contains(of.aliases, nf.name) {
				return of
			}
		}
		return nil
	})
	return out
}

// missing lists, comma-separated, the symbols of b that a lacks.
func missing(a, b []string) string {
	var out []string
	for _, s := range b {
		if !slices.Contains(a, s) {
			out = append(out, s)
		}
	}
	return strings.Join(out, ", ")
}

// jsonText is a default or a doc as JSON, "" for none.
func jsonText(v *javajson.Value) string {
	if v == nil {
		return ""
	}
	return v.Compact(avroJSON)
}

func list(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return "[" + strings.Join(names, ", ") + "]"
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Directions of a compatibility check, as indexes into causes.
const (
	backward = iota // the new schema reads data written with the old
	forward         // the old schema reads data written with the new
)

// causes lists, for each kind of incompatibility the check reports in a direction, the kinds
// of change that can cause it at the field it names.
var causes = [2]map[string][]string{
	backward: {
		ReaderFieldMissingDefaultValue: {FieldAdded, FieldRenamed},
		TypeMismatch:                   {TypeChanged, FieldAdded}, // Java compares an added enum field with the record
		MissingUnionBranch:             {TypeChanged},
		NameMismatch:                   {NameChanged},
		FixedSizeMismatch:              {FixedSizeChanged},
		MissingEnumSymbols:             {EnumSymbolsRemoved, EnumDefaultChanged},
	},
	forward: {
		ReaderFieldMissingDefaultValue: {FieldRemoved, FieldRenamed},
		TypeMismatch:                   {TypeChanged, FieldRemoved},
		MissingUnionBranch:             {TypeChanged},
		NameMismatch:                   {NameChanged},
		FixedSizeMismatch:              {FixedSizeChanged},
		MissingEnumSymbols:             {EnumSymbolsAdded, EnumDefaultChanged},
	},
}

// mark marks the changes that cause the incompatibilities the check found in direction, and
// returns those it could pin on no change. An incompatibility is pinned on the changes of the
// first kind that causes it at the field it names; failing that, on every change that can break
// in that direction at that field or inside it: when a record in a union no longer reads the
// other, the check names the union, not the field that changed in the record.
func (d *differ) mark(diffs []format.Difference, direction int) (unexplained []format.Difference) {
	for _, diff := range diffs {
		var hits []int
		for _, kind := range causes[direction][diff.Type] {
			for i, c := range d.changes {
				if c.Type == kind && c.key(direction) == diff.Field && !c.blameless(direction, diff) {
					hits = append(hits, i)
				}
			}
			if len(hits) > 0 {
				break
			}
		}
		if len(hits) == 0 {
			for i, c := range d.changes {
				if within(c.key(direction), diff.Field) && c.canBreak(direction) && !c.blameless(direction, diff) {
					hits = append(hits, i)
				}
			}
		}
		if len(hits) == 0 {
			unexplained = append(unexplained, diff)
		}
		for _, i := range hits {
			if direction == backward {
				d.changes[i].BreaksBackward = true
			} else {
				d.changes[i].BreaksForward = true
			}
		}
	}
	return unexplained
}

// blameless tells that c, a union's type change, is not why a branch of the writer's union
// found no branch to read it: each of them continues into one of the reader's, so what changed
// is inside them.
func (c Change) blameless(direction int, diff format.Difference) bool {
	if c.Type != TypeChanged || diff.Type != MissingUnionBranch {
		return false
	}
	if direction == backward {
		return c.keepsOld // the old schema wrote the data
	}
	return c.keepsNew
}

func (c Change) key(direction int) string {
	if direction == backward {
		return c.newKey // the new schema is the reader, whose names the check uses
	}
	return c.oldKey
}

// canBreak tells whether a change of this kind can break compatibility in direction: a field
// added with a default, or a doc, never does.
func (c Change) canBreak(direction int) bool {
	switch c.Type {
	case FieldAdded:
		return direction == backward && c.New == ""
	case FieldRemoved:
		return direction == forward && c.Old == ""
	}
	for _, kinds := range causes[direction] {
		if slices.Contains(kinds, c.Type) {
			return true
		}
	}
	return false
}

// within tells whether a change at field key is at field or inside it ("" is the root).
func within(key, field string) bool {
	return field == "" || key == field || strings.HasPrefix(key, field+".")
}
