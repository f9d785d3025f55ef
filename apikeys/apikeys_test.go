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
