package apikeys

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrBadSession means a session cookie is malformed, forged, expired or names a revoked key.
var ErrBadSession = errors.New("invalid or expired session")

// signingKey loads the store's key for session cookies and CSRF tokens.
func (k *Keys) signingKey(ctx context.Context) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.signing != nil {
		return k.signing, nil
	}
	key, err := k.store.signingKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("load signing key: %w", err)
	}
	k.signing = key
	return key, nil
}

// MAC signs value with the store's signing key.
func (k *Keys) MAC(ctx context.Context, value string) (string, error) {
	key, err := k.signingKey(ctx)
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(value))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)), nil
}

// ValidMAC reports whether mac is the signature of value.
func (k *Keys) ValidMAC(ctx context.Context, value, mac string) bool {
	want, err := k.MAC(ctx, value)
	return err == nil && hmac.Equal([]byte(want), []byte(mac))
}

// NewSession returns a signed session cookie value for the key with id, valid for ttl.
func (k *Keys) NewSession(ctx context.Context, id string, ttl time.Duration) (string, error) {
	payload := id + "." + strconv.FormatInt(k.now().Add(ttl).Unix(), 10)
	mac, err := k.MAC(ctx, "session|"+payload)
	if err != nil {
		return "", err
	}
	return payload + "." + mac, nil
}

// Session returns the key a session cookie value was issued for, if the cookie is authentic,
// unexpired and the key is still valid.
func (k *Keys) Session(ctx context.Context, cookie string) (Key, error) {
	parts := strings.Split(cookie, ".")
	if len(parts) != 3 {
		return Key{}, ErrBadSession
	}
	payload := parts[0] + "." + parts[1]
	if !k.ValidMAC(ctx, "session|"+payload, parts[2]) {
		return Key{}, ErrBadSession
	}
	expires, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || k.now().Unix() > expires {
		return Key{}, ErrBadSession
	}
	key, err := k.store.validByID(ctx, parts[0])
	if errors.Is(err, errNoRow) {
		return Key{}, ErrBadSession
	}
	if err != nil {
		return Key{}, fmt.Errorf("session: %w", err)
	}
	return key, nil
}
