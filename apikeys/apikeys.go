// Package apikeys issues, lists, revokes and verifies eventlens' API keys. A key has a role
// (read, write or admin); only a hash of its secret is stored, and the secret is shown once.
package apikeys

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/eventlens/eventlens/pgdb"
	"github.com/eventlens/eventlens/storage"
)

// Role is what a key may do; each role includes the ones before it.
type Role int

// Roles, weakest first.
const (
	RoleNone  Role = iota // no key needed: probes, static assets
	RoleRead              // pages and GET APIs
	RoleWrite             // register schemas, send spans, import documents
	RoleAdmin             // config, mode, deletes, key management
)

var roleNames = map[Role]string{RoleNone: "none", RoleRead: "read", RoleWrite: "write", RoleAdmin: "admin"}

func (r Role) String() string { return roleNames[r] }

// ParseRole reads a role name: read, write or admin.
func ParseRole(s string) (Role, error) {
	for r, n := range roleNames {
		if n == s && r != RoleNone {
			return r, nil
		}
	}
	return RoleNone, fmt.Errorf("unknown role %q: want read, write or admin", s)
}

var (
	// ErrUnknownKey means the credentials match no valid key.
	ErrUnknownKey = errors.New("unknown or revoked API key")
	// ErrNotFound means no key has the given id.
	ErrNotFound = errors.New("no such API key")
)

// Key is an API key without its secret.
type Key struct {
	ID        string
	Name      string
	Role      Role
	CreatedAt time.Time
	RevokedAt *time.Time
}

// Keys is the key store. Verified keys are cached for cacheFor, so a request costs no query; a
// key revoked by another process (the CLI) stops working within that time. On PostgreSQL, where
// several replicas share the keys, a replica drops its cache of a key as soon as another one
// revokes it (see ReplicaHandlers).
type Keys struct {
	store    store
	now      func() time.Time
	cacheFor time.Duration

	mu       sync.Mutex
	cache    map[[32]byte]cached
	anyKeys  bool
	anyUntil time.Time
	signing  []byte // loaded on first use
}

type cached struct {
	key     Key
	expires time.Time
}

// New returns the key store in db.
func New(db *storage.DB) *Keys {
	return &Keys{store: newStore(db), now: time.Now, cacheFor: 5 * time.Second, cache: map[[32]byte]cached{}}
}

// Create issues a key and returns it with its secret, which is not stored and cannot be shown again.
func (k *Keys) Create(ctx context.Context, name string, role Role) (Key, string, error) {
	if err := checkNameAndRole(name, role); err != nil {
		return Key{}, "", fmt.Errorf("create key: %w", err)
	}
	id, err := random(9)
	if err != nil {
		return Key{}, "", err
	}
	secret, err := random(32)
	if err != nil {
		return Key{}, "", err
	}
	key := Key{ID: "elk_" + id, Name: name, Role: role, CreatedAt: k.now().UTC().Truncate(time.Second)}
	inserted, err := k.store.insert(ctx, key, sha256.Sum256([]byte(secret)))
	if err == nil && !inserted {
		err = errors.New("a key with this random id or secret exists") // 72 and 256 random bits: never
	}
	if err != nil {
		return Key{}, "", fmt.Errorf("create key %s: %w", name, err)
	}
	k.forget("")
	return key, secret, nil
}

// Secrets given to Provision: only their unsalted SHA-256 is stored, which is safe for random
// secrets and not for chosen ones, so at least 32 characters (a random one of that length cannot
// be guessed); printable, since clients send them in headers.
const (
	minSecretLen = 32
	maxSecretLen = 1024
)

// Provision creates the key with the given id and secret unless it exists already, and reports
// whether it created it. It is for deployments that keep the secret elsewhere (a Kubernetes
// Secret) and run it at every start, from several replicas at once: a key that exists with the
// same id, secret and role is left as it is (its name too). It refuses a secret or an id that
// belongs to another key or to a revoked one, and a role other than the existing key's.
func (k *Keys) Provision(ctx context.Context, id, name string, role Role, secret string) (bool, error) {
	if err := checkProvisioned(id, name, role, secret); err != nil {
		return false, fmt.Errorf("provision key %q: %w", id, err)
	}
	key := Key{ID: id, Name: name, Role: role, CreatedAt: k.now().UTC().Truncate(time.Second)}
	hash := sha256.Sum256([]byte(secret))
	inserted, err := k.store.insert(ctx, key, hash)
	if err != nil {
		return false, fmt.Errorf("provision key %s: %w", id, err)
	}
	if inserted {
		k.forget("")
		return true, nil
	}
	existing, err := k.store.validByHash(ctx, hash)
	switch {
	case errors.Is(err, errNoRow):
		return false, fmt.Errorf("provision key %s: the id or the secret belongs to another key or to a revoked one; give a new id and secret", id)
	case err != nil:
		return false, fmt.Errorf("provision key %s: %w", id, err)
	case existing.ID != id:
		return false, fmt.Errorf("provision key %s: the secret belongs to key %s; give each key a secret of its own", id, existing.ID)
	case existing.Role != role:
		return false, fmt.Errorf("provision key %s: it exists with role %s, not %s; revoke it and provision a new id and secret", id, existing.Role, role)
	}
	return false, nil
}

