package server

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/eventlens/eventlens/alerts"
	"github.com/eventlens/eventlens/apikeys"
	"github.com/eventlens/eventlens/oidcauth"
	"github.com/eventlens/eventlens/oidcauth/oidctest"
	"github.com/eventlens/eventlens/otlpmetrics"
	"github.com/eventlens/eventlens/storage/storagetest"
	"github.com/eventlens/eventlens/tracing"
)

// The test provider's users: one per role, and one whose only group maps to none.
var oidcUsers = map[apikeys.Role]string{apikeys.RoleRead: "rita", apikeys.RoleWrite: "walt", apikeys.RoleAdmin: "ada"}

// startOIDCServer runs a test OpenID provider and eventlens signing in through it, with no API
// keys: single sign-on alone turns authentication on.
func startOIDCServer(t testing.TB) (*testServer, *oidctest.Provider) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	cfg := oidcauth.Config{ClientID: "eventlens", ClientSecret: "s3cret", RedirectURL: base + "/auth/oidc/callback", PostLogoutURL: base + "/login",
		Scopes: []string{"profile", "email", "offline_access", "groups"}, RoleClaim: "groups"}
	op := oidctest.Start(t, oidctest.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL, PostLogoutURL: cfg.PostLogoutURL})
	op.AddUser("rita", "pw", "staff")
	op.AddUser("walt", "pw", "devs", "staff")
	op.AddUser("ada", "pw", "admins")
	op.AddUser("eve", "pw", "visitors")
	if cfg.Roles, err = oidcauth.ParseRoleMap("admins=admin,devs=write,staff=read"); err != nil {
		t.Fatal(err)
	}
	cfg.Issuer = op.Issuer
	store := storagetest.Default(t)
	auth, err := oidcauth.New(context.Background(), store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := startServerListening(t, ln, store, tracing.Config{}, otlpmetrics.Config{}, alerts.Config{}, func(s *Services) { s.OIDC = auth })
	return ts, op
}

// oidcBegin asks eventlens to begin a sign-in and returns the state cookie and the provider's
// authorization URL.
func oidcBegin(t testing.TB, ts *testServer) (*http.Cookie, string) {
	t.Helper()
	resp, err := noRedirects.Get(ts.URL + "/auth/oidc/login?next=%2Fflows")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	state := cookieNamed(resp, oidcStateCookie)
	if resp.StatusCode != http.StatusSeeOther || state == nil || state.SameSite != http.SameSiteLaxMode || !state.HttpOnly {
		t.Fatalf("begin: %s, state cookie %+v", resp.Status, state)
	}
	return state, resp.Header.Get("Location")
}

// oidcCallback sends the provider's redirect back to eventlens with the state cookie (if any).
func oidcCallback(t testing.TB, callback string, state *http.Cookie) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, callback, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html")
	if state != nil {
		req.AddCookie(state)
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// oidcSignIn signs username in with a plain HTTP client and returns the session cookie.
func oidcSignIn(t testing.TB, ts *testServer, op *oidctest.Provider, username string) *http.Cookie {
	t.Helper()
	state, authURL := oidcBegin(t, ts)
	cb, err := op.SignIn(context.Background(), authURL, username, "pw")
	if err != nil {
		t.Fatal(err)
	}
	resp, body := oidcCallback(t, cb.String(), state)
	session := cookieNamed(resp, sessionCookie)
	if resp.StatusCode != http.StatusOK || session == nil || !strings.HasPrefix(session.Value, oidcauth.CookiePrefix) || !strings.Contains(body, `http-equiv="refresh" content="0;url=/flows"`) {
		t.Fatalf("callback for %s: %s, session cookie %+v\n%.500s", username, resp.Status, session, body)
	}
	return session
}

func cookieNamed(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name && c.MaxAge >= 0 {
			return c
		}
	}
	return nil
}

// sessionAuth makes a request ride on a browser session: the session cookie, and the CSRF
// cookie with its token, as the console's forms and htmx send them.
func sessionAuth(t testing.TB, ts *testServer, session *http.Cookie) func(*http.Request) {
	nonce := strings.Repeat("n", 43)
	token, err := ts.srv.svc.Keys.MAC(context.Background(), "csrf|"+nonce)
	if err != nil {
		t.Fatal(err)
	}
	return func(r *http.Request) {
		r.AddCookie(session)
		r.AddCookie(&http.Cookie{Name: csrfCookie, Value: nonce})
		r.Header.Set("X-CSRF-Token", token)
	}
}

