package apikeys

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/eventlens/eventlens/pgdb"
	"github.com/eventlens/eventlens/pgdb/pgtest"
	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/storage/storagetest"
)

func TestCreateVerifyRevoke(t *testing.T) { storagetest.Each(t, testCreateVerifyRevoke) }

func testCreateVerifyRevoke(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	k := New(db)
	if any, err := k.Any(ctx); err != nil || any {
		t.Fatalf("fresh store: Any = %v, %v", any, err)
	}
	key, secret, err := k.Create(ctx, "ci", RoleWrite)
	if err != nil {
		t.Fatal(err)
	}
	if len(secret) < 40 || key.ID == "" || key.Role != RoleWrite {
		t.Fatalf("created %+v with secret %q", key, secret)
	}
	if any, _ := k.Any(ctx); !any {
		t.Fatal("Any is false after creating a key")
	}

	tests := []struct {
		name, id, secret string
		ok               bool
	}{
		{"bearer secret", "", secret, true},
		{"basic id and secret", key.ID, secret, true},
		{"wrong id", "elk_other", secret, false},
		{"wrong secret", key.ID, secret + "x", false},
		{"empty", "", "", false},
	}
	for _, tt := range tests {
		got, err := k.Verify(ctx, tt.id, tt.secret)
		if tt.ok && (err != nil || got.ID != key.ID) {
			t.Errorf("%s: %+v, %v", tt.name, got, err)
		}
		if !tt.ok && !errors.Is(err, ErrUnknownKey) {
			t.Errorf("%s: err %v, want ErrUnknownKey", tt.name, err)
		}
	}

	if err := k.Revoke(ctx, key.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Verify(ctx, "", secret); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("revoked key verifies: %v", err)
	}
	if err := k.Revoke(ctx, key.ID); err != nil {
		t.Fatalf("second revoke: %v", err)
	}
	if err := k.Revoke(ctx, "elk_nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoke unknown: %v", err)
	}
	keys, err := k.List(ctx)
	if err != nil || len(keys) != 1 || keys[0].RevokedAt == nil || keys[0].Name != "ci" {
		t.Fatalf("list: %+v, %v", keys, err)
	}
	if any, _ := k.Any(ctx); any {
		t.Fatal("Any is true with only a revoked key")
	}
}

func TestRevocationByAnotherProcessTakesEffectAfterTheCache(t *testing.T) {
	storagetest.Each(t, testRevocationByAnotherProcessTakesEffectAfterTheCache)
}

func testRevocationByAnotherProcessTakesEffectAfterTheCache(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	server := New(db)
	now := time.Now()
	server.now = func() time.Time { return now }
	key, secret, err := server.Create(ctx, "ci", RoleRead)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := server.Verify(ctx, "", secret); err != nil {
		t.Fatal(err)
	}
	// The CLI revokes through its own Keys; the server's cache (with no listener running) still
	// trusts the key…
	if err := New(db).Revoke(ctx, key.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := server.Verify(ctx, "", secret); err != nil {
		t.Fatalf("within the cache time: %v", err)
	}
	// …until the cache time has passed.
	now = now.Add(server.cacheFor + time.Second)
	if _, err := server.Verify(ctx, "", secret); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("after the cache time: %v", err)
	}
}

func TestCreateRefusesBadInput(t *testing.T) {
	k := New(storagetest.SQLite(t))
	if _, _, err := k.Create(context.Background(), " ", RoleRead); err == nil {
		t.Error("key without a name created")
	}
	if _, _, err := k.Create(context.Background(), "x", RoleNone); err == nil {
		t.Error("key without a role created")
	}
	for _, s := range []string{"", "root", "READ", "none"} {
		if _, err := ParseRole(s); err == nil {
			t.Errorf("ParseRole(%q) accepted", s)
		}
	}
}

func TestSessions(t *testing.T) { storagetest.Each(t, testSessions) }

