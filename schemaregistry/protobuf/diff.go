package protobuf

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/eventlens/eventlens/schemaregistry/format"
)

// Change is one difference between two versions of a schema, named as Confluent names it.
type Change struct {
	Type string // Confluent's Difference.Type, e.g. FIELD_SCALAR_KIND_CHANGED
	Path string // e.g. "#/TestMessage/2" or "#/Msg/oneofName/3"
	at   fieldPair
	// paths is Path in each schema. Confluent names a field's oneof as one schema has it;
	// a schema lacking the field or message is located at the message that would hold it.
	paths where
}

// where is a path into each of the two schemas compared.
type where struct{ original, update string }

// fieldPair is a field compared across the two schemas: the dotted name of its message, the
// field on each side (nil on the side that lacks it) and its path in each. It is zero for a
// change outside a field.
type fieldPair struct {
	message          string
	original, update *fieldElem
	paths            where
}

// Field names the field the change is at for people, by message, name and number:
// "Order.id (1)"; "" for a change outside a field.
func (c Change) Field() string {
	f := c.at.update
	if f == nil {
		f = c.at.original
	}
	if f == nil {
		return ""
	}
	return c.at.message + "." + f.name + " (" + strconv.FormatInt(f.tag, 10) + ")"
}

// Types are the field's types as declared, before and after: "int64", "repeated string",
// "map<string, int32>", "Customer"; "" on the side that lacks the field.
func (c Change) Types() (original, update string) {
	return written(c.at.original), written(c.at.update)
}

func (c Change) String() string { return c.Type + " " + c.Path }

// Compatible tells whether Confluent's backward check accepts this kind of change.
func (c Change) Compatible() bool { return compatibleChanges[c.Type] }

// Message is Confluent's verbose compatibility message for the change; reader and writer
// name the two schemas ("new" and "old" in a backward check, the other way round in a
// forward check).
func (c Change) Message(reader, writer string) string {
	var d string
	switch c.Type {
	case packageChanged:
		d = fmt.Sprintf("The package at '%s' in the %s schema does not match the package in the %s schema", c.Path, reader, writer)
	case messageRemoved:
		d = fmt.Sprintf("The %s schema is missing a MESSAGE type at path '%s' in the %s schema", reader, c.Path, writer)
	case fieldKindChanged:
		d = fmt.Sprintf("The type of a field at path '%s' in the %s schema does not match the %s schema", c.Path, reader, writer)
	case fieldScalarKindChanged:
		d = fmt.Sprintf("The kind of a SCALAR field at path '%s' in the %s schema does not match its kind in the %s schema", c.Path, reader, writer)
	case fieldNamedTypeChanged:
		d = fmt.Sprintf("The type of a MESSAGE field at path '%s' in the %s schema does not match its type in the %s schema", c.Path, reader, writer)
	case fieldNumericLabelChanged:
		d = fmt.Sprintf("The label for a NUMERIC field at path '%s' in the %s schema does not match its label in the %s schema", c.Path, reader, writer)
	case requiredFieldAdded:
		// The double space is Confluent's.
		d = fmt.Sprintf("A required field  at path '%s' in the %s schema is missing in the %s schema", c.Path, reader, writer)
	case requiredFieldRemoved:
		d = fmt.Sprintf("The %s schema is missing a required field at path: '%s' in the %s schema", reader, c.Path, writer)
	case oneofFieldRemoved:
		d = fmt.Sprintf("The %s schema is missing a oneof field at path '%s' in the %s schema", reader, c.Path, writer)
	case oneofFieldMovedToTopLevel:
		d = fmt.Sprintf("The oneof field at path '%s' in the %s schema was moved out of its oneof to a top-level field in the %s schema", c.Path, reader, writer)
	case multipleFieldsMovedToOneof:
		d = fmt.Sprintf("Multiple fields in the oneof at path '%s' in the %s schema are outside a oneof in the %s schema", c.Path, reader, writer)
	case fieldMovedToExistingOneof:
		d = fmt.Sprintf("A field in the oneof at path '%s' in the %s schema is outside an existing oneof in the %s schema", c.Path, reader, writer)
	}
	return `{errorType:"` + c.Type + `", description:"` + d + `"}`
}

