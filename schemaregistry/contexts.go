package schemaregistry

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Contexts, as Confluent's QualifiedSubject reads them: a subject named ":.staging:orders-value"
// is "orders-value" in the context ".staging"; a name that names no context is in the default
// context ".". Each context has its own schema ids, so one registry can hold one registry per
// environment or tenant. Subjects are stored under their qualified names (default-context ones
// as they always were); config and mode rows of a context's own are keyed ":.staging:".
const (
	// DefaultContext is the context of subjects whose names name none.
	DefaultContext = "."
	// ContextWildcard as a subject prefix (":*:", or ":*:orders" for a prefix within each
	// context) lists every context's subjects.
	ContextWildcard = ":*:"
	// globalContext holds config and mode that apply where no context or global row does
	// (Confluent's ":.__GLOBAL:"); no subject may be registered in it.
	globalContext = ".__GLOBAL"
)

// SplitSubject returns the context (space) a subject name names and the name within it: for
// ":.staging:orders-value", ".staging" and "orders-value"; for ":.staging" (a context alone),
// ".staging" and ""; for ":*:orders", "*" and "orders"; for any other name, "." and the name.
func SplitSubject(subject string) (space, name string) {
	switch {
	case strings.HasPrefix(subject, ":."):
		rest := subject[1:]
		if i := strings.IndexByte(rest, ':'); i >= 0 {
			return rest[:i], rest[i+1:]
		}
		return rest, ""
	case strings.HasPrefix(subject, ContextWildcard):
		return "*", subject[len(ContextWildcard):]
	}
	return DefaultContext, subject
}

// qualify is the subject name of name in context: name itself in the default context.
func qualify(space, name string) string {
	if space == DefaultContext {
		return name
	}
	return ":" + space + ":" + name
}

// NormalizeSubject is the name the registry keeps a subject under, as Confluent normalizes it:
// ":.:orders" is "orders" (the default context named), ":.staging" is ":.staging:".
func NormalizeSubject(subject string) string {
	ctx, name := SplitSubject(subject)
	if ctx == "*" {
		return subject
	}
	return qualify(ctx, name)
}

// contextOf is the context subject (a stored, normalized name) is in.
func contextOf(subject string) string {
	ctx, _ := SplitSubject(subject)
	return ctx
}

// qualifyReference is the subject a reference from a schema of context names: a reference that
// names no context is to a subject of the same context, as Confluent resolves references.
func qualifyReference(space, subject string) string {
	refCtx, name := SplitSubject(subject)
	if refCtx == DefaultContext {
		return qualify(space, name)
	}
	return qualify(refCtx, name)
}

// ReferencedSubject is the subject a reference to ref names in a schema of subject from.
func ReferencedSubject(from, ref string) string {
	return qualifyReference(contextOf(from), ref)
}

// validContextSubject refuses a subject that cannot hold versions: one in the wildcard or the
// global context, or a context alone (":.staging:"); Confluent answers 42208 for those too,
// except the wildcard, which it would store as a context named "*".
func validContextSubject(subject string) error {
	ctx, name := SplitSubject(subject)
	if ctx == "*" || ctx == globalContext || name == "" {
		return newError(CodeInvalidSubject, "The specified subject '%s' is not a valid subject name: a subject in a context is written :.context:name, with a name, outside the :*: wildcard and the :.__GLOBAL: context", subject)
	}
	return nil
}

// A schema's key in the store is its context's number times idSpace plus its id in the
// context; the default context's number is 0, so its keys are its ids.
const idSpace = 1 << 32

// publicID is the id a client sees for a schema's store key: its id in its context.
func publicID(key int) int { return key % idSpace }

// contextNumbers maps context names to their numbers in the store and back. A context keeps
// its number for good (deleting a context only marks it deleted), so what it holds is never
// stale.
type contextNumbers struct {
	mu       sync.RWMutex
	byName   map[string]int
	byNumber map[int]string
}

