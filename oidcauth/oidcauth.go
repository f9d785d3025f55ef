package oidcauth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/eventlens/eventlens/apikeys"
	"github.com/eventlens/eventlens/storage"
)

// The ways a sign-in or a session fails; the server maps each to a status and a page.
var (
	// ErrBadCallback: the provider's redirect back is missing its state or code, carries
	// another browser's state, or repeats one already used or expired (400).
	ErrBadCallback = errors.New("this sign-in cannot be completed")
	// ErrRefused: the provider's ID token failed a check: signature, issuer, audience,
	// expiry or nonce (401).
	ErrRefused = errors.New("the identity provider's answer was refused")
	// ErrNoRole: the person signed in, but no group or role of theirs is mapped (403).
	ErrNoRole = errors.New("no eventlens role for this account")
	// ErrProvider: the provider could not be reached or answered out of protocol (502).
	ErrProvider = errors.New("the identity provider did not answer as expected")
	// ErrBadSession: the session cookie names no live session; sign in again.
	ErrBadSession = errors.New("invalid or expired session")
)

// CookiePrefix starts the value of every session cookie this package issues, so the server
// can tell them from the API-key sessions apikeys signs.
const CookiePrefix = "oidc."

// loginTTL is how long a person has at the provider between the redirect and the callback.
const loginTTL = 10 * time.Minute

// Config says which provider to trust and how its claims map onto roles.
type Config struct {
	Issuer       string // the provider's issuer URL; discovery reads Issuer/.well-known/openid-configuration
	ClientID     string
	ClientSecret string
	RedirectURL  string // eventlens' callback as registered at the provider: https://host/auth/oidc/callback
	// PostLogoutURL is where the provider sends the browser after its logout (registered
	// there too); empty sends none, and the provider shows its own page.
	PostLogoutURL string
	Scopes        []string // asked for beyond openid: by default profile, email and offline_access (for refresh)
	// RoleClaim names the ID token claim that holds the groups or roles, e.g. groups, roles,
	// or realm_access.roles (dots go into objects).
	RoleClaim  string
	Roles      map[string]apikeys.Role // a claim value → the role it gives; the strongest match wins
	SessionTTL time.Duration           // a session's longest life, refreshes included (12h)
	HTTPClient *http.Client            // for calls to the provider (10 s timeout)
	Now        func() time.Time        // the clock; tests move it
}

// Identity is who a session belongs to and what they may do.
type Identity struct {
	Subject string // the provider's sub
	Name    string // preferred_username, email, name or sub, the first that is set
	Role    apikeys.Role
}

// Auth runs sign-ins against one provider and keeps their sessions in the store.
type Auth struct {
	cfg        Config
	oauth      oauth2.Config
	verifier   *oidc.IDTokenVerifier
	endSession string // the provider's end_session_endpoint, if it has one
	store      store
}

// New reads the provider's discovery document and returns the sign-in it describes.
func New(ctx context.Context, db *storage.DB, cfg Config) (*Auth, error) {
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("OpenID Connect: %w", err)
	}
	if cfg.Scopes == nil {
		cfg.Scopes = []string{"profile", "email", oidc.ScopeOfflineAccess}
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	a := &Auth{cfg: cfg, store: newStore(db)}
	provider, err := oidc.NewProvider(a.ctx(ctx), cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discover the OpenID provider %s: %w", cfg.Issuer, err)
	}
	var extra struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := provider.Claims(&extra); err != nil {
		return nil, fmt.Errorf("read the discovery document of %s: %w", cfg.Issuer, err)
	}
	a.endSession = extra.EndSession
	a.oauth = oauth2.Config{
		ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Endpoint: provider.Endpoint(),
		RedirectURL: cfg.RedirectURL, Scopes: append([]string{oidc.ScopeOpenID}, cfg.Scopes...),
	}
	a.verifier = provider.Verifier(&oidc.Config{ClientID: cfg.ClientID, Now: cfg.Now})
	return a, nil
}