func checkNameAndRole(name string, role Role) error {
	if strings.TrimSpace(name) == "" {
		return errors.New("a name is required (what is the key for?)")
	}
	if role == RoleNone {
		return errors.New("a role is required")
	}
	return nil
}

// checkProvisioned checks what Provision is given: an id that looks like the ones Create makes
// (elk_ and up to 64 letters, digits, '-' or '_'), a name and role, and a long printable secret.
func checkProvisioned(id, name string, role Role, secret string) error {
	rest, ok := strings.CutPrefix(id, "elk_")
	if !ok || rest == "" || len(rest) > 64 || strings.ContainsFunc(rest, func(c rune) bool { return !isIDChar(c) }) {
		return errors.New("an id is elk_ followed by up to 64 letters, digits, '-' or '_'")
	}
	if err := checkNameAndRole(name, role); err != nil {
		return err
	}
	if len(secret) < minSecretLen || len(secret) > maxSecretLen {
		return fmt.Errorf("the secret has %d characters; want %d to %d", len(secret), minSecretLen, maxSecretLen)
	}
	for _, c := range secret {
		if c <= ' ' || c > '~' {
			return errors.New("the secret holds a space, a control or a non-ASCII character; want printable ASCII")
		}
	}
	return nil
}

func isIDChar(c rune) bool {
	return c == '-' || c == '_' || ('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

func random(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// List returns every key, revoked ones included, oldest first.
func (k *Keys) List(ctx context.Context) ([]Key, error) {
	keys, err := k.store.list(ctx)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	return keys, nil
}

// Revoke makes the key with id unusable; revoking twice is not an error.
func (k *Keys) Revoke(ctx context.Context, id string) error {
	err := k.store.revoke(ctx, id, k.now().UTC().Truncate(time.Second))
	if errors.Is(err, errNoRow) {
		err = ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("revoke key %s: %w", id, err)
	}
	k.forget(id)
	return nil
}

// forget drops what is cached of the key with id (of every key when id is empty) and the
// answer of Any.
func (k *Keys) forget(id string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for h, c := range k.cache {
		if id == "" || c.key.ID == id {
			delete(k.cache, h)
		}
	}
	k.anyUntil = time.Time{}
}

// notifyChannel carries the id of each key created or revoked on PostgreSQL.
const notifyChannel = "eventlens_apikeys"

// ReplicaHandlers keep this replica's cache in step with keys other replicas create and revoke.
func (k *Keys) ReplicaHandlers() map[string]pgdb.Handler {
	return map[string]pgdb.Handler{notifyChannel: {
		Notified: k.forget,
		Reload:   func() { k.forget("") },
	}}
}

// Any reports whether at least one valid key exists; without one, eventlens runs open (on
// loopback only). The answer is cached like verified keys, so the first key created by the CLI
// turns authentication on within that time.
func (k *Keys) Any(ctx context.Context) (bool, error) {
	now := k.now()
	k.mu.Lock()
	defer k.mu.Unlock()
	if now.Before(k.anyUntil) {
		return k.anyKeys, nil
	}
	n, err := k.store.countValid(ctx)
	if err != nil {
		return false, fmt.Errorf("count keys: %w", err)
	}
	k.anyKeys, k.anyUntil = n > 0, now.Add(k.cacheFor)
	return k.anyKeys, nil
}

// Verify returns the valid key whose secret is secret; when id is not empty (HTTP Basic), the
// key must also have that id.
func (k *Keys) Verify(ctx context.Context, id, secret string) (Key, error) {
	hash := sha256.Sum256([]byte(secret))
	now := k.now()
	k.mu.Lock()
	c, ok := k.cache[hash]
	k.mu.Unlock()
	if !ok || now.After(c.expires) {
		key, err := k.store.validByHash(ctx, hash)
		if errors.Is(err, errNoRow) {
			return Key{}, ErrUnknownKey
		}
		if err != nil {
			return Key{}, fmt.Errorf("verify key: %w", err)
		}
		c = cached{key: key, expires: now.Add(k.cacheFor)}
		k.mu.Lock()
		k.cache[hash] = c
		k.mu.Unlock()
	}
	if id != "" && subtle.ConstantTimeCompare([]byte(id), []byte(c.key.ID)) != 1 {
		return Key{}, ErrUnknownKey
	}
	return c.key, nil
}
