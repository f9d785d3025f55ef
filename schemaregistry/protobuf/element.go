package protobuf

import (
	"strings"

	"github.com/bufbuild/protocompile/ast"
)

// The element model below mirrors what Confluent's parser (Square Wire's ProtoFileElement) keeps
// of a .proto file: names and type references exactly as written, declaration order, options as
// written. Confluent's canonical text and its diff both work on that model, not on linked
// descriptors, so ours do too.

type fileElem struct {
	syntax        string // "proto2", "proto3" or "" when the file declares none
	edition       string
	pkg           string
	hasPkg        bool
	imports       []string
	publicImports []string
	options       []*optionElem
	types         []typeElem
	extends       []*extendElem
	services      []*serviceElem
}

// typeElem is a message or an enum; exactly one of the two is set.
type typeElem struct {
	msg  *messageElem
	enum *enumElem
}

func (t typeElem) name() string {
	if t.msg != nil {
		return t.msg.name
	}
	return t.enum.name
}

type messageElem struct {
	name       string
	reserveds  []rangeList
	options    []*optionElem
	fields     []*fieldElem
	oneofs     []*oneofElem
	groups     []*groupElem
	extensions []rangeList
	extends    []*extendElem
	nested     []typeElem
}

type enumElem struct {
	name      string
	reserveds []rangeList
	options   []*optionElem
	constants []*enumConstElem
}

type enumConstElem struct {
	name    string
	tag     int64
	options []*optionElem
}

type fieldElem struct {
	label      string // "optional", "required", "repeated", or "" when none is written
	typ        string // as written; maps as "map<K, V>"
	name       string
	tag        int64
	options    []*optionElem // without default and json_name, which Wire keeps apart
	defaultVal *string
	jsonName   *string
}

type oneofElem struct {
	name    string
	options []*optionElem
	fields  []*fieldElem
	groups  []*groupElem
}

type groupElem struct {
	label  string
	name   string
	tag    int64
	fields []*fieldElem
}

type extendElem struct {
	name   string
	fields []*fieldElem
}

type serviceElem struct {
	name    string
	options []*optionElem
	rpcs    []*rpcElem
}

type rpcElem struct {
	name             string
	reqType, resType string
	reqStream        bool
	resStream        bool
	options          []*optionElem
}

// rangeList is one reserved or extensions statement: numbers, ranges and (reserved) names.
type rangeList struct {
	values  []rangeValue
	options []*optionElem
}

type rangeValue struct {
	name       string // a reserved name; when set the numbers are unused
	start, end int64
	isRange    bool
}

type optionKind int

const (
	kindString optionKind = iota
	kindBool
	kindEnum
	kindNumber
	kindOption // a nested option: (foo).bar = 1 holds bar = 1 under foo
	kindMap    // a message literal
	kindList
)

type optionElem struct {
	name          string
	parenthesized bool
	kind          optionKind
	value         any // string for scalars, *optionElem, *optionMap or []any
}

// optionMap is a message literal: keys in the order first written; a repeated key collects
// its values in a list, as Wire does.
type optionMap struct {
	keys   []string
	values map[string]any
}

// primitive is a non-string scalar inside a message literal or a list, printed as written.
type primitive struct {
	kind optionKind
	text string
}

// buildFile turns a parsed (and successfully compiled) AST into the element model.
func buildFile(f *ast.FileNode) *fileElem {
	b := builder{file: f}
	fe := &fileElem{}
	if f.Syntax != nil {
		fe.syntax = f.Syntax.Syntax.AsString()
	}
	if f.Edition != nil {
		fe.edition = f.Edition.Edition.AsString()
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.PackageNode:
			fe.pkg, fe.hasPkg = string(d.Name.AsIdentifier()), true
		case *ast.ImportNode:
			switch {
			case d.Public != nil:
				fe.publicImports = append(fe.publicImports, d.Name.AsString())
			case d.Weak != nil:
				// Wire keeps weak imports apart and Confluent never prints them.
			default:
				fe.imports = append(fe.imports, d.Name.AsString())
			}
		case *ast.OptionNode:
			fe.options = append(fe.options, b.option(d))
		case *ast.MessageNode:
			fe.types = append(fe.types, typeElem{msg: b.message(d.Name.Val, d.Decls)})
		case *ast.EnumNode:
			fe.types = append(fe.types, typeElem{enum: b.enum(d)})
		case *ast.ExtendNode:
			fe.extends = append(fe.extends, b.extend(d))
		case *ast.ServiceNode:
			fe.services = append(fe.services, b.service(d))
		}
	}
	return fe
}

type builder struct {
	file *ast.FileNode
}

