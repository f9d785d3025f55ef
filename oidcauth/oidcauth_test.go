package oidcauth

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventlens/eventlens/apikeys"
	"github.com/eventlens/eventlens/oidcauth/oidctest"
	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/storage/storagetest"
)

const redirect = "http://127.0.0.1:1/auth/oidc/callback" // never called: SignIn stops at it

// clock is a time the test moves forward.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// setup runs a provider with three users and the sign-in that trusts it.
func setup(t *testing.T, db *storage.DB) (*Auth, *oidctest.Provider, *clock) {
	t.Helper()
	op := oidctest.Start(t, oidctest.Config{ClientID: "eventlens", ClientSecret: "s3cret", RedirectURL: redirect, PostLogoutURL: "http://127.0.0.1:1/login"})
	op.AddUser("ada", "pw", "admins", "staff")
	op.AddUser("dev", "pw", "devs")
	op.AddUser("eve", "pw", "visitors")
	roles, err := ParseRoleMap("admins=admin,devs=write,staff=read")
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{}
	a, err := New(context.Background(), db, Config{
		Issuer: op.Issuer, ClientID: "eventlens", ClientSecret: "s3cret", RedirectURL: redirect, PostLogoutURL: "http://127.0.0.1:1/login",
		Scopes: []string{"profile", "email", "offline_access", "groups"}, RoleClaim: "groups", Roles: roles, Now: c.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return a, op, c
}

// signIn runs a whole sign-in for username and returns the state and the callback's query,
// as the browser would bring them back.
func signIn(t *testing.T, a *Auth, op *oidctest.Provider, username string) (string, url.Values) {
	t.Helper()
	l, err := a.Begin(context.Background(), "/flows")
	if err != nil {
		t.Fatal(err)
	}
	cb, err := op.SignIn(context.Background(), l.URL, username, "pw")
	if err != nil {
		t.Fatal(err)
	}
	return l.State, cb.Query()
}

func TestSignInRefreshAndLogout(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		a, op, clk := setup(t, db)
		state, q := signIn(t, a, op, "ada")
		if q.Get("code") == "" || q.Get("state") != state {
			t.Fatalf("callback query %v, state %q", q, state)
		}
		s, err := a.Finish(ctx, state, q)
		if err != nil {
			t.Fatal(err)
		}
		if s.Role != apikeys.RoleAdmin || s.Name != "ada" || s.Subject != "ada" || s.Next != "/flows" || !strings.HasPrefix(s.Cookie, CookiePrefix) {
			t.Fatalf("session %+v", s)
		}
		id, err := a.Session(ctx, s.Cookie)
		if err != nil || id != s.Identity {
			t.Fatalf("session lookup: %+v %v", id, err)
		}

		// The access token lasts five minutes at this provider: after six the session is
		// refreshed, once, and the role follows the groups the new ID token names.
		op.SetGroups("ada", "staff")
		answers := op.TokenAnswers()
		clk.advance(6 * time.Minute)
		if id, err = a.Session(ctx, s.Cookie); err != nil || id.Role != apikeys.RoleRead {
			t.Fatalf("after refresh: %+v %v, want role read", id, err)
		}
		if id, err = a.Session(ctx, s.Cookie); err != nil || id.Role != apikeys.RoleRead || op.TokenAnswers() != answers+1 {
			t.Fatalf("second lookup: %+v %v, %d token answers, want one refresh", id, err, op.TokenAnswers()-answers)
		}
		// Losing every mapped group ends the session at the next refresh.
		op.SetGroups("ada", "visitors")
		clk.advance(6 * time.Minute)
		if _, err = a.Session(ctx, s.Cookie); !errors.Is(err, ErrBadSession) {
			t.Fatalf("refresh without a mapped group: %v, want ErrBadSession", err)
		}

		// Logout deletes the session and sends the browser to the provider's logout.
		state, q = signIn(t, a, op, "dev")
		s, err = a.Finish(ctx, state, q)
		if err != nil || s.Role != apikeys.RoleWrite {
			t.Fatalf("dev: %+v %v", s, err)
		}
		logout, err := a.End(ctx, s.Cookie)
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(logout)
		if err != nil || !strings.HasPrefix(logout, op.Issuer) || u.Query().Get("id_token_hint") == "" || u.Query().Get("post_logout_redirect_uri") != "http://127.0.0.1:1/login" {
			t.Fatalf("logout URL %q", logout)
		}
		if _, err := a.Session(ctx, s.Cookie); !errors.Is(err, ErrBadSession) {
			t.Fatalf("session after logout: %v", err)
		}
		if again, err := a.End(ctx, s.Cookie); err != nil || again != "" {
			t.Fatalf("second logout: %q %v", again, err)
		}

		// The session's absolute end holds whatever the tokens say.
		state, q = signIn(t, a, op, "dev")
		if s, err = a.Finish(ctx, state, q); err != nil {
			t.Fatal(err)
		}
		clk.advance(13 * time.Hour)
		if _, err := a.Session(ctx, s.Cookie); !errors.Is(err, ErrBadSession) {
			t.Fatalf("session after 13 hours: %v", err)
		}
	})
}

