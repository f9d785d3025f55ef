package schemaregistry

import (
	"encoding/json"

	"github.com/eventlens/eventlens/pgdb"
)

// ReplicaChannel is the PostgreSQL channel on which a registry write tells the other replicas
// what it changed, when it commits.
const ReplicaChannel = "eventlens_schemaregistry"

// notice is what a write tells the replicas, as JSON: what to drop from their caches. The
// replica that wrote hears it too, and drops it again: its own write may have committed after
// it dropped it (a registration whose caller gave up while it waited for its group, a commit
// whose answer the connection lost), and a read in between may have cached what was there
// before.
type notice struct {
	All      bool     `json:"all,omitempty"` // too much to name: drop everything
	Subjects []string `json:"subjects,omitempty"`
	Schemas  []int    `json:"schemas,omitempty"` // hard-deleted ids
	Configs  []string `json:"configs,omitempty"`
	Modes    []string `json:"modes,omitempty"`
	Refused  string   `json:"refused,omitempty"` // a registration refused under this subject: nothing cached changes
}

// maxNotice is the longest payload NOTIFY takes.
const maxNotice = 8000

// notice is what a write that changed inv tells the other replicas; "" when there are none
// (SQLite).
func (r *Registry) notice(inv invalidation) string {
	return r.encodeNotice(notice{Subjects: inv.subjects, Schemas: inv.schemas, Configs: inv.configs, Modes: inv.modes})
}

func (r *Registry) refusalNotice(subject string) string {
	return r.encodeNotice(notice{Refused: subject})
}

func (r *Registry) encodeNotice(n notice) string {
	if _, ok := r.store.(*postgresStore); !ok {
		return ""
	}
	b, _ := json.Marshal(n) // strings, ints and bools: cannot fail
	if len(b) > maxNotice {
		b, _ = json.Marshal(notice{All: true})
	}
	return string(b)
}

// ReplicaHandlers is what the registry listens to when several replicas share one PostgreSQL:
// a write (another replica's, or this one's) drops what it changed from the caches (so reads,
// which the caches answer, see it), and a reconnect drops everything (writes may have been
// missed). On SQLite there is one process and nothing to listen to: nil.
func (r *Registry) ReplicaHandlers() map[string]pgdb.Handler {
	if _, ok := r.store.(*postgresStore); !ok {
		return nil
	}
	return map[string]pgdb.Handler{ReplicaChannel: {Notified: r.notified, Reload: r.cache.reset}}
}

// notified drops what a write changed. It returns at once: it runs in the listener's
// goroutine.
func (r *Registry) notified(payload string) {
	var n notice
	if err := json.Unmarshal([]byte(payload), &n); err != nil || n.All {
		r.cache.reset() // a notice this version cannot read
		return
	}
	inv := invalidation{subjects: n.Subjects, schemas: n.Schemas, configs: n.Configs, modes: n.Modes}
	if inv.empty() {
		return
	}
	r.cache.invalidate(inv)
}
