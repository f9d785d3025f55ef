package catalog

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// node is a value in a document with where it is, so references resolve against the right file
// and errors name the file and the JSON path.
type node struct {
	v    any
	file string // the file holding v, relative to the document's directory
	path string // JSON path of v in that file
	ref  string // file#pointer of the last $ref followed to reach v, "" if none
}

// reader walks one document, following $refs across its files.
type reader struct {
	files *documentFiles
}

func (r *reader) fail(n node, format string, args ...any) error {
	return &DocumentError{File: r.files.fileName(n.file), Path: n.path, Reason: fmt.Sprintf(format, args...)}
}

// follow resolves one $ref found at n.
func (r *reader) follow(n node, ref string) (node, error) {
	target, pointer, err := r.files.refTarget(ref, n.file)
	if err != nil {
		return node{}, r.fail(n, "%v", err)
	}
	tree, err := r.files.load(target)
	if err != nil {
		var de *DocumentError
		if errors.As(err, &de) {
			return node{}, err
		}
		return node{}, r.fail(n, "$ref %q: %v", ref, err)
	}
	v, err := lookup(tree, pointer)
	if err != nil {
		return node{}, r.fail(n, "$ref %q points to nothing: %v", ref, err)
	}
	return node{v: v, file: target, path: pointerPath(pointer), ref: target + "#" + pointer}, nil
}

// refOf returns the $ref of a reference object, or "" if n is not one.
func (r *reader) refOf(n node) (string, error) {
	m, ok := n.v.(map[string]any)
	if !ok {
		return "", nil
	}
	raw, ok := m["$ref"]
	if !ok {
		return "", nil
	}
	ref, ok := raw.(string)
	if !ok {
		return "", r.fail(n, "$ref must be a string")
	}
	return ref, nil
}

// deref follows $refs until n is not a reference object.
func (r *reader) deref(n node) (node, error) {
	var chain []string
	for {
		ref, err := r.refOf(n)
		if err != nil || ref == "" {
			return n, err
		}
		next, err := r.follow(n, ref)
		if err != nil {
			return node{}, err
		}
		for _, seen := range chain {
			if seen == next.ref {
				return node{}, r.fail(n, "$ref cycle: %s", strings.Join(append(chain, next.ref), " -> "))
			}
		}
		chain = append(chain, next.ref)
		n = next
	}
}

// child returns the value at key of the object n, dereferenced; its v is nil when absent.
func (r *reader) child(n node, key string) (node, error) {
	c := node{file: n.file, path: childPath(n.path, key)}
	m, ok := n.v.(map[string]any)
	if !ok {
		return c, nil
	}
	c.v = m[key]
	return r.deref(c)
}

// object returns n as an object; absent (nil) is an empty object.
func (r *reader) object(n node) (map[string]any, error) {
	switch v := n.v.(type) {
	case nil:
		return map[string]any{}, nil
	case map[string]any:
		return v, nil
	default:
		return nil, r.fail(n, "want an object, found %s", describe(v))
	}
}

// str returns the string at key of the object n; absent is "".
func (r *reader) str(n node, key string) (string, error) {
	c, err := r.child(n, key)
	if err != nil || c.v == nil {
		return "", err
	}
	s, ok := c.v.(string)
	if !ok {
		return "", r.fail(c, "want a string, found %s", describe(c.v))
	}
	return s, nil
}

// inline returns n with every $ref replaced by what it points to, refusing reference cycles.
func (r *reader) inline(n node) (any, error) {
	return r.inlineAt(n, nil, 0)
}

