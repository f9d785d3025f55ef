package protobuf

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/ast"
	"github.com/bufbuild/protocompile/parser"
	"github.com/bufbuild/protocompile/reporter"
	"github.com/bufbuild/protocompile/wellknownimports"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/eventlens/eventlens/schemaregistry/format"
)

// Limits on what Parse accepts, so that a hostile schema costs little. Real schemas are far
// below them: descriptor.proto, one of the largest, is 55 KB and nests 4 deep.
const (
	MaxSchemaBytes = 1 << 20 // one schema or one reference text
	MaxTotalBytes  = 8 << 20 // a schema and all its references
	MaxReferences  = 1000
	MaxNesting     = 64 // braces, brackets and angle brackets open at once
)

// mainFile is the name the schema being parsed compiles under; no reference may take it, and
// a schema importing it only imports itself, which the compiler reports as a cycle.
const mainFile = "\x00schema.proto"

// builtins are the imports Confluent resolves without a reference: google/type/* and
// confluent/* (embedded here) and google/protobuf/* (from protocompile).
//
//go:embed imports/google/type/*.proto imports/confluent/*.proto imports/confluent/type/*.proto
var builtins embed.FS

// ErrTooLarge marks a schema refused for its size or its number of references (the registry
// answers it with 42209); errors carrying it also carry format.ErrInvalidSchema. It is
// format.ErrTooLarge, shared by every format.
var ErrTooLarge = format.ErrTooLarge

// Format parses Protobuf schemas.
type Format struct{}

var _ format.Format = Format{}

// Type is the registry's name for Protobuf.
func (Format) Type() string { return "PROTOBUF" }

// Schema is a parsed .proto schema with the imports it was parsed with.
type Schema struct {
	file       *fileElem
	deps       []depFile
	canonical  string
	normalized string
}

type depFile struct {
	name string
	file *fileElem
	ref  *refInfo
}

var _ format.Schema = (*Schema)(nil)

// Canonical is Confluent's canonical text: the schema re-printed from its parsed form.
func (s *Schema) Canonical() string { return s.canonical }

// Normalized is Confluent's normalized text (normalize=true).
func (s *Schema) Normalized() string { return s.normalized }

// Parse validates text as a .proto file whose imports resolve through refs (by import path)
// or to the imports Confluent knows without a reference.
func (Format) Parse(text string, refs []format.Reference) (format.Schema, error) {
	return Parse(text, refs)
}

