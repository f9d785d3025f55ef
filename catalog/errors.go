package catalog

import (
	"errors"
	"fmt"
)

// ErrNotFound means no domain, service, channel, message or owner has the name asked for.
var ErrNotFound = errors.New("not found")

// ErrInvalidDocument is what every *DocumentError matches with errors.Is.
var ErrInvalidDocument = errors.New("invalid AsyncAPI document")

// ErrDocumentTooLarge means a document (with the files it references) is over MaxDocumentBytes.
var ErrDocumentTooLarge = errors.New("AsyncAPI document too large")

// ErrInvalidPatch means an update asked for something impossible (an unknown kind of owner, ...).
var ErrInvalidPatch = errors.New("invalid update")

// DocumentError says where an AsyncAPI document is broken: the file, the JSON path in it and why.
// Nothing of a broken document is imported.
type DocumentError struct {
	File   string // the file as given, or "" for an uploaded body
	Path   string // JSON path in that file, e.g. $.channels["orders"].subscribe.message
	Reason string
	Err    error // the underlying error, if any
}

func (e *DocumentError) Error() string {
	file := e.File
	if file == "" {
		file = "document"
	}
	if e.Path == "" {
		return fmt.Sprintf("%s: %s", file, e.Reason)
	}
	return fmt.Sprintf("%s: %s: %s", file, e.Path, e.Reason)
}

// Is lets errors.Is(err, ErrInvalidDocument) find every DocumentError.
func (e *DocumentError) Is(target error) bool { return target == ErrInvalidDocument }

func (e *DocumentError) Unwrap() error { return e.Err }

// notFound wraps ErrNotFound with what was looked for.
func notFound(kind, name string) error {
	return fmt.Errorf("%s %q: %w", kind, name, ErrNotFound)
}

// ErrInvalidQuery means a question asked of the catalog makes no sense (an unknown kind of drift,
// a negative duration, ...).
var ErrInvalidQuery = errors.New("invalid query")
