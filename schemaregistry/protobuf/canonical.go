package protobuf

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// printer writes the element model back as text the way Confluent's ProtobufSchemaUtils does:
// the canonical form when ctx is nil, the normalized form (names resolved and qualified,
// members sorted, options merged) otherwise. Comments and blank lines of the source are gone;
// messages come before enums at each level; section breaks are blank lines.
type printer struct {
	ctx *typeContext
}

func printFile(f *fileElem, ctx *typeContext) string {
	p := printer{ctx: ctx}
	var sb strings.Builder
	switch {
	case f.edition != "":
		sb.WriteString("edition = \"" + f.edition + "\";\n")
	case f.syntax != "" && (!p.normalize() || f.syntax == "proto3"):
		sb.WriteString("syntax = \"" + f.syntax + "\";\n")
	}
	if f.hasPkg {
		sb.WriteString("package " + f.pkg + ";\n")
	}
	if len(f.imports) > 0 || len(f.publicImports) > 0 {
		sb.WriteByte('\n')
		for _, imp := range p.sortedUnique(f.imports) {
			sb.WriteString("import \"" + imp + "\";\n")
		}
		for _, imp := range p.sortedUnique(f.publicImports) {
			sb.WriteString("import public \"" + imp + "\";\n")
		}
	}
	if opts := p.options(f.options); len(opts) > 0 {
		sb.WriteByte('\n')
		for _, o := range opts {
			sb.WriteString(p.optionStatement(o))
		}
	}
	if len(f.types) > 0 {
		sb.WriteByte('\n')
		p.types(&sb, f.types, false)
	}
	if len(f.extends) > 0 {
		sb.WriteByte('\n')
		for _, e := range p.extends(f.extends) {
			sb.WriteString(p.extend(e))
		}
	}
	if len(f.services) > 0 {
		sb.WriteByte('\n')
		for _, s := range f.services {
			sb.WriteString(p.service(s))
		}
	}
	return sb.String()
}

func (p printer) normalize() bool { return p.ctx != nil }

func (p printer) sortedUnique(list []string) []string {
	if !p.normalize() {
		return list
	}
	out := slices.Clone(list)
	slices.Sort(out)
	return slices.Compact(out)
}

// types prints messages first, then enums, each inside its own name scope.
func (p printer) types(sb *strings.Builder, types []typeElem, indent bool) {
	write := func(s string) {
		if indent {
			appendIndented(sb, s)
		} else {
			sb.WriteString(s)
		}
	}
	for _, t := range types {
		if t.msg != nil {
			p.enter(t.msg.name)
			write(p.message(t.msg))
			p.leave()
		}
	}
	for _, t := range types {
		if t.enum != nil {
			p.enter(t.enum.name)
			write(p.enum(t.enum))
			p.leave()
		}
	}
}

func (p printer) enter(name string) {
	if p.ctx != nil {
		p.ctx.enterName(name)
	}
}

func (p printer) leave() {
	if p.ctx != nil {
		p.ctx.leaveName()
	}
}