func (r *reader) inlineAt(n node, stack []string, depth int) (any, error) {
	if depth > maxDepth {
		return nil, r.fail(n, "nested more than %d levels deep", maxDepth)
	}
	switch v := n.v.(type) {
	case map[string]any:
		ref, err := r.refOf(n)
		if err != nil {
			return nil, err
		}
		if ref != "" {
			target, err := r.follow(n, ref)
			if err != nil {
				return nil, err
			}
			for _, seen := range stack {
				if seen == target.ref {
					return nil, r.fail(n, "$ref cycle: %s", strings.Join(append(stack, target.ref), " -> "))
				}
			}
			return r.inlineAt(target, append(stack, target.ref), depth+1)
		}
		out := make(map[string]any, len(v))
		for k, c := range v {
			ic, err := r.inlineAt(node{v: c, file: n.file, path: childPath(n.path, k)}, stack, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = ic
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, c := range v {
			ic, err := r.inlineAt(node{v: c, file: n.file, path: fmt.Sprintf("%s[%d]", n.path, i)}, stack, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = ic
		}
		return out, nil
	default:
		return v, nil
	}
}

// withTraits returns the object n with its values inlined (except the keys in keep, left as
// they are) and its traits merged in with JSON Merge Patch, in order. In AsyncAPI 2.x a trait
// overrides the object's own value; in 3.x (objectWins) it never does.
func (r *reader) withTraits(n node, objectWins bool, keep ...string) (map[string]any, error) {
	m, err := r.object(n)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	for k, v := range m {
		if k == "traits" {
			continue
		}
		if contains(keep, k) {
			out[k] = v
			continue
		}
		iv, err := r.inline(node{v: v, file: n.file, path: childPath(n.path, k)})
		if err != nil {
			return nil, err
		}
		out[k] = iv
	}
	traits, err := r.child(n, "traits")
	if err != nil || traits.v == nil {
		return out, err
	}
	list, ok := traits.v.([]any)
	if !ok {
		return nil, r.fail(traits, "want a list of traits, found %s", describe(traits.v))
	}
	merged := map[string]any{}
	for i, t := range list {
		tn := node{v: t, file: traits.file, path: fmt.Sprintf("%s[%d]", traits.path, i)}
		tv, err := r.inline(tn)
		if err != nil {
			return nil, err
		}
		trait, ok := tv.(map[string]any)
		if !ok {
			return nil, r.fail(tn, "want a trait object, found %s", describe(tv))
		}
		if objectWins {
			merged = mergePatch(merged, trait)
		} else {
			out = mergePatch(out, trait)
		}
	}
	if objectWins {
		out = mergePatch(merged, out)
	}
	return out, nil
}

// mergePatch applies patch to target as RFC 7396 JSON Merge Patch says, changing target.
func mergePatch(target, patch map[string]any) map[string]any {
	for k, pv := range patch {
		if pv == nil {
			delete(target, k)
			continue
		}
		pm, pok := pv.(map[string]any)
		tm, tok := target[k].(map[string]any)
		if pok && tok {
			target[k] = mergePatch(tm, pm)
			continue
		}
		if pok {
			target[k] = mergePatch(map[string]any{}, pm)
			continue
		}
		target[k] = pv
	}
	return target
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// childPath extends a JSON path by an object key: $.info.title, $.channels["a/b"].
func childPath(path, key string) string {
	if identifier.MatchString(key) {
		return path + "." + key
	}
	return path + "[" + strconv.Quote(key) + "]"
}

// pointerPath writes a JSON pointer as a JSON path.
func pointerPath(pointer string) string {
	p := "$"
	if pointer == "" || pointer == "/" {
		return p
	}
	for _, tok := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		p = childPath(p, unescapePointer(tok))
	}
	return p
}

// sortedKeys returns the keys of m in order, so imports are deterministic.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func describe(v any) string {
	switch v.(type) {
	case nil:
		return "nothing"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	default:
		return "a number"
	}
}

// normalize turns what the YAML decoder gives (maps with non-string keys, timestamps) into
// JSON-shaped values.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			x[k] = normalize(c)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, c := range x {
			m[fmt.Sprint(k)] = normalize(c)
		}
		return m
	case []any:
		for i, c := range x {
			x[i] = normalize(c)
		}
		return x
	case time.Time:
		return x.Format(time.RFC3339Nano)
	default:
		return v
	}
}