func (c Config) check() error {
	switch {
	case c.Issuer == "":
		return errors.New("an issuer URL is required")
	case c.ClientID == "":
		return errors.New("a client id is required")
	case c.RoleClaim == "":
		return errors.New("a role claim is required (the claim holding groups or roles, e.g. groups)")
	case len(c.Roles) == 0:
		return errors.New("a role map is required (e.g. admins=admin,devs=write,staff=read)")
	}
	if err := checkURL("redirect URL", c.RedirectURL); err != nil {
		return err
	}
	if c.PostLogoutURL != "" {
		return checkURL("post-logout URL", c.PostLogoutURL)
	}
	return nil
}

func checkURL(what, u string) error {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
		return fmt.Errorf("the %s %q is not an absolute http(s) URL", what, u)
	}
	return nil
}

// ctx makes the provider calls go through the configured client.
func (a *Auth) ctx(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, a.cfg.HTTPClient)
}

// Login is a sign-in begun: the browser keeps State (in a cookie) and goes to URL.
type Login struct {
	State string
	URL   string
}

// Begin starts a sign-in that returns to next, a local path: a fresh state, nonce and PKCE
// verifier, kept in the store until the callback.
func (a *Auth) Begin(ctx context.Context, next string) (Login, error) {
	state, nonce := random(), random()
	verifier := oauth2.GenerateVerifier()
	now := a.cfg.Now().UTC()
	if err := a.store.deleteExpired(ctx, now); err != nil {
		return Login{}, fmt.Errorf("drop expired sign-ins: %w", err)
	}
	l := login{stateHash: hash(state), nonce: nonce, verifier: verifier, next: next, expires: now.Add(loginTTL)}
	if err := a.store.insertLogin(ctx, l); err != nil {
		return Login{}, fmt.Errorf("begin sign-in: %w", err)
	}
	return Login{State: state, URL: a.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))}, nil
}

// Session is a sign-in completed: Cookie is the session cookie's value, Next the local path
// the sign-in began for.
type Session struct {
	Cookie string
	Next   string
	Identity
}

