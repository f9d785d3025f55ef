package protobuf

import (
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
// scope, refers to, or "" when it refers to nothing known.
func (c *typeContext) resolve(name string, sd side, known func(string, side) bool) string {
	if len(c.types[sd]) == 0 {
		return ""
	}
	if rest, ok := strings.CutPrefix(name, "."); ok {
		if known(rest, sd) {
			return rest
		}
		return ""
	}
	var prefix []string
	if c.pkg[sd] != "" {
		prefix = strings.Split(c.pkg[sd], ".")
	}
	prefix = append(prefix, c.scope...)
	for len(prefix) > 0 {
		n := strings.Join(prefix, ".") + "." + name
		if known(n, sd) {
			return n
		}
		prefix = prefix[:len(prefix)-1]
	}
	if known(name, sd) {
		return name
	}
	return ""
}

func (c *typeContext) isType(name string, sd side) bool { return c.types[sd][name] != nil }

func (c *typeContext) isExtend(name string, sd side) bool { return c.extends[sd][name] != nil }

func (c *typeContext) resolveType(name string, sd side) string {
	return c.resolve(name, sd, c.isType)
}

// typeOf is the type name refers to from the current scope, or nil.
func (c *typeContext) typeOf(name string, sd side) *typeInfo {
	full := c.resolveType(name, sd)
	if full == "" {
		return nil
	}
	return c.types[sd][full]
}