// Confluent's names for the kinds of change.
const (
	packageChanged             = "PACKAGE_CHANGED"
	messageAdded               = "MESSAGE_ADDED"
	messageRemoved             = "MESSAGE_REMOVED"
	messageMoved               = "MESSAGE_MOVED"
	enumAdded                  = "ENUM_ADDED"
	enumRemoved                = "ENUM_REMOVED"
	enumConstAdded             = "ENUM_CONST_ADDED"
	enumConstChanged           = "ENUM_CONST_CHANGED"
	enumConstRemoved           = "ENUM_CONST_REMOVED"
	fieldAdded                 = "FIELD_ADDED"
	fieldRemoved               = "FIELD_REMOVED"
	fieldNameChanged           = "FIELD_NAME_CHANGED"
	fieldKindChanged           = "FIELD_KIND_CHANGED"
	fieldScalarKindChanged     = "FIELD_SCALAR_KIND_CHANGED"
	fieldNamedTypeChanged      = "FIELD_NAMED_TYPE_CHANGED"
	fieldNumericLabelChanged   = "FIELD_NUMERIC_LABEL_CHANGED"
	fieldStringOrBytesLabel    = "FIELD_STRING_OR_BYTES_LABEL_CHANGED"
	requiredFieldAdded         = "REQUIRED_FIELD_ADDED"
	requiredFieldRemoved       = "REQUIRED_FIELD_REMOVED"
	oneofAdded                 = "ONEOF_ADDED"
	oneofRemoved               = "ONEOF_REMOVED"
	oneofFieldAdded            = "ONEOF_FIELD_ADDED"
	oneofFieldRemoved          = "ONEOF_FIELD_REMOVED"
	oneofFieldMovedToTopLevel  = "ONEOF_FIELD_MOVED_TO_TOP_LEVEL"
	multipleFieldsMovedToOneof = "MULTIPLE_FIELDS_MOVED_TO_ONEOF"
	fieldMovedToExistingOneof  = "FIELD_MOVED_TO_EXISTING_ONEOF"
)

var compatibleChanges = map[string]bool{
	messageAdded: true, messageMoved: true,
	enumAdded: true, enumRemoved: true, enumConstAdded: true, enumConstChanged: true, enumConstRemoved: true,
	fieldAdded: true, fieldRemoved: true, fieldNameChanged: true, fieldStringOrBytesLabel: true,
	oneofAdded: true, oneofRemoved: true, oneofFieldAdded: true, oneofFieldMovedToTopLevel: true,
}

// BackwardIncompatibilities compares previous (the original) with s (the update) and keeps the
// changes Confluent's backward check rejects.
func (s *Schema) BackwardIncompatibilities(previous format.Schema) []format.Difference {
	prev, ok := previous.(*Schema)
	if !ok {
		return []format.Difference{{
			Type:    "TYPE_CHANGED",
			Path:    "#/",
			OldPath: "#/",
			NewPath: "#/",
			Message: "Incompatible because of different schema type",
		}}
	}
	var out []format.Difference
	for _, c := range Diff(prev, s) {
		if !c.Compatible() {
			d := format.Difference{Type: c.Type, Path: c.Path, Message: c.Message("new", "old"), Field: c.Field(),
				OldPath: c.paths.original, NewPath: c.paths.update}
			d.OldType, d.NewType = c.Types()
			out = append(out, d)
		}
	}
	return out
}

// Diff lists every change from original to update, compatible ones included, the way
// Confluent's SchemaDiff.compare(original, update) does.
func Diff(originalSchema, updateSchema *Schema) []Change {
	c := newTypeContext()
	c.collect(originalSchema, original)
	c.collect(updateSchema, update)
	d := &differ{ctx: c, inProgress: map[*messageElem]bool{}}
	if originalSchema.file.pkg != updateSchema.file.pkg {
		d.add(packageChanged)
	}
	d.compareTypes(originalSchema.file.types, updateSchema.file.types)
	return d.changes
}

type differ struct {
	ctx        *typeContext
	inProgress map[*messageElem]bool // original messages being compared, to stop on recursion
	at         fieldPair             // the field being compared, if any
	changes    []Change
}

// add records a change at the current path. Inside a field, each schema has the field's own
// path; outside one (a oneof, an enum value) both get Confluent's, even the schema that lacks
// what it names, whose message or enum it starts with.
func (d *differ) add(typ string) {
	path := "#/" + strings.Join(d.ctx.path, "/")
	paths := d.at.paths
	if paths == (where{}) {
		paths = where{path, path}
	}
	d.addWith(typ, path, paths)
}