// TestRefreshWhileProviderIsAway: a session due for refresh while the provider does not answer
// reports ErrProvider, and is kept for when it answers again.
func TestRefreshWhileProviderIsAway(t *testing.T) {
	ctx := context.Background()
	a, op, clk := setup(t, storagetest.Default(t))
	state, q := signIn(t, a, op, "dev")
	s, err := a.Finish(ctx, state, q)
	if err != nil {
		t.Fatal(err)
	}
	op.Close()
	clk.advance(6 * time.Minute)
	if _, err := a.Session(ctx, s.Cookie); !errors.Is(err, ErrProvider) {
		t.Fatalf("refresh with the provider away: %v, want ErrProvider", err)
	}
	if _, err := a.store.session(ctx, hash(s.Cookie)); err != nil {
		t.Fatalf("the session is gone: %v", err)
	}
}

func TestRoleMapping(t *testing.T) {
	a, op, _ := setup(t, storagetest.Default(t))
	for _, c := range []struct {
		user string
		role apikeys.Role
	}{
		{"ada", apikeys.RoleAdmin}, // admins and staff: the strongest wins
		{"dev", apikeys.RoleWrite},
		{"eve", apikeys.RoleNone}, // visitors maps to nothing
	} {
		t.Run(c.user, func(t *testing.T) {
			state, q := signIn(t, a, op, c.user)
			s, err := a.Finish(context.Background(), state, q)
			if c.role == apikeys.RoleNone {
				if !errors.Is(err, ErrNoRole) || !strings.Contains(err.Error(), "admins, devs, staff") {
					t.Fatalf("got %+v %v, want ErrNoRole naming the mapped groups", s, err)
				}
				return
			}
			if err != nil || s.Role != c.role {
				t.Fatalf("got %+v %v, want role %s", s, err, c.role)
			}
		})
	}
}

// TestRefusedIDTokens has the provider's token endpoint hand out ID tokens that are wrong in
// one way each; none gives a session.
func TestRefusedIDTokens(t *testing.T) {
	a, op, _ := setup(t, storagetest.Default(t))
	with := func(change func(map[string]any)) func(map[string]any) string {
		return func(claims map[string]any) string { change(claims); return op.Sign(claims) }
	}
	for _, c := range []struct {
		name   string
		tamper func(map[string]any) string
		want   string
	}{
		{"forged signature", func(claims map[string]any) string { return op.SignWithOtherKey(claims) }, "signature"},
		{"not a JWT", func(map[string]any) string { return "garbage" }, "malformed"},
		{"unsigned", func(claims map[string]any) string {
			parts := strings.Split(op.Sign(claims), ".")
			return "eyJhbGciOiJub25lIn0." + parts[1] + "."
		}, ""},
		{"expired", with(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() }), "expired"},
		{"another audience", with(func(c map[string]any) { c["aud"] = []string{"someone-else"} }), "audience"},
		{"audiences without azp", with(func(c map[string]any) { c["aud"] = []string{"eventlens", "other"}; delete(c, "azp") }), "issued to"},
		{"another issuer", with(func(c map[string]any) { c["iss"] = "http://localhost:1" }), "different provider"},
		{"another nonce", with(func(c map[string]any) { c["nonce"] = "not-this-one" }), "nonce"},
		{"no nonce", with(func(c map[string]any) { delete(c, "nonce") }), "nonce"},
		{"no subject", with(func(c map[string]any) { delete(c, "sub") }), "subject"},
	} {
		t.Run(c.name, func(t *testing.T) {
			op.TamperIDTokens(c.tamper)
			defer op.TamperIDTokens(nil)
			state, q := signIn(t, a, op, "ada")
			s, err := a.Finish(context.Background(), state, q)
			if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %+v %v, want ErrRefused mentioning %q", s, err, c.want)
			}
		})
	}
}