func testSessions(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	k := New(db)
	now := time.Now()
	k.now = func() time.Time { return now }
	key, _, err := k.Create(ctx, "alice", RoleRead)
	if err != nil {
		t.Fatal(err)
	}
	cookie, err := k.NewSession(ctx, key.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := k.Session(ctx, cookie); err != nil || got.ID != key.ID {
		t.Fatalf("fresh session: %+v, %v", got, err)
	}
	forged := strings.Replace(cookie, key.ID, "elk_someoneelse", 1)
	for name, c := range map[string]string{"empty": "", "garbage": "a.b.c.d", "forged id": forged, "bad mac": cookie + "x"} {
		if _, err := k.Session(ctx, c); !errors.Is(err, ErrBadSession) {
			t.Errorf("%s cookie: %v, want ErrBadSession", name, err)
		}
	}
	now = now.Add(2 * time.Hour)
	if _, err := k.Session(ctx, cookie); !errors.Is(err, ErrBadSession) {
		t.Errorf("expired session: %v", err)
	}
	now = now.Add(-2 * time.Hour)
	if err := k.Revoke(ctx, key.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Session(ctx, cookie); !errors.Is(err, ErrBadSession) {
		t.Errorf("session of a revoked key: %v", err)
	}
	// Signatures survive a new Keys on the same store (a restart).
	mac, _ := k.MAC(ctx, "v")
	if !New(db).ValidMAC(ctx, "v", mac) || k.ValidMAC(ctx, "w", mac) {
		t.Error("MAC does not verify across instances, or verifies another value")
	}
}

// Two replicas on one PostgreSQL: a key revoked on one stops working on the other within a
// second, although the other cached it; a key created on one works on the other at once, and
// a session cookie issued by one is accepted by the other.
func TestReplicasSeeRevocationsWithinASecond(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	replica := func() *Keys {
		db, err := pgdb.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		k := New(&storage.DB{Postgres: db})
		listening, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			db.Listen(listening, k.ReplicaHandlers(), func(err error) { t.Log(err) })
		}()
		t.Cleanup(func() { stop(); <-done; db.Close() })
		return k
	}
	a, b := replica(), replica()
	key, secret, err := a.Create(ctx, "ci", RoleWrite)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Verify(ctx, key.ID, secret); err != nil {
		t.Fatalf("replica b does not know the key replica a created: %v", err)
	}
	cookie, err := a.NewSession(ctx, key.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b.Session(ctx, cookie); err != nil || got.ID != key.ID {
		t.Fatalf("replica b refuses replica a's session: %+v, %v", got, err)
	}
	if err := a.Revoke(ctx, key.ID); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Second)
	for {
		_, err := b.Verify(ctx, key.ID, secret)
		if errors.Is(err, ErrUnknownKey) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica b still accepts the revoked key after a second: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestProvision(t *testing.T) { storagetest.Each(t, testProvision) }

func testProvision(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	k := New(db)
	const id, secret = "elk_helm-admin", "s3cret-from-a-kubernetes-secret-0123456789"

	// Replicas that start together all provision the same key: one creates it, none fails.
	created := make(chan bool, 8)
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			c, err := k.Provision(ctx, id, "admin", RoleAdmin, secret)
			created <- c
			errs <- err
		}()
	}
	creators := 0
	for range 8 {
		if <-created {
			creators++
		}
		if err := <-errs; err != nil {
			t.Fatalf("concurrent provision: %v", err)
		}
	}
	if creators != 1 {
		t.Fatalf("%d of 8 concurrent provisions created the key, want 1", creators)
	}
	for _, basicID := range []string{"", id} {
		if key, err := k.Verify(ctx, basicID, secret); err != nil || key.ID != id || key.Role != RoleAdmin {
			t.Fatalf("verify provisioned key (id %q): %+v, %v", basicID, key, err)
		}
	}
	// Renamed in the deployment: still the same key, nothing to do.
	if c, err := k.Provision(ctx, id, "renamed", RoleAdmin, secret); c || err != nil {
		t.Fatalf("provision again under another name: created %v, %v", c, err)
	}

	other, otherSecret, err := k.Create(ctx, "ci", RoleWrite)
	if err != nil {
		t.Fatal(err)
	}
	refused := []struct {
		name, id, secret string
		role             Role
		want             string
	}{
		{"other role", id, secret, RoleRead, "exists with role admin, not read"},
		{"secret of another id", "elk_other", secret, RoleAdmin, "the secret belongs to key " + id},
		{"id with another secret", id, secret + "x", RoleAdmin, "belongs to another key or to a revoked one"},
		{"id of a created key", other.ID, secret + "y", RoleWrite, "belongs to another key"},
		{"secret of a created key", "elk_copy", otherSecret, RoleWrite, "the secret belongs to key " + other.ID},
	}
	for _, tt := range refused {
		if c, err := k.Provision(ctx, tt.id, "x", tt.role, tt.secret); c || err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: created %v, err %v, want %q", tt.name, c, err, tt.want)
		}
	}

	if err := k.Revoke(ctx, id); err != nil {
		t.Fatal(err)
	}
	if c, err := k.Provision(ctx, id, "admin", RoleAdmin, secret); c || err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("provision a revoked key: created %v, %v", c, err)
	}
	if _, err := k.Verify(ctx, id, secret); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("revoked key verifies after provision: %v", err)
	}
}

func TestProvisionRefusesBadInput(t *testing.T) {
	k := New(storagetest.SQLite(t))
	const secret = "0123456789abcdef0123456789abcdef"
	tests := []struct {
		name, id, keyName, secret string
		role                      Role
		want                      string
	}{
		{"no prefix", "helm", "admin", secret, RoleAdmin, "an id is elk_"},
		{"prefix only", "elk_", "admin", secret, RoleAdmin, "an id is elk_"},
		{"space in id", "elk_a b", "admin", secret, RoleAdmin, "an id is elk_"},
		{"colon in id", "elk_a:b", "admin", secret, RoleAdmin, "an id is elk_"},
		{"long id", "elk_" + strings.Repeat("a", 65), "admin", secret, RoleAdmin, "an id is elk_"},
		{"no name", "elk_a", " ", secret, RoleAdmin, "a name is required"},
		{"no role", "elk_a", "admin", secret, RoleNone, "a role is required"},
		{"short secret", "elk_a", "admin", secret[:31], RoleAdmin, "the secret has 31 characters"},
		{"long secret", "elk_a", "admin", strings.Repeat("a", 1025), RoleAdmin, "the secret has 1025 characters"},
		{"space in secret", "elk_a", "admin", secret + " x", RoleAdmin, "printable ASCII"},
		{"newline in secret", "elk_a", "admin", secret + "\nx", RoleAdmin, "printable ASCII"},
		{"non-ASCII secret", "elk_a", "admin", secret + "é", RoleAdmin, "printable ASCII"},
	}
	for _, tt := range tests {
		if c, err := k.Provision(context.Background(), tt.id, tt.keyName, tt.role, tt.secret); c || err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: created %v, err %v, want %q", tt.name, c, err, tt.want)
		}
	}
	if any, err := k.Any(context.Background()); err != nil || any {
		t.Fatalf("a refused provision left a key: %v, %v", any, err)
	}
}
