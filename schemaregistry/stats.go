package schemaregistry

import (
	"errors"
	"maps"
	"sync"
)

// Stats are what the registry answered since the process started, for the server's /metrics.
type Stats struct {
	Registrations int64         // schemas registered (or found registered already) under a subject
	Refusals      map[int]int64 // registrations refused, by error code (409 incompatible, 42201 invalid, …)
	// Checks are compatibility checks by verdict: "compatible", "incompatible", or "error"
	// (the check could not be made: unknown subject or version, invalid schema).
	Checks map[string]int64
}

// stats counts registrations and checks; the zero value is ready.
type stats struct {
	mu            sync.Mutex
	registrations int64
	refusals      map[int]int64
	checks        map[string]int64
}

// codeOf is err's Confluent error code: CodeStore for an error the registry did not type.
func codeOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeStore
}

func (s *stats) registered(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		s.registrations++
		return
	}
	if s.refusals == nil {
		s.refusals = map[int]int64{}
	}
	s.refusals[codeOf(err)]++
}

func (s *stats) checked(compatible bool, err error) {
	verdict := "incompatible"
	switch {
	case err != nil:
		verdict = "error"
	case compatible:
		verdict = "compatible"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.checks == nil {
		s.checks = map[string]int64{}
	}
	s.checks[verdict]++
}

// Stats returns the registry's counts since the process started.
func (r *Registry) Stats() Stats {
	r.stats.mu.Lock()
	defer r.stats.mu.Unlock()
	return Stats{Registrations: r.stats.registrations, Refusals: maps.Clone(r.stats.refusals), Checks: maps.Clone(r.stats.checks)}
}