func (d *differ) addWith(typ, path string, paths where) {
	d.changes = append(d.changes, Change{Type: typ, Path: path, at: d.at, paths: paths})
}

func (d *differ) addAt(typ string, path ...string) {
	for _, p := range path {
		d.ctx.enterPath(p)
	}
	d.add(typ)
	for range path {
		d.ctx.leavePath()
	}
}

// sub is a differ with the same types and recursion guard and no changes of its own.
func (d *differ) sub() *differ {
	ctx := *d.ctx
	ctx.path = nil
	ctx.scope = nil
	guard := make(map[*messageElem]bool, len(d.inProgress))
	for m := range d.inProgress {
		guard[m] = true
	}
	return &differ{ctx: &ctx, inProgress: guard}
}

func (d *differ) compareTypes(oTypes, uTypes []typeElem) {
	oMsgs, oIdx, oEnums := indexTypes(oTypes)
	uMsgs, uIdx, uEnums := indexTypes(uTypes)
	for _, name := range unionKeys(oMsgs, uMsgs) {
		d.ctx.enterName(name)
		o, u := oMsgs[name], uMsgs[name]
		switch {
		case u == nil:
			if d.ctx.typeOf(name, original) != nil {
				// The update has the message around it, if any.
				path := "#/" + strings.Join(d.ctx.path, "/")
				d.addWith(messageRemoved, path, where{path, "#/" + strings.Join(d.ctx.path[:len(d.ctx.path)-1], "/")})
			}
		case o == nil:
			if d.ctx.typeOf(name, update) != nil {
				d.add(messageAdded)
			}
		default:
			d.compareMessages(o, u)
			// Moving a message is compatible: serialized message indexes refer to the schema
			// of the writer's id.
			if oIdx[name] != uIdx[name] {
				d.add(messageMoved)
			}
		}
		d.ctx.leaveName()
	}
	for _, name := range unionKeys(oEnums, uEnums) {
		d.ctx.enterName(name)
		o, u := oEnums[name], uEnums[name]
		switch {
		case u == nil:
			d.add(enumRemoved)
		case o == nil:
			d.add(enumAdded)
		default:
			d.compareEnums(o, u)
		}
		d.ctx.leaveName()
	}
}

func indexTypes(types []typeElem) (map[string]*messageElem, map[string]int, map[string]*enumElem) {
	msgs, idx, enums := map[string]*messageElem{}, map[string]int{}, map[string]*enumElem{}
	i := 0
	for _, t := range types {
		if t.msg != nil {
			msgs[t.msg.name] = t.msg
			idx[t.msg.name] = i
			i++
		} else {
			enums[t.enum.name] = t.enum
		}
	}
	return msgs, idx, enums
}

func unionKeys[V any](a, b map[string]V) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

func (d *differ) compareEnums(o, u *enumElem) {
	oByTag, uByTag := map[int64]*enumConstElem{}, map[int64]*enumConstElem{}
	for _, c := range o.constants {
		oByTag[c.tag] = c
	}
	for _, c := range u.constants {
		uByTag[c.tag] = c
	}
	for _, tag := range unionTags(oByTag, uByTag) {
		oc, uc := oByTag[tag], uByTag[tag]
		p := strconv.FormatInt(tag, 10)
		switch {
		case uc == nil:
			d.addAt(enumConstRemoved, p)
		case oc == nil:
			d.addAt(enumConstAdded, p)
		case oc.name != uc.name:
			d.addAt(enumConstChanged, p)
		}
	}
}

func unionTags[V any](a, b map[int64]V) []int64 {
	tags := make([]int64, 0, len(a)+len(b))
	for k := range a {
		tags = append(tags, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			tags = append(tags, k)
		}
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i] < tags[j] })
	return tags
}

// messageFields indexes a message's fields by number, top-level and oneof members alike.
type messageFields struct {
	byTag   map[int64]*fieldElem
	oneofOf map[int64]string
	oneofs  map[string]*oneofElem
}

func collectFields(m *messageElem) messageFields {
	mf := messageFields{byTag: map[int64]*fieldElem{}, oneofOf: map[int64]string{}, oneofs: map[string]*oneofElem{}}
	for _, f := range m.fields {
		mf.byTag[f.tag] = f
	}
	for _, o := range m.oneofs {
		mf.oneofs[o.name] = o
		for _, f := range o.fields {
			mf.byTag[f.tag] = f
			mf.oneofOf[f.tag] = o.name
		}
	}
	return mf
}