func (p printer) message(m *messageElem) string {
	var sb strings.Builder
	sb.WriteString("message " + m.name + " {")
	if len(m.reserveds) > 0 {
		sb.WriteByte('\n')
		for _, r := range p.rangeLists(m.reserveds, true) {
			appendIndented(&sb, p.rangeStatement("reserved", r))
		}
	}
	if opts := p.options(m.options); len(opts) > 0 {
		sb.WriteByte('\n')
		for _, o := range opts {
			appendIndented(&sb, p.optionStatement(o))
		}
	}
	if len(m.fields) > 0 {
		sb.WriteByte('\n')
		for _, f := range p.sortFields(m.fields) {
			appendIndented(&sb, p.field(f))
		}
	}
	if oneofs := p.oneofs(m.oneofs); len(m.oneofs) > 0 {
		sb.WriteByte('\n')
		for _, o := range oneofs {
			appendIndented(&sb, p.oneof(o))
		}
	}
	if len(m.groups) > 0 {
		sb.WriteByte('\n')
		for _, g := range p.sortGroups(m.groups) {
			appendIndented(&sb, p.group(g))
		}
	}
	if len(m.extensions) > 0 {
		sb.WriteByte('\n')
		for _, r := range p.rangeLists(m.extensions, false) {
			appendIndented(&sb, p.rangeStatement("extensions", r))
		}
	}
	if len(m.extends) > 0 {
		sb.WriteByte('\n')
		for _, e := range p.extends(m.extends) {
			appendIndented(&sb, p.extend(e))
		}
	}
	if len(m.nested) > 0 {
		sb.WriteByte('\n')
		p.types(&sb, m.nested, true)
	}
	sb.WriteString("}\n")
	return sb.String()
}

