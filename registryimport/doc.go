// Package registryimport copies a running Confluent-compatible schema registry into eventlens:
// every subject, version (soft-deleted ones too), schema id, reference, config and mode, keeping
// ids, through IMPORT mode over the target's HTTP API.
//
// It only reads the source (GET requests) and checks what it reads before writing anything: an
// answer that is malformed, too large or inconsistent (a version whose id is another schema) gets
// that item refused and reported. What the target already holds is left as it is, so running it
// again finishes an interrupted copy and copies nothing twice.
package registryimport
