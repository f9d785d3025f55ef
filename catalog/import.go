package catalog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// ImportOptions change how a document is read.
type ImportOptions struct {
	// ReversePubSub reads AsyncAPI 2.x publish as "the application sends" and subscribe as "the
	// application receives", the opposite of the spec, as many files and tools do.
	ReversePubSub bool
	// BaseDir is the directory that an imported file's relative $refs may reach; by default the
	// file's own directory. References that leave it are refused.
	BaseDir string
	// Source names an uploaded document in errors and history; by default "api".
	Source string
	// MaxBytes bounds the document with every file it references; larger ones are refused with
	// ErrDocumentTooLarge. 0 means MaxDocumentBytes (8 MiB).
	MaxBytes int
}

func (o ImportOptions) maxBytes() int {
	if o.MaxBytes <= 0 {
		return MaxDocumentBytes
	}
	return o.MaxBytes
}

// ImportResult says what an import did.
type ImportResult struct {
	Document   string `json:"document"` // the document's key: its id, else its info.title
	Version    int    `json:"version"`  // the document's version in the catalog's history
	Changed    bool   `json:"changed"`  // false when the same document was imported before
	Hash       string `json:"hash"`
	Service    string `json:"service"`
	Channels   int    `json:"channels"`
	Operations int    `json:"operations"`
	Messages   int    `json:"messages"`
	// Schemas says what the registry did with each payload, one per message and channel, by
	// subject. The catalog import stands even when some were refused.
	Schemas []SchemaRegistration `json:"schemas"`
	// Conflicts lists the fields of the document's channels, servers and messages that it and
	// another document set differently, and which value the catalog keeps (see merge.go).
	Conflicts []Conflict `json:"conflicts"`
}

// Refused lists the payloads the registry refused.
func (r ImportResult) Refused() []SchemaRegistration {
	var out []SchemaRegistration
	for _, s := range r.Schemas {
		if s.Status == Refused {
			out = append(out, s)
		}
	}
	return out
}

// ImportFile imports the AsyncAPI document in file, reading the files its $refs name from
// opts.BaseDir (default: the file's directory) and never from outside it.
func (c *Catalog) ImportFile(ctx context.Context, file string, opts ImportOptions) (res ImportResult, err error) {
	defer func() { c.stats.imported(res, err) }()
	base := opts.BaseDir
	if base == "" {
		base = filepath.Dir(file)
	}
	absBase, err := filepath.Abs(base)
	if err != nil {
		return ImportResult{}, fmt.Errorf("import %s: %w", file, err)
	}
	absFile, err := filepath.Abs(file)
	if err != nil {
		return ImportResult{}, fmt.Errorf("import %s: %w", file, err)
	}
	rel, err := filepath.Rel(absBase, absFile)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return ImportResult{}, &DocumentError{File: file, Reason: fmt.Sprintf("the file is outside the base directory %s", base)}
	}
	root, err := os.OpenRoot(absBase)
	if err != nil {
		return ImportResult{}, fmt.Errorf("import %s: %w", file, err)
	}
	defer root.Close()
	f, err := root.Open(rel)
	if err != nil {
		return ImportResult{}, fmt.Errorf("import %s: %w", file, err)
	}
	data, err := io.ReadAll(io.LimitReader(f, int64(opts.maxBytes())+1))
	f.Close()
	if err != nil {
		return ImportResult{}, fmt.Errorf("import %s: %w", file, err)
	}
	files, err := newDocumentFiles(root, filepath.ToSlash(rel), file, data, opts.maxBytes())
	if err != nil {
		return ImportResult{}, err
	}
	return c.importFiles(ctx, files, file, opts)
}

// ImportDocument imports an AsyncAPI document given as YAML or JSON, such as an uploaded body.
// It may use $refs inside itself only.
func (c *Catalog) ImportDocument(ctx context.Context, data []byte, opts ImportOptions) (res ImportResult, err error) {
	defer func() { c.stats.imported(res, err) }()
	source := opts.Source
	if source == "" {
		source = "api"
	}
	files, err := newDocumentFiles(nil, "", source, data, opts.maxBytes())
	if err != nil {
		return ImportResult{}, err
	}
	return c.importFiles(ctx, files, source, opts)
}

func (c *Catalog) importFiles(ctx context.Context, files *documentFiles, source string, opts ImportOptions) (ImportResult, error) {
	r := &reader{files: files}
	doc, err := r.parse(opts)
	if err != nil {
		return ImportResult{}, err
	}
	hash := files.hash(opts)
	res, payloads, err := c.write(ctx, doc, storeInfo{hash: hash, source: source, content: string(files.raw[files.root])})
	if err != nil {
		var de *DocumentError
		if errors.As(err, &de) {
			return ImportResult{}, err
		}
		return ImportResult{}, fmt.Errorf("import %s: %w", source, err)
	}
	res.Hash = hash
	res.Service = doc.Service.Name
	res.Channels, res.Operations, res.Messages = len(doc.Channels), len(doc.Operations), len(doc.Messages)
	// The catalog's transaction has committed; each registration is its own transaction.
	res.Schemas, err = c.registerPayloads(ctx, payloads)
	if err != nil {
		return res, fmt.Errorf("import %s: %w", source, err)
	}
	return res, nil
}