// TestEveryRouteChecksItsRoleWithSingleSignOn is TestEveryRouteChecksItsRole with sessions
// of people the provider's groups give each role.
func TestEveryRouteChecksItsRoleWithSingleSignOn(t *testing.T) {
	ts, op := startOIDCServer(t)
	as := map[apikeys.Role]func(*http.Request){}
	for role, user := range oidcUsers {
		as[role] = sessionAuth(t, ts, oidcSignIn(t, ts, op, user))
	}
	for _, r := range routeRequests(t, ts) {
		if r.role == apikeys.RoleNone {
			continue
		}
		if code, msg := r.send(func(*http.Request) {}); code != 401 || msg == "" {
			t.Errorf("%s without a session: %d %q, want 401 with a message", r.name, code, msg)
		}
		if r.role > apikeys.RoleRead {
			if code, _ := r.send(as[r.role-1]); code != 403 {
				t.Errorf("%s with a %s session: %d, want 403", r.name, r.role-1, code)
			}
		}
		if code, msg := r.send(as[r.role]); code == 401 || code == 403 {
			t.Errorf("%s with a %s session: refused with %d %q", r.name, r.role, code, msg)
		}
	}
}

// TestSingleSignOnCallbackRefusesHostileInput sends eventlens' callback what an attacker
// might, and checks each gets a clear page with the right status and no session.
func TestSingleSignOnCallbackRefusesHostileInput(t *testing.T) {
	ts, op := startOIDCServer(t)
	ctx := context.Background()
	signedIn := func(username string) (*http.Cookie, *url.URL) {
		state, authURL := oidcBegin(t, ts)
		cb, err := op.SignIn(ctx, authURL, username, "pw")
		if err != nil {
			t.Fatal(err)
		}
		return state, cb
	}
	refused := func(name string, resp *http.Response, body string, status int, says string) {
		t.Helper()
		if resp.StatusCode != status || !strings.Contains(body, says) || cookieNamed(resp, sessionCookie) != nil {
			t.Errorf("%s: %s, want %d saying %q, and no session\n%.600s", name, resp.Status, status, says, body)
		}
		if strings.Contains(body, "<script>alert") {
			t.Errorf("%s: the page repeats the callback's markup", name)
		}
	}

	state, cb := signedIn("ada")
	resp, body := oidcCallback(t, cb.String(), nil)
	refused("no state cookie", resp, body, 400, "belongs to another browser")

	state, cb = signedIn("ada")
	q := cb.Query()
	q.Set("state", "<script>alert(1)</script>"+strings.Repeat("x", 3000))
	resp, body = oidcCallback(t, ts.URL+"/auth/oidc/callback?"+q.Encode(), state)
	refused("garbled state", resp, body, 400, "start the sign-in again")

	state, cb = signedIn("ada")
	q = cb.Query()
	q.Del("code")
	resp, body = oidcCallback(t, ts.URL+"/auth/oidc/callback?"+q.Encode(), state)
	refused("no code", resp, body, 400, "carries no code")

	state, cb = signedIn("ada")
	q = cb.Query()
	q.Set("code", "not-a-code")
	resp, body = oidcCallback(t, ts.URL+"/auth/oidc/callback?"+q.Encode(), state)
	refused("wrong code", resp, body, 400, "refused the code")

	state, cb = signedIn("ada")
	q = cb.Query()
	q.Del("code")
	q.Set("error", "<script>alert(1)</script>")
	resp, body = oidcCallback(t, ts.URL+"/auth/oidc/callback?"+q.Encode(), state)
	refused("provider error", resp, body, 400, "answered an error")

	// A good callback works once; the same again (a replay with the same cookie) is refused.
	state, cb = signedIn("ada")
	if resp, body = oidcCallback(t, cb.String(), state); resp.StatusCode != 200 {
		t.Fatalf("good callback: %s %.300s", resp.Status, body)
	}
	resp, body = oidcCallback(t, cb.String(), state)
	refused("replay", resp, body, 400, "completed already")

	// Tokens the provider's answer carries are checked: a forgery is refused with 401.
	op.TamperIDTokens(op.SignWithOtherKey)
	state, cb = signedIn("ada")
	resp, body = oidcCallback(t, cb.String(), state)
	refused("forged ID token", resp, body, 401, "signature")
	op.TamperIDTokens(nil)

	// A person whose groups map to no role signs in at the provider, and is told why here.
	state, cb = signedIn("eve")
	resp, body = oidcCallback(t, cb.String(), state)
	refused("no mapped group", resp, body, 403, "Ask an administrator to add you to one of: admins, devs, staff")

	// Garbage session cookies are no session.
	for _, v := range []string{"oidc.", "oidc.garbage", "oidc." + strings.Repeat("A", 4000), "elk_x.1.y"} {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+"/api/flows", nil)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: v})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("session cookie %.20q: %s, want 401", v, resp.Status)
		}
	}
}

// TestSingleSignOnKeepsAPIKeysWorking: machines keep their keys when people sign in through
// the provider.
func TestSingleSignOnKeepsAPIKeysWorking(t *testing.T) {
	ts, _ := startOIDCServer(t)
	key, secret, err := ts.srv.svc.Keys.Create(context.Background(), "ci", apikeys.RoleWrite)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/subjects", nil)
	req.SetBasicAuth(key.ID, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /subjects with a key: %s", resp.Status)
	}
}