// compareMessages matches fields by number across the message and its oneofs, so that a
// oneof renamed, split or merged cannot hide a change to a field.
func (d *differ) compareMessages(o, u *messageElem) {
	if !d.inProgress[o] {
		d.inProgress[o] = true
		d.compareFields(o, u)
		delete(d.inProgress, o)
	}
	d.compareTypes(o.nested, u.nested)
}

func (d *differ) compareFields(o, u *messageElem) {
	of, uf := collectFields(o), collectFields(u)

	// A removed oneof none of whose members survive anywhere is a deletion, which is allowed.
	deleted := map[string]bool{}
	for name, one := range of.oneofs {
		if uf.oneofs[name] != nil {
			continue
		}
		survives := false
		for _, f := range one.fields {
			if uf.byTag[f.tag] != nil {
				survives = true
				break
			}
		}
		if !survives {
			deleted[name] = true
		}
	}

	// Fields that were independent and now share a oneof: old data may set several of them.
	for _, one := range u.oneofs {
		groups := map[string]bool{}
		movedIn := 0
		for _, f := range one.fields {
			if name, ok := of.oneofOf[f.tag]; ok {
				groups["oneof:"+name] = true
			} else if of.byTag[f.tag] != nil {
				groups["field:"+strconv.FormatInt(f.tag, 10)] = true
				movedIn++
			}
		}
		if len(groups) > 1 {
			if movedIn > 1 {
				d.addAt(multipleFieldsMovedToOneof, one.name)
			} else {
				d.addAt(fieldMovedToExistingOneof, one.name)
			}
		}
	}

	for _, name := range unionKeys(of.oneofs, uf.oneofs) {
		switch {
		case uf.oneofs[name] == nil:
			d.addAt(oneofRemoved, name)
		case of.oneofs[name] == nil:
			d.addAt(oneofAdded, name)
		}
	}

	message := strings.Join(d.ctx.path, ".")
	messagePath := "#/" + strings.Join(d.ctx.path, "/")
	// fieldPath is where a field is in one schema: in its oneof there, if any, or at the
	// message when that schema lacks it.
	fieldPath := func(f *fieldElem, oneof string, inOneof bool) string {
		switch {
		case f == nil:
			return messagePath
		case inOneof:
			return messagePath + "/" + oneof + "/" + strconv.FormatInt(f.tag, 10)
		}
		return messagePath + "/" + strconv.FormatInt(f.tag, 10)
	}
	for _, tag := range unionTags(of.byTag, uf.byTag) {
		ofl, ufl := of.byTag[tag], uf.byTag[tag]
		oOneof, oIn := of.oneofOf[tag]
		uOneof, uIn := uf.oneofOf[tag]
		p := strconv.FormatInt(tag, 10)
		d.at = fieldPair{message: message, original: ofl, update: ufl,
			paths: where{fieldPath(ofl, oOneof, oIn), fieldPath(ufl, uOneof, uIn)}}
		switch {
		case ufl == nil:
			switch {
			case oIn && !deleted[oOneof]:
				d.addAt(oneofFieldRemoved, oOneof, p)
			case oIn:
			case ofl.label == "required":
				d.addAt(requiredFieldRemoved, p)
			default:
				d.addAt(fieldRemoved, p)
			}
		case ofl == nil:
			switch {
			case uIn:
				d.addAt(oneofFieldAdded, uOneof, p)
			case ufl.label == "required":
				d.addAt(requiredFieldAdded, p)
			default:
				d.addAt(fieldAdded, p)
			}
		default:
			if oIn && !uIn {
				d.addAt(oneofFieldMovedToTopLevel, p)
			}
			if uIn {
				d.ctx.enterPath(uOneof)
			}
			d.ctx.enterPath(p)
			d.compareField(ofl, ufl)
			d.ctx.leavePath()
			if uIn {
				d.ctx.leavePath()
			}
		}
	}
	d.at = fieldPair{}
}

// written is a field's type as declared, with its label: "int64", "repeated string",
// "map<string, int32>", "Customer"; "" for no field.
func written(f *fieldElem) string {
	switch {
	case f == nil:
		return ""
	case f.label == "":
		return f.typ
	}
	return f.label + " " + f.typ
}

