package apikeys

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eventlens/eventlens/sqlitedb"
)

func newKeys(t *testing.T) (*Keys, *sqlitedb.DB) {
	t.Helper()
	db, err := sqlitedb.Open(context.Background(), filepath.Join(t.TempDir(), "eventlens.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return New(db), db
}

func TestCreateVerifyRevoke(t *testing.T) {
	ctx := context.Background()
	k, _ := newKeys(t)
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
	ctx := context.Background()
	server, db := newKeys(t)
	now := time.Now()
	server.now = func() time.Time { return now }
	_, secret, err := server.Create(ctx, "ci", RoleRead)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := server.Verify(ctx, "", secret); err != nil {
		t.Fatal(err)
	}
	// The CLI revokes through its own connection; the server's cache still trusts the key…
	if _, err := db.Write.Exec(`UPDATE api_keys SET revoked_at = 'x'`); err != nil {
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
	k, _ := newKeys(t)
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

func TestSessions(t *testing.T) {
	ctx := context.Background()
	k, _ := newKeys(t)
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
	if !New(k.db).ValidMAC(ctx, "v", mac) || k.ValidMAC(ctx, "w", mac) {
		t.Error("MAC does not verify across instances, or verifies another value")
	}
}