// Parse is Format.Parse returning the concrete type.
func Parse(text string, refs []format.Reference) (*Schema, error) {
	if len(refs) > MaxReferences {
		return nil, tooLarge("%d references, more than the %d allowed", len(refs), MaxReferences)
	}
	total := len(text)
	byName := make(map[string]format.Reference, len(refs))
	for _, r := range refs {
		if r.Name == mainFile {
			return nil, invalid("reference name %q is not allowed", r.Name)
		}
		total += len(r.Schema)
		byName[r.Name] = r
	}
	if total > MaxTotalBytes {
		return nil, tooLarge("schema and references are %d bytes, more than the %d allowed", total, MaxTotalBytes)
	}

	main, err := parseText(mainFile, text)
	if err != nil {
		return nil, err
	}
	asts := map[string]*ast.FileNode{mainFile: main}
	var mu sync.Mutex // the compiler resolves imports from several goroutines
	resolve := func(name string) (protocompile.SearchResult, error) {
		mu.Lock()
		defer mu.Unlock()
		if f, ok := asts[name]; ok {
			return protocompile.SearchResult{AST: f}, nil
		}
		if r, ok := byName[name]; ok {
			f, err := parseText(name, r.Schema)
			if err != nil {
				return protocompile.SearchResult{}, err
			}
			asts[name] = f
			return protocompile.SearchResult{AST: f}, nil
		}
		if f, err := builtinAST(name); err == nil {
			return protocompile.SearchResult{AST: f}, nil
		}
		return protocompile.SearchResult{}, fs.ErrNotExist
	}
	var firstErr error
	compiler := protocompile.Compiler{
		Resolver:       protocompile.WithStandardImports(protocompile.ResolverFunc(resolve)),
		MaxParallelism: 1,
		Reporter: reporter.NewReporter(func(err reporter.ErrorWithPos) error {
			if firstErr == nil {
				firstErr = err
			}
			return err
		}, nil),
	}
	files, err := compiler.Compile(context.Background(), mainFile)
	if err != nil {
		if firstErr != nil {
			err = firstErr
		}
		return nil, invalid("%s", describe(err))
	}

	s := &Schema{file: buildFile(main)}
	direct := map[string]bool{}
	for _, imp := range append(append([]string(nil), s.file.imports...), s.file.publicImports...) {
		direct[imp] = true
	}
	// Every file reached through imports, in breadth-first order, becomes a dependency.
	seen := map[string]bool{mainFile: true}
	queue := []protoreflect.FileDescriptor{files[0]}
	for len(queue) > 0 {
		imps := queue[0].Imports()
		queue = queue[1:]
		for i := range imps.Len() {
			fd := imps.Get(i).FileDescriptor
			name := fd.Path()
			if seen[name] {
				continue
			}
			seen[name] = true
			queue = append(queue, fd)
			dep := depFile{name: name}
			if r, ok := byName[name]; ok {
				dep.file = buildFile(asts[name])
				if direct[name] {
					dep.ref = &refInfo{subject: r.Subject, version: r.Version}
				}
			} else if dep.file, err = builtinElem(name); err != nil {
				return nil, invalid("import %q: %v", name, err)
			}
			s.deps = append(s.deps, dep)
		}
	}
	// References not reached through imports still count as dependencies, as in Confluent.
	for _, r := range refs {
		if !seen[r.Name] {
			seen[r.Name] = true
			f, err := parseText(r.Name, r.Schema)
			if err != nil {
				return nil, err
			}
			s.deps = append(s.deps, depFile{name: r.Name, file: buildFile(f)})
		}
	}
	s.canonical = printFile(s.file, nil)
	s.normalized = printFile(s.file, s.normalizeContext())
	return s, nil
}

func invalid(msg string, args ...any) error {
	return fmt.Errorf("%w: %s", format.ErrInvalidSchema, fmt.Sprintf(msg, args...))
}

func tooLarge(msg string, args ...any) error {
	return fmt.Errorf("%w: %w: %s", format.ErrInvalidSchema, ErrTooLarge, fmt.Sprintf(msg, args...))
}

// describe turns a protocompile error into "file:line:col: reason", naming the schema itself
// "schema".
func describe(err error) string {
	var ewp reporter.ErrorWithPos
	if errors.As(err, &ewp) {
		pos := ewp.GetPosition()
		name := pos.Filename
		if name == mainFile {
			name = "schema"
		}
		return fmt.Sprintf("%s:%d:%d: %v", name, pos.Line, pos.Col, ewp.Unwrap())
	}
	return strings.ReplaceAll(err.Error(), mainFile, "schema")
}

// parseText parses one file after checking its size, encoding and nesting.
func parseText(name, text string) (f *ast.FileNode, err error) {
	label := name
	if name == mainFile {
		label = "schema"
	}
	if len(text) > MaxSchemaBytes {
		return nil, tooLarge("%s: %d bytes, more than the %d allowed", label, len(text), MaxSchemaBytes)
	}
	// A .proto file is UTF-8 (the language spec says so). protocompile v0.14.1's lexer panics on
	// an escape followed by invalid UTF-8 inside a string literal (found by FuzzParseAndDiff), so
	// such text is refused before it gets there.
	if i := invalidUTF8(text); i >= 0 {
		return nil, invalid("%s:%d: not valid UTF-8", label, strings.Count(text[:i], "\n")+1)
	}
	// And should the parser panic on some other input, the schema is invalid, not the process down.
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, invalid("%s: the Protobuf parser failed on this text (%v)", label, r)
		}
	}()
	if line, ok := nestingWithin(text, MaxNesting); !ok {
		return nil, invalid("%s:%d: nested more than %d deep", label, line, MaxNesting)
	}
	var firstErr error
	h := reporter.NewHandler(reporter.NewReporter(func(err reporter.ErrorWithPos) error {
		if firstErr == nil {
			firstErr = err
		}
		return err
	}, nil))
	f, err = parser.Parse(name, strings.NewReader(text), h)
	if err != nil {
		if firstErr != nil {
			err = firstErr
		}
		return nil, invalid("%s", describe(err))
	}
	return f, nil
}

