package protobuf

import (
	"bytes"
	"slices"
	"strings"
)

// side tells which of the two schemas of a comparison a lookup is about.
type side int

const (
	original side = iota
	update
)

// refInfo is the registry reference a file came through. The schema itself carries the
// empty subject and version -1, so that two local types compare as "same source".
type refInfo struct {
	subject string
	version int
}

var localRef = &refInfo{subject: "", version: -1}

type typeInfo struct {
	pkg  string
	ref  *refInfo // nil for a file reached without a direct reference (well-known, transitive)
	msg  *messageElem
	enum *enumElem
}

type extendInfo struct {
	field *fieldElem
}

// typeContext knows every type and extension field of both schemas (and their imports) by
// full name, and resolves a name as written from the current scope the way Confluent does:
// innermost scope first, then outwards, then the name as given.
type typeContext struct {
	types   [2]map[string]*typeInfo
	extends [2]map[string]*extendInfo
	pkg     [2]string
	path    []string // the difference path: names and, inside messages, oneofs and numbers
	scope   []string // the part of path that names types, for resolution
	scratch []byte   // resolve's candidate names
}

func newTypeContext() *typeContext {
	return &typeContext{
		types:   [2]map[string]*typeInfo{{}, {}},
		extends: [2]map[string]*extendInfo{{}, {}},
	}
}

// collect registers the types of s's imports and then of s itself; the package left set is
// s's own.
func (c *typeContext) collect(s *Schema, sd side) {
	for _, d := range s.deps {
		c.collectFile(d.file, d.ref, sd)
	}
	c.collectFile(s.file, localRef, sd)
}

func (c *typeContext) collectFile(f *fileElem, ref *refInfo, sd side) {
	c.pkg[sd] = f.pkg
	c.collectExtends(f.extends, sd)
	c.collectTypes(f.types, ref, sd)
}

func (c *typeContext) collectTypes(types []typeElem, ref *refInfo, sd side) {
	for _, t := range types {
		c.enterName(t.name())
		info := &typeInfo{pkg: c.pkg[sd], ref: ref, msg: t.msg, enum: t.enum}
		c.types[sd][c.qualified(sd)] = info
		if t.msg != nil {
			c.collectExtends(t.msg.extends, sd)
			c.collectTypes(t.msg.nested, ref, sd)
		}
		c.leaveName()
	}
}

func (c *typeContext) collectExtends(extends []*extendElem, sd side) {
	for _, e := range extends {
		for _, f := range e.fields {
			c.enterName(f.name)
			c.extends[sd][c.qualified(sd)] = &extendInfo{field: f}
			c.leaveName()
		}
	}
}

func (c *typeContext) qualified(sd side) string {
	name := strings.Join(c.path, ".")
	if c.pkg[sd] != "" {
		name = c.pkg[sd] + "." + name
	}
	return name
}

func (c *typeContext) enterName(name string) {
	c.path = append(c.path, name)
	c.scope = append(c.scope, name)
}

func (c *typeContext) leaveName() {
	c.path = c.path[:len(c.path)-1]
	c.scope = c.scope[:len(c.scope)-1]
}

func (c *typeContext) enterPath(p string) { c.path = append(c.path, p) }
func (c *typeContext) leavePath()         { c.path = c.path[:len(c.path)-1] }

// setFullName puts the context inside the type with the given dotted local name.
func (c *typeContext) setFullName(name string) {
	parts := strings.Split(name, ".")
	c.path = slices.Clone(parts)
	c.scope = slices.Clone(parts)
}

// resolve returns the full name (without leading dot) that name, as written in the current
// scope, refers to among known's names, or "" when it refers to nothing known: the package and
// scope joined, then shortened a part at a time, each with name appended. The candidates are
// written into one scratch buffer and looked up without making strings (a field's type is
// resolved on every comparison, and most are scalars that resolve to nothing).
func resolve[V any](c *typeContext, known map[string]*V, name string, sd side) string {
	if len(c.types[sd]) == 0 {
		return ""
	}
	if rest, ok := strings.CutPrefix(name, "."); ok {
		if known[rest] != nil {
			return rest
		}
		return ""
	}
	b := append(c.scratch[:0], c.pkg[sd]...)
	for _, part := range c.scope {
		if len(b) > 0 {
			b = append(b, '.')
		}
		b = append(b, part...)
	}
	defer func() { c.scratch = b[:0] }()
	for n := len(b); n > 0; {
		b = append(append(b[:n], '.'), name...)
		if known[string(b)] != nil {
			return string(b)
		}
		n = max(bytes.LastIndexByte(b[:n], '.'), 0)
	}
	if known[name] != nil {
		return name
	}
	return ""
}

func (c *typeContext) resolveType(name string, sd side) string {
	return resolve(c, c.types[sd], name, sd)
}

func (c *typeContext) resolveExtend(name string, sd side) string {
	return resolve(c, c.extends[sd], name, sd)
}

// typeOf is the type name refers to from the current scope, or nil.
func (c *typeContext) typeOf(name string, sd side) *typeInfo {
	full := c.resolveType(name, sd)
	if full == "" {
		return nil
	}
	return c.types[sd][full]
}
