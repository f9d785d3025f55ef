package schemaregistry

import (
	"errors"
	"fmt"
)

// Confluent's error codes, the ones this registry produces. The HTTP status is the code's first
// three digits (409 and 50001 aside: 409 and 500).
const (
	CodeSubjectNotFound           = 40401
	CodeVersionNotFound           = 40402
	CodeSchemaNotFound            = 40403
	CodeSubjectSoftDeleted        = 40404
	CodeSubjectNotSoftDeleted     = 40405
	CodeVersionSoftDeleted        = 40406
	CodeVersionNotSoftDeleted     = 40407
	CodeSubjectConfigNotFound     = 40408
	CodeSubjectModeNotFound       = 40409
	CodeIncompatibleSchema        = 409
	CodeInvalidSchema             = 42201
	CodeInvalidVersion            = 42202
	CodeInvalidCompatibilityLevel = 42203
	CodeInvalidMode               = 42204
	CodeOperationNotPermitted     = 42205
	CodeReferenceExists           = 42206
	CodeIDDoesNotMatch            = 42207
	CodeInvalidSubject            = 42208
	CodeSchemaTooLarge            = 42209
	CodeContextNotEmpty           = 42211
	CodeStore                     = 50001
)

// Error is a registry error with Confluent's code and a message a person can act on.
type Error struct {
	Code    int
	Message string
	Err     error // the cause, if any (a store error, a parse error)
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, &Error{Code: c}) match any registry error with code c.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Message == ""
}

// ErrorCode returns the registry code carried by err, or 0.
func ErrorCode(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

func newError(code int, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func errSubjectNotFound(subject string) *Error {
	return newError(CodeSubjectNotFound, "Subject '%s' not found.", subject)
}

func errVersionNotFound(subject string, version int) *Error {
	return newError(CodeVersionNotFound, "Version %d not found for subject '%s'.", version, subject)
}

func errSchemaNotFound(what string) *Error {
	return newError(CodeSchemaNotFound, "Schema %s not found", what)
}

func errInvalidSchema(format string, args ...any) *Error {
	return newError(CodeInvalidSchema, format, args...)
}

func errReadOnly(subject string) *Error {
	if subject == "" {
		return newError(CodeOperationNotPermitted, "The registry is in read-only mode; set the global mode to READWRITE (PUT /mode) to write")
	}
	return newError(CodeOperationNotPermitted, "Subject %s is in read-only mode; set the mode to READWRITE (PUT /mode/%s) to write", subject, subject)
}

// storeError wraps a SQLite failure; the client sees 50001 and the log sees the cause.
func storeError(op string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Code: CodeStore, Message: "Error in the backend data store while trying to " + op, Err: fmt.Errorf("%s: %w", op, err)}
}
