package schemaregistry

import (
	"context"
	"database/sql"
	"encoding/json"
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

// recordRefusal writes down that a schema of type typ was refused under subject, and forgets
// the subject's oldest refusals beyond refusalsKept, in one transaction. The caller holds
// writeMu.
func (r *Registry) recordRefusal(ctx context.Context, subject, typ string, b *breakage) error {
	var reasons []storedReason
	for _, c := range changesOf(b.diffs[:min(len(b.diffs), refusalReasonsKept)], "") {
		reasons = append(reasons, storedReason{Type: c.Type, Path: c.Path, Message: c.Message})
	}
	text, err := json.Marshal(reasons)
	if err != nil {
		return fmt.Errorf("record the refusal of %q: %w", subject, err)
	}
	return r.inTx(ctx, "record a refused registration", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sr_refusals (subject, schema_type, compatibility, against_version, reasons, reason_count, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, subject, typ, b.level, b.against.version, string(text), len(b.diffs), r.now().UnixMilli()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM sr_refusals WHERE subject = ? AND id NOT IN
			(SELECT id FROM sr_refusals WHERE subject = ? ORDER BY id DESC LIMIT ?)`, subject, subject, refusalsKept)
		return err
	})
}

// Refusals lists the newest refused registrations of subject, or of every subject when subject
// is "", newest first, at most limit of them.
func (r *Registry) Refusals(ctx context.Context, subject string, limit int) ([]Refusal, error) {
	where, args := "", []any{}
	if subject != "" {
		where, args = "WHERE subject = ?", append(args, subject)
	}
	query := `SELECT subject, schema_type, compatibility, against_version, reasons, reason_count, created_at
		FROM sr_refusals ` + where + ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := r.db.Read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, storeError("read refused registrations", err)
	}
	defer rows.Close()
	out := []Refusal{}
	for rows.Next() {
		var f Refusal
		var text string
		if err := rows.Scan(&f.Subject, &f.SchemaType, &f.Level, &f.Against, &text, &f.ReasonCount, &f.Timestamp); err != nil {
			return nil, storeError("read refused registrations", err)
		}
		var reasons []storedReason
		if err := json.Unmarshal([]byte(text), &reasons); err != nil {
			return nil, storeError("read the reasons of a refused registration", err)
		}
		for _, c := range reasons {
			f.Reasons = append(f.Reasons, Change{Type: c.Type, Path: c.Path, Message: c.Message})
		}
		out = append(out, f)
	}
	return out, storeError("read refused registrations", rows.Err())
}