func (d *differ) compareField(o, u *fieldElem) {
	if o.name != u.name {
		d.add(fieldNameChanged)
	}
	d.compareLabelsAndTypes(o.label, u.label, o.typ, u.typ)
}

type fieldKind int

const (
	kindScalarField fieldKind = iota
	kindMapField
	kindMessageField
)

var scalarKinds = map[string]string{
	"int32": "GENERAL_NUMBER", "int64": "GENERAL_NUMBER", "uint32": "GENERAL_NUMBER",
	"uint64": "GENERAL_NUMBER", "bool": "GENERAL_NUMBER",
	"sint32": "SIGNED_NUMBER", "sint64": "SIGNED_NUMBER",
	"string": "STRING_OR_BYTES", "bytes": "STRING_OR_BYTES",
	"fixed32": "FIXED32", "sfixed32": "FIXED32",
	"fixed64": "FIXED64", "sfixed64": "FIXED64",
	"float": "FLOAT", "double": "DOUBLE",
}

func (d *differ) kind(typ string, sd side) fieldKind {
	switch {
	case scalarKinds[typ] != "":
		return kindScalarField
	case strings.HasPrefix(typ, "map<"):
		return kindMapField
	}
	if t := d.ctx.typeOf(typ, sd); t != nil && t.enum != nil {
		return kindScalarField
	}
	return kindMessageField
}

// scalarKind groups scalars whose encodings read each other, as Confluent groups them; an
// enum reads like an int32.
func (d *differ) scalarKind(typ string, sd side) string {
	if t := d.ctx.typeOf(typ, sd); t != nil && t.enum != nil {
		return "GENERAL_NUMBER"
	}
	return scalarKinds[typ]
}

func (d *differ) compareLabelsAndTypes(oLabel, uLabel, oType, uType string) {
	ok, uk := d.kind(oType, original), d.kind(uType, update)
	if ok != uk {
		d.add(fieldKindChanged)
		return
	}
	switch ok {
	case kindScalarField:
		osk, usk := d.scalarKind(oType, original), d.scalarKind(uType, update)
		switch {
		case osk != usk:
			d.add(fieldScalarKindChanged)
		case oLabel == "" || uLabel == "" || oLabel == uLabel:
		case osk == "STRING_OR_BYTES":
			d.add(fieldStringOrBytesLabel)
		default:
			d.add(fieldNumericLabelChanged)
		}
	case kindMessageField:
		d.compareMessageTypes(oType, uType)
	case kindMapField:
		ok, ov := mapTypes(oType)
		uk, uv := mapTypes(uType)
		d.compareLabelsAndTypes("", "", ok, uk)
		d.compareLabelsAndTypes("", "", ov, uv)
	}
}

func mapTypes(typ string) (key, value string) {
	inner := strings.TrimSuffix(strings.TrimPrefix(typ, "map<"), ">")
	key, value, _ = strings.Cut(inner, ",")
	return strings.TrimSpace(key), strings.TrimSpace(value)
}

func (d *differ) compareMessageTypes(oType, uType string) {
	oFull, uFull := d.ctx.resolveType(oType, original), d.ctx.resolveType(uType, update)
	if oFull == "" || uFull == "" {
		if oType != uType {
			d.add(fieldNamedTypeChanged)
		}
		return
	}
	ot, ut := d.ctx.types[original][oFull], d.ctx.types[update][uFull]
	oLocal, uLocal := localName(oFull, ot.pkg), localName(uFull, ut.pkg)
	if oLocal != uLocal {
		d.add(fieldNamedTypeChanged)
		return
	}
	// Types from the same subject and version (or both local) are compared where they are
	// declared; others are compared here, under their own path.
	if ot.ref != nil && ut.ref != nil && *ot.ref == *ut.ref {
		return
	}
	if ot.msg == nil || ut.msg == nil {
		return
	}
	sub := d.sub()
	sub.ctx.pkg = [2]string{ot.pkg, ut.pkg}
	sub.ctx.setFullName(oLocal)
	sub.compareMessages(ot.msg, ut.msg)
	d.changes = append(d.changes, sub.changes...)
	for _, c := range sub.changes {
		if !c.Compatible() {
			d.add(fieldNamedTypeChanged)
			break
		}
	}
}

func localName(full, pkg string) string {
	if rest, ok := strings.CutPrefix(full, pkg+"."); ok {
		return rest
	}
	return full
}