func (b builder) message(name string, decls []ast.MessageElement) *messageElem {
	m := &messageElem{name: name}
	for _, d := range decls {
		switch d := d.(type) {
		case *ast.FieldNode:
			m.fields = append(m.fields, b.field(d))
		case *ast.MapFieldNode:
			m.fields = append(m.fields, b.mapField(d))
		case *ast.GroupNode:
			m.groups = append(m.groups, b.group(d))
		case *ast.OneofNode:
			m.oneofs = append(m.oneofs, b.oneof(d))
		case *ast.OptionNode:
			m.options = append(m.options, b.option(d))
		case *ast.ReservedNode:
			m.reserveds = append(m.reserveds, b.reserved(d))
		case *ast.ExtensionRangeNode:
			rl := b.ranges(d.Ranges)
			rl.options = b.compact(d.Options)
			m.extensions = append(m.extensions, rl)
		case *ast.MessageNode:
			m.nested = append(m.nested, typeElem{msg: b.message(d.Name.Val, d.Decls)})
		case *ast.EnumNode:
			m.nested = append(m.nested, typeElem{enum: b.enum(d)})
		case *ast.ExtendNode:
			m.extends = append(m.extends, b.extend(d))
		}
	}
	return m
}

func (b builder) enum(n *ast.EnumNode) *enumElem {
	e := &enumElem{name: n.Name.Val}
	for _, d := range n.Decls {
		switch d := d.(type) {
		case *ast.EnumValueNode:
			tag, _ := d.Number.AsInt64()
			e.constants = append(e.constants, &enumConstElem{
				name: d.Name.Val, tag: tag, options: b.compact(d.Options),
			})
		case *ast.OptionNode:
			e.options = append(e.options, b.option(d))
		case *ast.ReservedNode:
			e.reserveds = append(e.reserveds, b.reserved(d))
		}
	}
	return e
}

func label(l ast.FieldLabel) string {
	if l.KeywordNode == nil {
		return ""
	}
	return l.Val
}

func (b builder) field(n *ast.FieldNode) *fieldElem {
	f := &fieldElem{
		label: label(n.Label),
		typ:   string(n.FldType.AsIdentifier()),
		name:  n.Name.Val,
		tag:   int64(n.Tag.Val),
	}
	b.fieldOptions(f, n.Options)
	return f
}

func (b builder) mapField(n *ast.MapFieldNode) *fieldElem {
	f := &fieldElem{
		typ:  "map<" + n.MapType.KeyType.Val + ", " + string(n.MapType.ValueType.AsIdentifier()) + ">",
		name: n.Name.Val,
		tag:  int64(n.Tag.Val),
	}
	b.fieldOptions(f, n.Options)
	return f
}

// fieldOptions keeps default and json_name apart from the other options, as Wire does; the
// printer appends them last.
func (b builder) fieldOptions(f *fieldElem, opts *ast.CompactOptionsNode) {
	for _, o := range b.compact(opts) {
		if !o.parenthesized && o.kind != kindOption && (o.name == "default" || o.name == "json_name") {
			v, _ := o.value.(string)
			if o.name == "default" {
				f.defaultVal = &v
			} else {
				f.jsonName = &v
			}
			continue
		}
		f.options = append(f.options, o)
	}
}

func (b builder) group(n *ast.GroupNode) *groupElem {
	g := &groupElem{label: label(n.Label), name: n.Name.Val, tag: int64(n.Tag.Val)}
	for _, d := range n.Decls {
		switch d := d.(type) {
		case *ast.FieldNode:
			g.fields = append(g.fields, b.field(d))
		case *ast.MapFieldNode:
			g.fields = append(g.fields, b.mapField(d))
		}
	}
	return g
}

func (b builder) oneof(n *ast.OneofNode) *oneofElem {
	o := &oneofElem{name: n.Name.Val}
	for _, d := range n.Decls {
		switch d := d.(type) {
		case *ast.FieldNode:
			o.fields = append(o.fields, b.field(d))
		case *ast.GroupNode:
			o.groups = append(o.groups, b.group(d))
		case *ast.OptionNode:
			o.options = append(o.options, b.option(d))
		}
	}
	return o
}

func (b builder) extend(n *ast.ExtendNode) *extendElem {
	e := &extendElem{name: string(n.Extendee.AsIdentifier())}
	for _, d := range n.Decls {
		if f, ok := d.(*ast.FieldNode); ok {
			e.fields = append(e.fields, b.field(f))
		}
	}
	return e
}

func (b builder) service(n *ast.ServiceNode) *serviceElem {
	s := &serviceElem{name: n.Name.Val}
	for _, d := range n.Decls {
		switch d := d.(type) {
		case *ast.OptionNode:
			s.options = append(s.options, b.option(d))
		case *ast.RPCNode:
			r := &rpcElem{
				name:      d.Name.Val,
				reqType:   string(d.Input.MessageType.AsIdentifier()),
				resType:   string(d.Output.MessageType.AsIdentifier()),
				reqStream: d.Input.Stream != nil,
				resStream: d.Output.Stream != nil,
			}
			for _, rd := range d.Decls {
				if o, ok := rd.(*ast.OptionNode); ok {
					r.options = append(r.options, b.option(o))
				}
			}
			s.rpcs = append(s.rpcs, r)
		}
	}
	return s
}