func (c *contextNumbers) get(name string) (int, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n, ok := c.byName[name]
	return n, ok
}

func (c *contextNumbers) name(number int) (string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	name, ok := c.byNumber[number]
	return name, ok
}

func (c *contextNumbers) put(name string, number int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byName == nil {
		c.byName, c.byNumber = map[string]int{}, map[int]string{}
	}
	c.byName[name], c.byNumber[number] = number, name
}

// contextNumber is the store's number of context; ok is false when no subject was ever
// registered in it.
func (r *Registry) contextNumber(ctx context.Context, name string) (number int, ok bool, err error) {
	if name == DefaultContext {
		return 0, true, nil
	}
	if n, ok := r.contextNums.get(name); ok {
		return n, true, nil
	}
	if unstorable(name) {
		return 0, false, nil
	}
	n, err := r.store.contextNumber(ctx, name)
	if errors.Is(err, errNoRow) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, storeError("read context", err)
	}
	r.contextNums.put(name, n)
	return n, true, nil
}

// contextOfKey is the name of the context of the schema with store key.
func (r *Registry) contextOfKey(ctx context.Context, key int) (string, error) {
	number := key / idSpace
	if number == 0 {
		return DefaultContext, nil
	}
	if name, ok := r.contextNums.name(number); ok {
		return name, nil
	}
	name, err := r.store.contextName(ctx, number)
	if err != nil {
		return "", storeError("read context", err)
	}
	r.contextNums.put(name, number)
	return name, nil
}

// ContextFilter selects contexts in a listing.
type ContextFilter struct {
	Prefix string // only contexts whose name starts with it
	Offset int
	Limit  int // 0 or less: no limit
}

// contextNames lists the contexts besides the default one that are not deleted, sorted.
func (r *Registry) contextNames(ctx context.Context) ([]string, error) {
	if names, ok := r.cache.contextList(); ok {
		return names, nil
	}
	gen := r.cache.generation()
	names, err := r.store.contexts(ctx)
	if err != nil {
		return nil, storeError("list contexts", err)
	}
	slices.Sort(names)
	r.cache.putContexts(names, gen)
	return names, nil
}

// Contexts lists the default context and every context a subject was registered in and that
// was not deleted since, sorted with the default one first, as Confluent's GET /contexts.
func (r *Registry) Contexts(ctx context.Context, f ContextFilter) ([]string, error) {
	names, err := r.contextNames(ctx)
	if err != nil {
		return nil, err
	}
	all := append([]string{DefaultContext}, names...) // "." sorts before every other name
	out := []string{}
	for _, c := range all {
		if strings.HasPrefix(c, f.Prefix) {
			out = append(out, c)
		}
	}
	return Page(out, f.Offset, f.Limit), nil
}

// ParseContext reads a context as a URL names it, as Confluent's ContextFilter does: ".staging",
// "staging" and ":.staging:" are ".staging"; ".", ":.:" and "" the default context. A colon
// inside is refused with 400.
func ParseContext(s string) (string, error) {
	name := strings.TrimSuffix(strings.TrimPrefix(s, ":"), ":")
	if strings.Contains(name, ":") {
		return "", &Error{Code: 400, Message: "Context name '" + name + "' cannot contain a colon"}
	}
	if !strings.HasPrefix(name, ".") {
		name = "." + name
	}
	return name, nil
}