func (p printer) enum(e *enumElem) string {
	var sb strings.Builder
	sb.WriteString("enum " + e.name + " {")
	if len(e.reserveds) > 0 {
		sb.WriteByte('\n')
		for _, r := range p.rangeLists(e.reserveds, true) {
			appendIndented(&sb, p.rangeStatement("reserved", r))
		}
	} else if len(e.options) > 0 || len(e.constants) > 0 {
		sb.WriteByte('\n')
	}
	for _, o := range p.options(e.options) {
		appendIndented(&sb, p.optionStatement(o))
	}
	constants := e.constants
	if p.normalize() {
		constants = slices.Clone(constants)
		slices.SortStableFunc(constants, func(a, b *enumConstElem) int {
			if a.tag != b.tag {
				return cmpInt(a.tag, b.tag)
			}
			return strings.Compare(a.name, b.name)
		})
	}
	for _, c := range constants {
		s := c.name + " = " + strconv.FormatInt(c.tag, 10)
		if opts := p.options(c.options); len(opts) > 0 {
			s += " " + p.compactOptions(opts)
		}
		appendIndented(&sb, s+";\n")
	}
	sb.WriteString("}\n")
	return sb.String()
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (p printer) sortFields(fields []*fieldElem) []*fieldElem {
	if !p.normalize() {
		return fields
	}
	out := slices.Clone(fields)
	slices.SortStableFunc(out, func(a, b *fieldElem) int { return cmpInt(a.tag, b.tag) })
	return out
}

func (p printer) sortGroups(groups []*groupElem) []*groupElem {
	if !p.normalize() {
		return groups
	}
	out := slices.Clone(groups)
	slices.SortStableFunc(out, func(a, b *groupElem) int { return cmpInt(a.tag, b.tag) })
	return out
}

// oneofs drops empty oneofs and sorts members and oneofs by number when normalizing.
func (p printer) oneofs(oneofs []*oneofElem) []*oneofElem {
	if !p.normalize() {
		return oneofs
	}
	var out []*oneofElem
	for _, o := range oneofs {
		if len(o.fields) == 0 {
			continue
		}
		c := *o
		c.fields = p.sortFields(o.fields)
		out = append(out, &c)
	}
	slices.SortStableFunc(out, func(a, b *oneofElem) int { return cmpInt(a.fields[0].tag, b.fields[0].tag) })
	return out
}

func (p printer) oneof(o *oneofElem) string {
	var sb strings.Builder
	sb.WriteString("oneof " + o.name + " {")
	if opts := p.options(o.options); len(opts) > 0 {
		sb.WriteByte('\n')
		for _, opt := range opts {
			appendIndented(&sb, p.optionStatement(opt))
		}
	}
	if len(o.fields) > 0 {
		sb.WriteByte('\n')
		for _, f := range o.fields {
			appendIndented(&sb, p.field(f))
		}
	}
	if len(o.groups) > 0 {
		sb.WriteByte('\n')
		for _, g := range p.sortGroups(o.groups) {
			appendIndented(&sb, p.group(g))
		}
	}
	sb.WriteString("}\n")
	return sb.String()
}

func (p printer) group(g *groupElem) string {
	var sb strings.Builder
	if g.label != "" {
		sb.WriteString(g.label + " ")
	}
	sb.WriteString("group " + g.name + " = " + strconv.FormatInt(g.tag, 10) + " {")
	if len(g.fields) > 0 {
		sb.WriteByte('\n')
		for _, f := range p.sortFields(g.fields) {
			appendIndented(&sb, p.field(f))
		}
	}
	sb.WriteString("}\n")
	return sb.String()
}

func (p printer) field(f *fieldElem) string {
	lbl, typ := f.label, f.typ
	isMap := strings.HasPrefix(typ, "map<")
	if p.normalize() {
		if scalarKinds[typ] == "" && !isMap {
			typ = p.qualify(typ)
		}
		if isMap {
			k, v := mapTypes(typ)
			if full := p.ctx.resolveType(v, original); full != "" {
				v = "." + full
			}
			typ = "map<" + k + ", " + v + ">"
			lbl = ""
		}
	}
	var sb strings.Builder
	if lbl != "" {
		sb.WriteString(lbl + " ")
	}
	sb.WriteString(typ + " " + f.name + " = " + strconv.FormatInt(f.tag, 10))
	opts := slices.Clone(f.options)
	if f.defaultVal != nil {
		opts = append(opts, &optionElem{name: "default", kind: defaultKind(f.typ), value: *f.defaultVal})
	}
	if f.jsonName != nil {
		opts = append(opts, &optionElem{name: "json_name", kind: kindString, value: *f.jsonName})
	}
	if opts = p.options(opts); len(opts) > 0 {
		sb.WriteString(" " + p.compactOptions(opts))
	}
	sb.WriteString(";\n")
	return sb.String()
}

// defaultKind is how Confluent prints a field's default: quoted only for strings (bytes
// defaults print unquoted, as Confluent does).
func defaultKind(typ string) optionKind {
	switch typ {
	case "bool":
		return kindBool
	case "string":
		return kindString
	}
	if scalarKinds[typ] != "" {
		return kindNumber
	}
	return kindEnum
}

// qualify is the fully qualified name (with a leading dot) of a type named as written, or the
// name as written when it resolves to nothing.
func (p printer) qualify(name string) string {
	if full := p.ctx.resolveType(name, original); full != "" {
		return "." + full
	}
	return name
}

func (p printer) extends(extends []*extendElem) []*extendElem {
	if !p.normalize() {
		return extends
	}
	var out []*extendElem
	byName := map[string]*extendElem{}
	for _, e := range extends {
		name := p.qualify(e.name)
		g := byName[name]
		if g == nil {
			g = &extendElem{name: name}
			byName[name] = g
			out = append(out, g)
		}
		g.fields = append(g.fields, e.fields...)
	}
	return out
}

func (p printer) extend(e *extendElem) string {
	var sb strings.Builder
	sb.WriteString("extend " + e.name + " {")
	if len(e.fields) > 0 {
		sb.WriteByte('\n')
		for _, f := range p.sortFields(e.fields) {
			appendIndented(&sb, p.field(f))
		}
	}
	sb.WriteString("}\n")
	return sb.String()
}

func (p printer) service(s *serviceElem) string {
	var sb strings.Builder
	sb.WriteString("service " + s.name + " {")
	if opts := p.options(s.options); len(opts) > 0 {
		sb.WriteByte('\n')
		for _, o := range opts {
			appendIndented(&sb, p.optionStatement(o))
		}
	}
	if len(s.rpcs) > 0 {
		sb.WriteByte('\n')
		for _, r := range s.rpcs {
			appendIndented(&sb, p.rpc(r))
		}
	}
	sb.WriteString("}\n")
	return sb.String()
}

func (p printer) rpc(r *rpcElem) string {
	var sb strings.Builder
	sb.WriteString("rpc " + r.name + " (")
	if r.reqStream {
		sb.WriteString("stream ")
	}
	req, res := r.reqType, r.resType
	if p.normalize() {
		req, res = p.qualify(req), p.qualify(res)
	}
	sb.WriteString(req + ") returns (")
	if r.resStream {
		sb.WriteString("stream ")
	}
	sb.WriteString(res + ")")
	if opts := p.options(r.options); len(opts) > 0 {
		sb.WriteString(" {\n")
		for _, o := range opts {
			appendIndented(&sb, p.optionStatement(o))
		}
		sb.WriteByte('}')
	}
	sb.WriteString(";\n")
	return sb.String()
}

// rangeLists splits reserved or extensions statements into one value each and sorts them by
// start when normalizing (names last, by text, for reserved).
func (p printer) rangeLists(lists []rangeList, byText bool) []rangeList {
	if !p.normalize() {
		return lists
	}
	var out []rangeList
	for _, l := range lists {
		for _, v := range l.values {
			out = append(out, rangeList{values: []rangeValue{v}, options: l.options})
		}
	}
	start := func(v rangeValue) int64 {
		if v.name != "" {
			return math.MaxInt32
		}
		return v.start
	}
	text := func(v rangeValue) string {
		switch {
		case v.name != "":
			return v.name
		case v.isRange:
			return strconv.FormatInt(v.start, 10) + ".." + strconv.FormatInt(v.end, 10)
		}
		return strconv.FormatInt(v.start, 10)
	}
	slices.SortStableFunc(out, func(a, b rangeList) int {
		if c := cmpInt(start(a.values[0]), start(b.values[0])); c != 0 || !byText {
			return c
		}
		return strings.Compare(text(a.values[0]), text(b.values[0]))
	})
	return out
}

func (p printer) rangeStatement(keyword string, l rangeList) string {
	var sb strings.Builder
	sb.WriteString(keyword + " ")
	for i, v := range l.values {
		if i > 0 {
			sb.WriteString(", ")
		}
		switch {
		case v.name != "":
			sb.WriteString("\"" + v.name + "\"")
		case !v.isRange || (p.normalize() && v.start == v.end):
			sb.WriteString(strconv.FormatInt(v.start, 10))
		default:
			sb.WriteString(strconv.FormatInt(v.start, 10) + " to ")
			if v.end < maxTag {
				sb.WriteString(strconv.FormatInt(v.end, 10))
			} else {
				sb.WriteString("max")
			}
		}
	}
	if opts := p.options(l.options); len(opts) > 0 {
		sb.WriteString(" " + p.compactOptions(opts))
	}
	sb.WriteString(";\n")
	return sb.String()
}

func (p printer) optionStatement(o *optionElem) string {
	return "option " + p.option(o) + ";\n"
}

func (p printer) option(o *optionElem) string {
	var sb strings.Builder
	if o.parenthesized {
		sb.WriteString("(" + o.name + ")")
	} else {
		sb.WriteString(o.name)
	}
	switch o.kind {
	case kindString:
		sb.WriteString(" = \"" + escapeChars(o.value.(string)) + "\"")
	case kindBool, kindEnum:
		sb.WriteString(" = " + o.value.(string))
	case kindNumber:
		sb.WriteString(" = " + p.number(o.value.(string)))
	case kindOption:
		// A nested option never prints its own parentheses.
		sb.WriteString("." + p.option(o.value.(*optionElem)))
	case kindMap:
		sb.WriteString(" = {\n")
		p.optionMap(&sb, o.value.(*optionMap))
		sb.WriteByte('}')
	case kindList:
		sb.WriteString(" = " + p.compactValues(o.value.([]any)))
	}
	return sb.String()
}

// compactOptions prints options in brackets: one on the same line, several one per line.
func (p printer) compactOptions(opts []*optionElem) string {
	values := make([]any, len(opts))
	for i, o := range opts {
		values[i] = o
	}
	return p.compactValues(values)
}

func (p printer) compactValues(values []any) string {
	if len(values) == 1 {
		return "[" + p.value(values[0]) + "]"
	}
	var sb strings.Builder
	sb.WriteString("[\n")
	for i, v := range values {
		s := p.value(v)
		if i < len(values)-1 {
			s += ","
		}
		appendIndented(&sb, s)
	}
	sb.WriteByte(']')
	return sb.String()
}

func (p printer) optionMap(sb *strings.Builder, m *optionMap) {
	keys, values := m.keys, m.values
	if p.normalize() {
		keys, values = p.normalizeMap(m)
	}
	for i, k := range keys {
		s := k + ": " + p.value(values[k])
		if i < len(keys)-1 {
			s += ","
		}
		appendIndented(sb, s)
	}
}

// normalizeMap drops empty lists, qualifies extension keys and sorts the keys.
func (p printer) normalizeMap(m *optionMap) ([]string, map[string]any) {
	values := map[string]any{}
	var keys []string
	for _, k := range m.keys {
		v := m.values[k]
		if l, ok := v.([]any); ok && len(l) == 0 {
			continue
		}
		if strings.HasPrefix(k, "[") && strings.HasSuffix(k, "]") {
			if full := p.ctx.resolveExtend(k[1:len(k)-1], original); full != "" {
				k = "[" + full + "]"
			}
		}
		if _, dup := values[k]; dup {
			continue
		}
		values[k] = v
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys, values
}

func (p printer) value(v any) string {
	switch v := v.(type) {
	case string:
		return "\"" + escapeChars(v) + "\""
	case *optionMap:
		var sb strings.Builder
		sb.WriteString("{\n")
		p.optionMap(&sb, v)
		sb.WriteByte('}')
		return sb.String()
	case []any:
		if p.normalize() && len(v) == 1 {
			return p.value(v[0])
		}
		var sb strings.Builder
		sb.WriteString("[\n")
		for i, e := range v {
			s := p.value(e)
			if i < len(v)-1 {
				s += ","
			}
			appendIndented(&sb, s)
		}
		sb.WriteByte(']')
		return sb.String()
	case primitive:
		if v.kind == kindNumber {
			return p.number(v.text)
		}
		return v.text
	case *optionElem:
		return p.option(v)
	}
	return ""
}

// number is a numeric literal as written, or, when normalizing, as Java's DecimalFormat
// prints it: plain decimal, no grouping, at most three fraction digits.
func (p printer) number(text string) string {
	if !p.normalize() {
		return text
	}
	if i, err := strconv.ParseInt(text, 0, 64); err == nil {
		return strconv.FormatInt(i, 10)
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return text
	}
	s := strconv.FormatFloat(f, 'f', 3, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		s = "0"
	}
	return s
}

// options is the list as written, or, when normalizing: extension names qualified, sorted by
// name, and repeated settings of one non-repeated message-typed option merged into one.
func (p printer) options(opts []*optionElem) []*optionElem {
	if !p.normalize() || len(opts) == 0 {
		return opts
	}
	resolved := make([]*optionElem, 0, len(opts))
	for _, o := range opts {
		if o.parenthesized {
			if full := p.ctx.resolveExtend(o.name, original); full != "" {
				c := *o
				c.name = full
				resolved = append(resolved, asMap(&c))
				continue
			}
		}
		resolved = append(resolved, o)
	}
	slices.SortStableFunc(resolved, func(a, b *optionElem) int { return strings.Compare(a.name, b.name) })
	var out []*optionElem
	for i := 0; i < len(resolved); {
		j := i
		for j < len(resolved) && resolved[j].name == resolved[i].name {
			j++
		}
		group := resolved[i:j]
		info := p.ctx.extends[original][resolved[i].name]
		if info != nil && info.field.label != "repeated" {
			merged := group[0]
			for _, o := range group[1:] {
				merged = mergeOption(merged, asMap(o))
			}
			out = append(out, merged)
		} else {
			out = append(out, group...)
		}
		i = j
	}
	return out
}

// asMap turns (foo).bar.baz = 1 into (foo) = { bar: { baz: 1 } }.
func asMap(o *optionElem) *optionElem {
	if o.kind != kindOption {
		return o
	}
	c := *o
	c.kind, c.value = kindMap, nestedMap(o)
	return &c
}

func nestedMap(o *optionElem) *optionMap {
	inner := o.value.(*optionElem)
	var v any
	switch inner.kind {
	case kindBool, kindEnum, kindNumber:
		v = primitive{kind: inner.kind, text: inner.value.(string)}
	case kindOption:
		v = nestedMap(inner)
	default:
		v = inner.value
	}
	return &optionMap{keys: []string{inner.name}, values: map[string]any{inner.name: v}}
}

func mergeOption(existing, replacement *optionElem) *optionElem {
	em, ok1 := existing.value.(*optionMap)
	rm, ok2 := replacement.value.(*optionMap)
	if existing.kind != kindMap || replacement.kind != kindMap || !ok1 || !ok2 {
		return replacement
	}
	c := *replacement
	c.value = mergeMaps(em, rm)
	return &c
}

// mergeMaps merges two message literals set for one option: nested literals merge, other
// values set twice collect into a list.
func mergeMaps(a, b *optionMap) *optionMap {
	out := &optionMap{keys: slices.Clone(a.keys), values: map[string]any{}}
	for k, v := range a.values {
		out.values[k] = v
	}
	for _, k := range b.keys {
		v := b.values[k]
		prev, seen := out.values[k]
		switch {
		case !seen:
			out.keys = append(out.keys, k)
			out.values[k] = v
		case isMap(prev) && isMap(v):
			out.values[k] = mergeMaps(prev.(*optionMap), v.(*optionMap))
		default:
			// Values set twice collect into a list without repeats, as Confluent's set does.
			var list []any
			seenValue := map[string]bool{}
			for _, x := range []any{prev, v} {
				items, ok := x.([]any)
				if !ok {
					items = []any{x}
				}
				for _, it := range items {
					if key := fmt.Sprintf("%T%v", it, printer{}.value(it)); !seenValue[key] {
						seenValue[key] = true
						list = append(list, it)
					}
				}
			}
			out.values[k] = list
		}
	}
	return out
}

func isMap(v any) bool {
	_, ok := v.(*optionMap)
	return ok
}

// appendIndented indents every line of s by two spaces; like Java's String.split, trailing
// empty lines are dropped and inner ones kept.
func appendIndented(sb *strings.Builder, s string) {
	lines := strings.Split(s, "\n")
	for len(lines) > 1 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for _, l := range lines {
		sb.WriteString("  " + l + "\n")
	}
}

// escapeChars escapes a string value for printing inside double quotes, as Confluent does.
func escapeChars(s string) string {
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\a':
			sb.WriteString(`\a`)
		case '\b':
			sb.WriteString(`\b`)
		case '\f':
			sb.WriteString(`\f`)
		case '\n':
			sb.WriteString(`\n`)
		case '\r':
			sb.WriteString(`\r`)
		case '\t':
			sb.WriteString(`\t`)
		case '\v':
			sb.WriteString(`\v`)
		case '\\':
			sb.WriteString(`\\`)
		case '\'':
			sb.WriteString(`\'`)
		case '"':
			sb.WriteString(`\"`)
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String()
}

// normalizeContext knows the schema's types and extension fields, for resolving names.
func (s *Schema) normalizeContext() *typeContext {
	c := newTypeContext()
	c.collect(s, original)
	return c
}
