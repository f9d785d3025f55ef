package catalog

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseDocument feeds arbitrary uploaded documents (YAML or JSON) to the AsyncAPI reader:
// decoding, $ref resolution, traits, both readings of 2.x publish/subscribe, and the payload
// schemas an import would register. It must return a document or a DocumentError, never panic
// or hang. Seeds: every document under testdata.
func FuzzParseDocument(f *testing.F) {
	err := filepath.WalkDir("testdata", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f.Add(b)
		return nil
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(`{"asyncapi":"3.0.0","info":{"title":"t","version":"1"},"channels":{"a":{"$ref":"#/channels/a"}}}`))
	f.Add([]byte("asyncapi: 2.6.0\ninfo: {title: t, version: '1'}\nchannels:\n  c:\n    subscribe:\n      traits: [{$ref: '#/x'}]\n      message: {$ref: '#/components/messages/m'}\ncomponents:\n  messages:\n    m: {payload: {type: string}, traits: [{$ref: '#/components/messages/m'}]}\nx: &a [*a]\n"))
	f.Add([]byte("asyncapi: 3.0.0\ninfo: {title: t, version: '1'}\nchannels:\n  c: {address: 'orders.{id}', messages: {m: {$ref: 'other.yaml#/m'}}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, reverse := range []bool{false, true} {
			files, err := newDocumentFiles(nil, "", "fuzz", data, 0)
			if err != nil {
				checkDocumentError(t, err)
				return
			}
			r := &reader{files: files}
			doc, err := r.parse(ImportOptions{ReversePubSub: reverse})
			if err != nil {
				checkDocumentError(t, err)
				continue
			}
			if doc.Key == "" || doc.Service.Name == "" {
				t.Fatalf("a document without a key or service was accepted: %+v", doc)
			}
			_ = files.hash(ImportOptions{ReversePubSub: reverse})
		}
	})
}

// checkDocumentError: a bad document is reported as a DocumentError that says why.
func checkDocumentError(t *testing.T, err error) {
	t.Helper()
	var de *DocumentError
	if !errors.As(err, &de) || de.Reason == "" {
		t.Fatalf("error is not a DocumentError with a reason: %T %v", err, err)
	}
}
