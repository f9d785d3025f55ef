package alerts

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"time"
)

// States of an alert.
const (
	StatePending  = "pending"  // the condition holds, not yet for the rule's for-duration
	StateFiring   = "firing"   // notified
	StateResolved = "resolved" // the condition no longer holds
)

// Alert is one episode of a rule's condition holding for one thing.
type Alert struct {
	ID          string            `json:"id"`
	Fingerprint string            `json:"fingerprint"` // the rule and labels: the same thing alerting again has the same one
	Rule        string            `json:"rule"`
	Kind        string            `json:"kind"`
	Severity    string            `json:"severity"`
	Labels      map[string]string `json:"labels"` // what it is about: service, group, channel, subject, dlq, drift
	Summary     string            `json:"summary"`
	Owner       Owner             `json:"owner"`
	State       string            `json:"state"`
	ActiveAt    time.Time         `json:"activeAt"`             // when the condition was first seen
	FiredAt     time.Time         `json:"firedAt,omitzero"`     // when it had held for the rule's for-duration
	ResolvedAt  time.Time         `json:"resolvedAt,omitzero"`  // when it no longer held
	Deliveries  []Delivery        `json:"deliveries,omitempty"` // filled by List
}

// Owner is the catalog's owner of what an alert is about.
type Owner struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	URL   string `json:"url,omitempty"`
}

// Delivery is what one receiver has been sent of one alert.
type Delivery struct {
	Receiver    string    `json:"receiver"`
	Want        string    `json:"want"` // the state to tell: firing or resolved
	Sent        string    `json:"sent"` // the state last told ("" before the first success)
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"nextAttempt,omitzero"`
	LastError   string    `json:"lastError,omitempty"`
}

// fingerprint names a rule's alert about one thing: a hash of the rule and the labels.
func fingerprint(rule string, labels map[string]string) string {
	h := sha256.New()
	h.Write([]byte(rule))
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		h.Write([]byte{0})
		h.Write([]byte(k))
		h.Write([]byte{'='})
		h.Write([]byte(labels[k]))
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}