// TestHostileCallbacks sends the callback what an attacker or a confused browser might.
func TestHostileCallbacks(t *testing.T) {
	ctx := context.Background()
	a, op, _ := setup(t, storagetest.Default(t))
	for _, c := range []struct {
		name   string
		change func(state string, q url.Values) (cookie string, query url.Values)
	}{
		{"no state", func(s string, q url.Values) (string, url.Values) { q.Del("state"); return s, q }},
		{"no cookie", func(s string, q url.Values) (string, url.Values) { return "", q }},
		{"another browser's state", func(s string, q url.Values) (string, url.Values) { return "other" + s, q }},
		{"garbled state", func(s string, q url.Values) (string, url.Values) {
			q.Set("state", "\x00<script>"+strings.Repeat("A", 5000))
			return q.Get("state"), q
		}},
		{"no code", func(s string, q url.Values) (string, url.Values) { q.Del("code"); return s, q }},
		{"garbled code", func(s string, q url.Values) (string, url.Values) { q.Set("code", "%%<not-a-code>"); return s, q }},
		{"provider error", func(s string, q url.Values) (string, url.Values) {
			q.Del("code")
			q.Set("error", "access_denied")
			q.Set("error_description", "<b>call 555-0100</b>")
			return s, q
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			state, q := signIn(t, a, op, "ada")
			cookie, query := c.change(state, q)
			_, err := a.Finish(ctx, cookie, query)
			if !errors.Is(err, ErrBadCallback) {
				t.Fatalf("got %v, want ErrBadCallback", err)
			}
			if strings.Contains(err.Error(), "555") || strings.Contains(err.Error(), "<") {
				t.Fatalf("the error repeats the callback's text: %v", err)
			}
		})
	}
	t.Run("replay", func(t *testing.T) {
		state, q := signIn(t, a, op, "ada")
		if _, err := a.Finish(ctx, state, q); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Finish(ctx, state, q); !errors.Is(err, ErrBadCallback) {
			t.Fatalf("second use of a callback: %v, want ErrBadCallback", err)
		}
	})
	t.Run("code of another sign-in", func(t *testing.T) {
		// The code is good, but was issued for another sign-in's PKCE challenge.
		state1, _ := signIn(t, a, op, "ada")
		_, q2 := signIn(t, a, op, "ada")
		q2.Set("state", state1)
		if _, err := a.Finish(ctx, state1, q2); !errors.Is(err, ErrBadCallback) {
			t.Fatalf("got %v, want ErrBadCallback", err)
		}
	})
	t.Run("expired sign-in", func(t *testing.T) {
		a, op, clk := setup(t, storagetest.Default(t))
		state, q := signIn(t, a, op, "ada")
		clk.advance(loginTTL + time.Minute)
		if _, err := a.Finish(ctx, state, q); !errors.Is(err, ErrBadCallback) {
			t.Fatalf("got %v, want ErrBadCallback", err)
		}
	})
	for _, cookie := range []string{"", "oidc.", "oidc.nope", "elk_x.1.y", strings.Repeat("oidc.", 1000)} {
		if _, err := a.Session(ctx, cookie); !errors.Is(err, ErrBadSession) {
			t.Errorf("session %q: %v, want ErrBadSession", cookie, err)
		}
	}
}

func TestParseRoleMap(t *testing.T) {
	for _, c := range []struct {
		in   string
		want map[string]apikeys.Role
		err  string
	}{
		{"admins=admin,devs=write,staff=read", map[string]apikeys.Role{"admins": apikeys.RoleAdmin, "devs": apikeys.RoleWrite, "staff": apikeys.RoleRead}, ""},
		{" /eventlens/admins = admin , ", map[string]apikeys.Role{"/eventlens/admins": apikeys.RoleAdmin}, ""},
		{"cn=ops,ou=groups=write", nil, "unknown role \"ops\""}, // a name may not hold ','

		{"a=b=read", map[string]apikeys.Role{"a=b": apikeys.RoleRead}, ""},
		{"admins", nil, "want group=role"},
		{"=admin", nil, "want group=role"},
		{"admins=root", nil, "unknown role"},
		{"admins=none", nil, "unknown role"},
		{"a=read,a=write", nil, "twice"},
		{"", nil, "empty"},
	} {
		got, err := ParseRoleMap(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: %v %v, want error %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || len(got) != len(c.want) {
			t.Errorf("%q: %v %v, want %v", c.in, got, err, c.want)
		}
		for k, v := range c.want {
			if got[k] != v {
				t.Errorf("%q: %q maps to %s, want %s", c.in, k, got[k], v)
			}
		}
	}
}

func TestClaimValues(t *testing.T) {
	claims := map[string]any{
		"groups":       []any{"a", 1, "b"},
		"role":         "admin",
		"realm_access": map[string]any{"roles": []any{"x"}},
		"number":       3.0,
	}
	for path, want := range map[string]string{"groups": "a,b", "role": "admin", "realm_access.roles": "x", "number": "", "missing": "", "role.deeper": "", "realm_access": ""} {
		if got := strings.Join(claimValues(claims, path), ","); got != want {
			t.Errorf("%s: %q, want %q", path, got, want)
		}
	}
}