// invalidUTF8 is the offset of the first byte of text that is not valid UTF-8, or -1.
func invalidUTF8(text string) int {
	for i, r := range text {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(text[i:]); size == 1 {
				return i
			}
		}
	}
	return -1
}

// nestingWithin reports whether text never opens more than limit brackets at once, skipping
// strings and comments; when it does, it returns the line where the limit is passed. The
// parser and every walk over its tree recurse on nesting, so this check comes first.
func nestingWithin(text string, limit int) (int, bool) {
	depth, line := 0, 1
	for i := 0; i < len(text); i++ {
		switch c := text[i]; c {
		case '\n':
			line++
		case '{', '[', '(', '<':
			depth++
			if depth > limit {
				return line, false
			}
		case '}', ']', ')', '>':
			if depth > 0 {
				depth--
			}
		case '"', '\'':
			for i++; i < len(text) && text[i] != c && text[i] != '\n'; i++ {
				if text[i] == '\\' {
					i++
				}
			}
		case '/':
			if i+1 < len(text) && text[i+1] == '/' {
				for i < len(text) && text[i] != '\n' {
					i++
				}
				line++
			} else if i+1 < len(text) && text[i+1] == '*' {
				end := strings.Index(text[i+2:], "*/")
				if end < 0 {
					return line, true
				}
				line += strings.Count(text[i:i+2+end], "\n")
				i += end + 3
			}
		}
	}
	return line, true
}

var (
	builtinMu    sync.Mutex
	builtinASTs  = map[string]*ast.FileNode{}
	builtinElems = map[string]*fileElem{}
)

// builtinSource is the text of an import Confluent knows without a reference.
func builtinSource(name string) (string, error) {
	if strings.HasPrefix(name, "google/type/") || strings.HasPrefix(name, "confluent/") {
		b, err := builtins.ReadFile("imports/" + name)
		return string(b), err
	}
	res, err := wellknownimports.WithStandardImports(protocompile.ResolverFunc(
		func(string) (protocompile.SearchResult, error) { return protocompile.SearchResult{}, fs.ErrNotExist },
	)).FindFileByPath(name)
	if err != nil || res.Source == nil {
		return "", fs.ErrNotExist
	}
	b, err := io.ReadAll(res.Source)
	return string(b), err
}

// builtinAST parses a google/type or confluent import once; google/protobuf imports come from
// protocompile's compiled-in descriptors.
func builtinAST(name string) (*ast.FileNode, error) {
	if !strings.HasPrefix(name, "google/type/") && !strings.HasPrefix(name, "confluent/") {
		return nil, fs.ErrNotExist
	}
	builtinMu.Lock()
	defer builtinMu.Unlock()
	return builtinASTLocked(name)
}

func builtinASTLocked(name string) (*ast.FileNode, error) {
	if f, ok := builtinASTs[name]; ok {
		return f, nil
	}
	src, err := builtinSource(name)
	if err != nil {
		return nil, err
	}
	f, err := parseText(name, src)
	if err != nil {
		return nil, err
	}
	builtinASTs[name] = f
	return f, nil
}

// builtinElem is the element model of a built-in import, for the diff's type lookups.
func builtinElem(name string) (*fileElem, error) {
	builtinMu.Lock()
	defer builtinMu.Unlock()
	if e, ok := builtinElems[name]; ok {
		return e, nil
	}
	f, err := builtinASTLocked(name)
	if err != nil {
		return nil, err
	}
	e := buildFile(f)
	builtinElems[name] = e
	return e, nil
}

// HasTopLevelField reports whether a message declared at the top of the file has a field named
// name (oneof members aside), as Confluent's ProtobufSchema.hasTopLevelField.
func (s *Schema) HasTopLevelField(name string) bool {
	for _, t := range s.file.types {
		if t.msg != nil && slices.ContainsFunc(t.msg.fields, func(f *fieldElem) bool { return f.name == name }) {
			return true
		}
	}
	return false
}