// DeleteContext removes the context (as ParseContext reads it) from the listing. It must hold
// no subject, soft-deleted ones included (42211); it keeps its ids, so a subject registered in
// it again does not get one a client saw before. The default context cannot be deleted (42205);
// a context never used deletes as an empty one does.
func (r *Registry) DeleteContext(ctx context.Context, space string) error {
	name, err := ParseContext(space)
	if err != nil {
		return err
	}
	if name == DefaultContext {
		return newError(CodeOperationNotPermitted, "The default context cannot be deleted")
	}
	if unstorable(name) {
		return nil
	}
	return r.write(ctx, "delete context", func(tx storeTx) (invalidation, error) {
		n, err := tx.subjectsIn(ctx, qualify(name, ""))
		if err != nil {
			return invalidation{}, err
		}
		if n > 0 {
			return invalidation{}, newError(CodeContextNotEmpty, "Context %s is not empty: it holds %d subjects; delete them permanently first", qualify(name, ""), n)
		}
		return invalidation{subjects: []string{qualify(name, "")}}, tx.deleteContext(ctx, name)
	})
}

// ContextID is a schema's id in one context.
type ContextID struct {
	Context string `json:"context"`
	ID      int    `json:"id"`
}

// IDsByGUID lists the ids the schema with guid has, one per context that holds it, the default
// context first, then by name (40403 when none does).
func (r *Registry) IDsByGUID(ctx context.Context, guid string) ([]ContextID, error) {
	guid = strings.ToLower(guid)
	keys, err := r.store.schemaKeysByGUID(ctx, guid)
	if err != nil {
		return nil, storeError("read schema", err)
	}
	out := []ContextID{}
	for _, key := range keys {
		c, err := r.contextOfKey(ctx, key)
		if err != nil {
			return nil, err
		}
		out = append(out, ContextID{Context: c, ID: publicID(key)})
	}
	if len(out) == 0 {
		return nil, errSchemaNotFound(guid)
	}
	// "." sorts before every other context's name; in each context the lowest id stays.
	slices.SortStableFunc(out, func(a, b ContextID) int { return strings.Compare(a.Context, b.Context) })
	return slices.CompactFunc(out, func(a, b ContextID) bool { return a.Context == b.Context }), nil
}

// contextScopes are the config and mode rows that apply to subject after its own, in order: its
// context's (the global row in the default context), then the :.__GLOBAL: context's.
func contextScopes(subject string) []string {
	ctx := contextOf(subject)
	first := globalKey
	if ctx != DefaultContext && ctx != globalContext {
		first = qualify(ctx, "")
	}
	return []string{first, qualify(globalContext, "")}
}

// schemaKey is the store key of the schema a client means by id and ?subject=subject, found as
// Confluent finds it: in the subject's context, for a subject of that context that has a
// version with the id (any subject for a context alone, ":.staging:"). A subject of the
// default context that has no version with the id is looked for in each other context under
// the same name, and then the id is the default context's.
func (r *Registry) schemaKey(ctx context.Context, id int, subject string) (int, error) {
	notFound := errSchemaNotFound(strconv.Itoa(id))
	subject = NormalizeSubject(subject)
	c, name := SplitSubject(subject)
	if subject == "" {
		return id, nil
	}
	number, ok, err := r.contextNumber(ctx, c)
	if err != nil || !ok {
		return 0, cmp.Or(err, error(notFound))
	}
	key := number*idSpace + id
	if name == "" {
		return key, nil
	}
	if uses, err := r.uses(ctx, subject, key); err != nil || uses {
		return key, err
	}
	if c != DefaultContext {
		return 0, notFound
	}
	names, err := r.contextNames(ctx)
	if err != nil {
		return 0, err
	}
	for _, other := range names {
		number, ok, err := r.contextNumber(ctx, other)
		if err != nil {
			return 0, err
		}
		if !ok {
			continue
		}
		k := number*idSpace + id
		if uses, err := r.uses(ctx, qualify(other, name), k); err != nil || uses {
			return k, err
		}
	}
	return id, nil
}

// uses reports whether a version of subject, soft-deleted or not, has the schema with key.
func (r *Registry) uses(ctx context.Context, subject string, key int) (bool, error) {
	rows, err := r.versions(ctx, subject)
	return slices.ContainsFunc(rows, func(v versionRow) bool { return v.schemaID == key }), err
}