// Finish completes the sign-in the provider's redirect (query) reports, for the browser whose
// cookie holds cookieState: it exchanges the code with the PKCE verifier, checks the ID token
// and its nonce, maps the role and stores the session.
func (a *Auth) Finish(ctx context.Context, cookieState string, query url.Values) (Session, error) {
	state := query.Get("state")
	if state == "" || cookieState == "" || subtle.ConstantTimeCompare([]byte(state), []byte(cookieState)) != 1 {
		return Session{}, fmt.Errorf("%w: its state is missing or belongs to another browser; start the sign-in again", ErrBadCallback)
	}
	l, err := a.store.takeLogin(ctx, hash(state))
	if errors.Is(err, errNoRow) {
		return Session{}, fmt.Errorf("%w: it was completed already or never begun here; start the sign-in again", ErrBadCallback)
	}
	if err != nil {
		return Session{}, fmt.Errorf("finish sign-in: %w", err)
	}
	now := a.cfg.Now()
	if now.After(l.expires) {
		return Session{}, fmt.Errorf("%w: it took longer than %s; start the sign-in again", ErrBadCallback, loginTTL)
	}
	if e := query.Get("error"); e != "" {
		// Only the error code, and only when it looks like one: the description is the
		// redirect's free text, which anyone can put in a link.
		if !isErrorCode(e) {
			e = "an error"
		}
		return Session{}, fmt.Errorf("%w: the identity provider answered %s", ErrBadCallback, e)
	}
	code := query.Get("code")
	if code == "" {
		return Session{}, fmt.Errorf("%w: the provider's redirect carries no code", ErrBadCallback)
	}
	tok, err := a.oauth.Exchange(a.ctx(ctx), code, oauth2.VerifierOption(l.verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.ErrorCode != "" && re.ErrorCode != "server_error" && re.ErrorCode != "temporarily_unavailable" {
			return Session{}, fmt.Errorf("%w: the provider refused the code (%s)", ErrBadCallback, re.ErrorCode)
		}
		return Session{}, fmt.Errorf("%w: exchange the code: %v", ErrProvider, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Session{}, fmt.Errorf("%w: its token answer holds no ID token", ErrProvider)
	}
	id, idExpiry, err := a.verify(ctx, raw, l.nonce)
	if err != nil {
		return Session{}, err
	}
	if id.Role == apikeys.RoleNone {
		return Session{}, a.noRole(id)
	}
	cookie := CookiePrefix + random()
	s := session{
		idHash: hash(cookie), Identity: id, refreshToken: tok.RefreshToken, idToken: raw,
		tokensExpire: tokensExpiry(tok, idExpiry, now), expires: now.Add(a.cfg.SessionTTL), created: now,
	}
	if err := a.store.insertSession(ctx, s); err != nil {
		return Session{}, fmt.Errorf("store the session: %w", err)
	}
	return Session{Cookie: cookie, Next: l.next, Identity: id}, nil
}

func isErrorCode(s string) bool {
	return len(s) <= 64 && !strings.ContainsFunc(s, func(c rune) bool { return c != '_' && (c < 'a' || c > 'z') })
}

func (a *Auth) noRole(id Identity) error {
	groups := slices.Sorted(maps.Keys(a.cfg.Roles))
	return fmt.Errorf("%w: %s signed in, but no value of the %q claim is mapped to an eventlens role. Ask an administrator to add you to one of: %s",
		ErrNoRole, id.Name, a.cfg.RoleClaim, strings.Join(groups, ", "))
}

// verify checks a raw ID token (signature from the provider's keys, issuer, audience and
// authorized party, expiry; the nonce unless it is empty, as after a refresh) and maps its
// claims to an identity.
func (a *Auth) verify(ctx context.Context, raw, nonce string) (Identity, time.Time, error) {
	refuse := func(format string, args ...any) (Identity, time.Time, error) {
		return Identity{}, time.Time{}, fmt.Errorf("%w: "+format, append([]any{ErrRefused}, args...)...)
	}
	token, err := a.verifier.Verify(a.ctx(ctx), raw)
	if err != nil {
		return refuse("%v", err)
	}
	if nonce != "" && subtle.ConstantTimeCompare([]byte(token.Nonce), []byte(nonce)) != 1 {
		return refuse("the ID token's nonce is not this sign-in's")
	}
	var claims map[string]any
	if err := token.Claims(&claims); err != nil {
		return refuse("read the ID token's claims: %v", err)
	}
	// OpenID Connect Core 3.1.3.7: with several audiences, the token must say it was issued
	// for this client.
	if azp, _ := claims["azp"].(string); (len(token.Audience) > 1 || azp != "") && azp != a.cfg.ClientID {
		return refuse("the ID token was issued to %q, not to this client", azp)
	}
	if token.Subject == "" {
		return refuse("the ID token names no subject")
	}
	return Identity{
		Subject: token.Subject,
		Name:    displayName(claims, token.Subject),
		Role:    mapRole(a.cfg.Roles, claimValues(claims, a.cfg.RoleClaim)),
	}, token.Expiry, nil
}

// tokensExpiry is when the session must refresh: when the access token expires (expires_in
// from now, on this package's clock), or the ID token when the provider gave no expiry.
func tokensExpiry(tok *oauth2.Token, idExpiry, now time.Time) time.Time {
	switch {
	case tok.ExpiresIn > 0:
		return now.Add(time.Duration(tok.ExpiresIn) * time.Second)
	case !idExpiry.IsZero():
		return idExpiry
	}
	return now.Add(5 * time.Minute)
}

// Session returns who the session cookie belongs to. When the session's tokens have expired it
// refreshes them at the provider first, and the role follows the groups the new ID token
// names; a session the provider no longer renews (or that lost its role) ends.
func (a *Auth) Session(ctx context.Context, cookie string) (Identity, error) {
	if !strings.HasPrefix(cookie, CookiePrefix) {
		return Identity{}, ErrBadSession
	}
	h := hash(cookie)
	s, err := a.store.session(ctx, h)
	if errors.Is(err, errNoRow) {
		return Identity{}, ErrBadSession
	}
	if err != nil {
		return Identity{}, fmt.Errorf("session: %w", err)
	}
	now := a.cfg.Now()
	if now.After(s.expires) {
		return Identity{}, a.end(ctx, h)
	}
	if now.Before(s.tokensExpire) {
		return s.Identity, nil
	}
	if s.refreshToken == "" {
		return Identity{}, a.end(ctx, h)
	}
	return a.refresh(ctx, s, now)
}

// refresh renews the session's tokens. Another replica may have refreshed the same session
// at the same time: the store's update changes the row only if it still holds the refresh
// token used, and otherwise the other replica's result is taken.
func (a *Auth) refresh(ctx context.Context, s session, now time.Time) (Identity, error) {
	tok, err := a.oauth.TokenSource(a.ctx(ctx), &oauth2.Token{RefreshToken: s.refreshToken}).Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.ErrorCode == "server_error" || re.ErrorCode == "temporarily_unavailable" {
			return Identity{}, fmt.Errorf("%w: refresh the session: %v", ErrProvider, err)
		}
		if other, err := a.store.session(ctx, s.idHash); err == nil && other.refreshToken != s.refreshToken && now.Before(other.tokensExpire) {
			return other.Identity, nil
		}
		return Identity{}, a.end(ctx, s.idHash) // revoked or expired at the provider
	}
	next, idExpiry := s, time.Time{}
	if raw, _ := tok.Extra("id_token").(string); raw != "" {
		var id Identity
		id, idExpiry, err = a.verify(ctx, raw, "")
		if err != nil {
			return Identity{}, errors.Join(err, a.end(ctx, s.idHash))
		}
		if id.Subject != s.Subject {
			return Identity{}, errors.Join(fmt.Errorf("%w: the refreshed ID token names another subject", ErrRefused), a.end(ctx, s.idHash))
		}
		if id.Role == apikeys.RoleNone {
			return Identity{}, a.end(ctx, s.idHash)
		}
		next.Identity, next.idToken = id, raw
	}
	next.refreshToken = tok.RefreshToken
	next.tokensExpire = tokensExpiry(tok, idExpiry, now)
	updated, err := a.store.refreshed(ctx, s.refreshToken, next)
	if err != nil {
		return Identity{}, fmt.Errorf("store the refreshed session: %w", err)
	}
	if !updated {
		other, err := a.store.session(ctx, s.idHash)
		if err != nil {
			return Identity{}, ErrBadSession
		}
		return other.Identity, nil
	}
	return next.Identity, nil
}

// end deletes a session and reports it gone.
func (a *Auth) end(ctx context.Context, h [32]byte) error {
	if _, err := a.store.deleteSession(ctx, h); err != nil && !errors.Is(err, errNoRow) {
		return fmt.Errorf("end session: %w", err)
	}
	return ErrBadSession
}

// End signs the session out: its row (with the refresh token, which nothing else holds) is
// deleted, and it returns where to send the browser so the provider ends its own session too,
// or "" when the provider has no logout endpoint or the session was gone already.
func (a *Auth) End(ctx context.Context, cookie string) (string, error) {
	if !strings.HasPrefix(cookie, CookiePrefix) {
		return "", nil
	}
	s, err := a.store.deleteSession(ctx, hash(cookie))
	if errors.Is(err, errNoRow) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("end session: %w", err)
	}
	if a.endSession == "" {
		return "", nil
	}
	u, err := url.Parse(a.endSession)
	if err != nil {
		return "", fmt.Errorf("%w: its end_session_endpoint %q: %v", ErrProvider, a.endSession, err)
	}
	q := u.Query()
	q.Set("id_token_hint", s.idToken)
	q.Set("client_id", a.cfg.ClientID)
	if a.cfg.PostLogoutURL != "" {
		q.Set("post_logout_redirect_uri", a.cfg.PostLogoutURL)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// random returns 256 random bits, URL-safe.
func random() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand since Go 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hash(s string) [32]byte { return sha256.Sum256([]byte(s)) }
