package catalog

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Limits on what one import reads, so a document cannot exhaust memory or time.
const (
	MaxDocumentBytes = 8 << 20 // default for ImportOptions.MaxBytes: the root file and every file it references, together
	maxFiles         = 200     // files one document may reference
	maxDepth         = 256     // nesting of objects, counting resolved references
)

// documentFiles holds the files of one document: the root and every file its $refs reach, decoded.
// Relative references are read from dir (an os.Root, so nothing outside it can be reached, not
// even through symbolic links); an uploaded document has no dir and may only refer to itself.
type documentFiles struct {
	dir     *os.Root
	root    string // name of the root file in dir, or "" for an uploaded body
	display string // how errors name the root file
	trees   map[string]any
	raw     map[string][]byte
	total   int
	max     int // bytes of all files together
}

// newDocumentFiles holds the root file's data; maxBytes bounds it with every file it references
// (0: MaxDocumentBytes).
func newDocumentFiles(dir *os.Root, root, display string, data []byte, maxBytes int) (*documentFiles, error) {
	if maxBytes <= 0 {
		maxBytes = MaxDocumentBytes
	}
	f := &documentFiles{dir: dir, root: root, display: display, trees: map[string]any{}, raw: map[string][]byte{}, max: maxBytes}
	if err := f.add(root, data); err != nil {
		return nil, err
	}
	return f, nil
}

// add decodes data as the file name (YAML, or JSON when it starts with '{'); .proto files are text.
func (f *documentFiles) add(name string, data []byte) error {
	f.total += len(data)
	if f.total > f.max {
		return &DocumentError{File: f.fileName(name), Reason: fmt.Sprintf("the document and the files it references are over %d bytes", f.max), Err: ErrDocumentTooLarge}
	}
	if len(f.raw) >= maxFiles {
		return &DocumentError{File: f.fileName(name), Reason: fmt.Sprintf("the document references more than %d files", maxFiles)}
	}
	f.raw[name] = data
	if strings.HasSuffix(name, ".proto") {
		f.trees[name] = string(data)
		return nil
	}
	tree, err := decode(data)
	if err != nil {
		return &DocumentError{File: f.fileName(name), Reason: err.Error()}
	}
	f.trees[name] = tree
	return nil
}

// decode reads YAML or JSON into maps, slices and scalars, with the position of a syntax error.
func decode(data []byte) (any, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, errors.New("the file is empty")
	}
	var v any
	if trimmed[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			var se *json.SyntaxError
			if errors.As(err, &se) {
				line := bytes.Count(trimmed[:se.Offset], []byte("\n")) + 1
				return nil, fmt.Errorf("invalid JSON at line %d: %v", line, err)
			}
			return nil, fmt.Errorf("invalid JSON: %w", err)
		}
		if _, err := dec.Token(); err != io.EOF {
			return nil, errors.New("invalid JSON: more than one value")
		}
		return v, nil
	}
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("invalid YAML: %w", err)
	}
	return normalize(v), nil
}

func (f *documentFiles) fileName(name string) string {
	if name == f.root {
		return f.display
	}
	return name
}

// load returns the decoded file name (relative to the document's directory).
func (f *documentFiles) load(name string) (any, error) {
	if t, ok := f.trees[name]; ok {
		return t, nil
	}
	if f.dir == nil {
		return nil, errors.New("an uploaded document cannot reference other files")
	}
	file, err := f.dir.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("file %s does not exist", name)
		}
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, int64(f.max-f.total)+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if err := f.add(name, data); err != nil {
		return nil, err
	}
	return f.trees[name], nil
}

// importerVersion changes when the importer keeps more of a document than before (2: message and
// operation bindings), so importing an unchanged document after an upgrade stores what this
// importer reads instead of being skipped as unchanged.
const importerVersion = 2

// hash is the sha256 of every file read, of the options that change how they are read and of
// the importer's version.
func (f *documentFiles) hash(opts ImportOptions) string {
	h := sha256.New()
	fmt.Fprintf(h, "importer=%d\nreverse-pubsub=%t\n", importerVersion, opts.ReversePubSub)
	names := make([]string, 0, len(f.raw))
	for n := range f.raw {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(h, "%s\n%d\n", n, len(f.raw[n]))
		h.Write(f.raw[n])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// refTarget splits a $ref found in file into the file it points to and the JSON pointer in it.
// It refuses network references and paths that leave the document's directory.
func (f *documentFiles) refTarget(ref, file string) (target, pointer string, err error) {
	if strings.Contains(ref, "://") || strings.HasPrefix(ref, "//") {
		return "", "", fmt.Errorf("$ref %q: references over the network are not followed; copy the file beside the document", ref)
	}
	filePart, pointer, _ := strings.Cut(ref, "#")
	if filePart == "" {
		return file, pointer, nil
	}
	if path.IsAbs(filePart) || strings.Contains(filePart, "\\") {
		return "", "", fmt.Errorf("$ref %q: only paths relative to the document are allowed", ref)
	}
	target = path.Clean(path.Join(path.Dir(file), filePart))
	if target == ".." || strings.HasPrefix(target, "../") {
		return "", "", fmt.Errorf("$ref %q: the path leaves the document's directory", ref)
	}
	return target, pointer, nil
}

// lookup follows a JSON pointer (RFC 6901, possibly URL-encoded as in a URI fragment) into tree.
func lookup(tree any, pointer string) (any, error) {
	if pointer == "" {
		return tree, nil
	}
	if !strings.HasPrefix(pointer, "/") {
		return nil, fmt.Errorf("%q is not a JSON pointer", pointer)
	}
	v := tree
	for _, tok := range strings.Split(pointer[1:], "/") {
		tok = unescapePointer(tok)
		switch node := v.(type) {
		case map[string]any:
			next, ok := node[tok]
			if !ok {
				return nil, fmt.Errorf("no %q", tok)
			}
			v = next
		case []any:
			var i int
			if _, err := fmt.Sscanf(tok, "%d", &i); err != nil || i < 0 || i >= len(node) {
				return nil, fmt.Errorf("no item %q", tok)
			}
			v = node[i]
		default:
			return nil, fmt.Errorf("no %q", tok)
		}
	}
	return v, nil
}

func unescapePointer(tok string) string {
	if u, err := url.PathUnescape(tok); err == nil {
		tok = u
	}
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
}
