package schemaregistry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// Refusal is a registration the registry refused (409) because the schema broke the subject's
// compatibility level: what a producer tried to ship, and why it may not.
type Refusal struct {
	Subject     string
	SchemaType  string
	Level       string   // the compatibility level it broke
	Against     int      // the version it was found incompatible with
	Reasons     []Change // the first refusalReasonsKept reasons, as the diff page names them
	ReasonCount int      // how many reasons there were in all
	Timestamp   int64    // unix milliseconds
}

// A client that retries an incompatible schema in a loop must not fill the database: the
// registry keeps the newest refusalsKept refusals of each subject, with their first
// refusalReasonsKept reasons.
const (
	refusalsKept       = 20
	refusalReasonsKept = 20
)

// storedReason is one reason of a refusal as sr_refusals.reasons holds it.
type storedReason struct {
	Type    string `json:"type"`
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
}

// recordRefusal writes down that a schema of type typ was refused under subject, when it had
// the versions rows, and forgets the subject's oldest refusals beyond refusalsKept. errStale
// means the subject no longer has them (current is what it has), and nothing was written.
func (r *Registry) recordRefusal(ctx context.Context, subject, typ string, b *breakage, rows []versionRow) (current []versionRow, err error) {
	var reasons []storedReason
	all := b.all()
	for _, c := range changesOf(all[:min(len(all), refusalReasonsKept)], "") {
		reasons = append(reasons, storedReason{Type: c.Type, Path: c.Path, Message: c.Message})
	}
	text, err := json.Marshal(reasons)
	if err != nil {
		return nil, fmt.Errorf("record the refusal of %q: %w", subject, err)
	}
	f := refusalRow{subject: subject, typ: typ, level: b.level, against: b.against.version, reasonCount: len(all),
		reasons: string(text), created: r.now().UnixMilli(), notice: r.refusalNotice(subject)}
	current, err = r.store.recordRefusal(ctx, f, rows, refusalsKept)
	if errors.Is(err, errStale) {
		return current, err
	}
	return nil, storeError("record a refused registration", err)
}

// decodeReasons reads sr_refusals.reasons.
func decodeReasons(text string) ([]Change, error) {
	var reasons []storedReason
	if err := json.Unmarshal([]byte(text), &reasons); err != nil {
		return nil, fmt.Errorf("the reasons of a refused registration: %w", err)
	}
	var out []Change
	for _, c := range reasons {
		out = append(out, Change{Type: c.Type, Path: c.Path, Message: c.Message})
	}
	return out, nil
}

// Refusals lists the newest refused registrations of subject, or of every subject when subject
// is "", newest first, at most limit of them.
func (r *Registry) Refusals(ctx context.Context, subject string, limit int) ([]Refusal, error) {
	if unstorable(subject) {
		return []Refusal{}, nil
	}
	out, err := r.store.refusals(ctx, subject, limit)
	if err != nil {
		return nil, storeError("read refused registrations", err)
	}
	return out, nil
}
