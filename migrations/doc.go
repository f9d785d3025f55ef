// Package migrations holds eventlens' database schema as numbered SQL files, embedded in the
// binary and applied in order at start-up. A landed file is never edited: a change is a new file.
package migrations

import "embed"

// FS holds the numbered goose migrations (NNNNN_name.sql).
//
//go:embed *.sql
var FS embed.FS