// maxTag is the largest field number; Wire prints a range ending there (or beyond) as "max".
const maxTag = 536_870_911

func (b builder) reserved(n *ast.ReservedNode) rangeList {
	rl := b.ranges(n.Ranges)
	for _, name := range n.Names {
		rl.values = append(rl.values, rangeValue{name: name.AsString()})
	}
	for _, id := range n.Identifiers {
		rl.values = append(rl.values, rangeValue{name: id.Val})
	}
	return rl
}

func (b builder) ranges(rs []*ast.RangeNode) rangeList {
	var rl rangeList
	for _, r := range rs {
		start, _ := r.StartVal.AsInt64()
		v := rangeValue{start: start, end: start}
		if r.To != nil {
			v.isRange = true
			if r.Max != nil {
				v.end = maxTag
			} else {
				v.end, _ = r.EndVal.AsInt64()
			}
		}
		rl.values = append(rl.values, v)
	}
	return rl
}

func (b builder) compact(n *ast.CompactOptionsNode) []*optionElem {
	if n == nil {
		return nil
	}
	opts := make([]*optionElem, 0, len(n.Options))
	for _, o := range n.Options {
		opts = append(opts, b.option(o))
	}
	return opts
}

// option follows Wire's reading of an option: the first name part carries the parentheses,
// later parts become nested options of kind kindOption.
func (b builder) option(n *ast.OptionNode) *optionElem {
	parts := n.Name.Parts
	kind, value := b.value(n.Val)
	var subNames []string
	for _, p := range parts[1:] {
		subNames = append(subNames, strings.Split(string(p.Name.AsIdentifier()), ".")...)
	}
	for i := len(subNames) - 1; i >= 0; i-- {
		value = &optionElem{name: subNames[i], kind: kind, value: value}
		kind = kindOption
	}
	return &optionElem{
		name:          string(parts[0].Name.AsIdentifier()),
		parenthesized: parts[0].IsExtension(),
		kind:          kind,
		value:         value,
	}
}

func (b builder) value(v ast.ValueNode) (optionKind, any) {
	switch v := v.(type) {
	case ast.StringValueNode:
		return kindString, v.AsString()
	case *ast.IdentNode, *ast.CompoundIdentNode:
		id := string(v.(ast.IdentValueNode).AsIdentifier())
		switch id {
		case "true", "false":
			return kindBool, id
		case "inf", "nan":
			return kindNumber, id
		}
		return kindEnum, id
	case *ast.ArrayLiteralNode:
		list := make([]any, 0, len(v.Elements))
		for _, e := range v.Elements {
			list = append(list, b.literal(e))
		}
		return kindList, list
	case *ast.MessageLiteralNode:
		return kindMap, b.messageLiteral(v)
	case *ast.NegativeIntLiteralNode:
		return kindNumber, "-" + b.raw(v.Uint)
	case *ast.SignedFloatLiteralNode:
		return kindNumber, b.raw(v.Sign) + b.raw(v.Float)
	default:
		// Numbers keep their written form, as Wire reads them as words.
		return kindNumber, b.raw(v)
	}
}

// literal is a value inside a message literal or a list: strings stay strings, other scalars
// become primitives, nested literals stay maps or lists.
func (b builder) literal(v ast.ValueNode) any {
	kind, value := b.value(v)
	switch kind {
	case kindString, kindMap, kindList:
		return value
	}
	return primitive{kind: kind, text: value.(string)}
}

func (b builder) messageLiteral(n *ast.MessageLiteralNode) *optionMap {
	m := &optionMap{values: map[string]any{}}
	for _, el := range n.Elements {
		key := string(el.Name.Name.AsIdentifier())
		switch {
		case el.Name.IsAnyTypeReference():
			key = "[" + string(el.Name.URLPrefix.AsIdentifier()) + "/" + key + "]"
		case el.Name.IsExtension():
			key = "[" + key + "]"
		}
		val := b.literal(el.Val)
		prev, seen := m.values[key]
		if !seen {
			m.keys = append(m.keys, key)
			m.values[key] = val
			continue
		}
		list, isList := prev.([]any)
		if !isList {
			list = []any{prev}
		}
		if more, ok := val.([]any); ok {
			list = append(list, more...)
		} else {
			list = append(list, val)
		}
		m.values[key] = list
	}
	return m
}

func (b builder) raw(n ast.Node) string {
	return b.file.NodeInfo(n).RawText()
}
