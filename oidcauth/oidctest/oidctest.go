// Package oidctest runs a real OpenID provider on loopback for tests: zitadel's certified op
// package with the in-memory storage of its example server, the test's own users and groups (a
// groups claim when the client asks for the groups scope), a username and password form, and
// a way to replace the ID tokens its token endpoint hands out, to test what a client refuses.
package oidctest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// Config is the one client the provider knows.
type Config struct {
	ClientID, ClientSecret string
	RedirectURL            string // the client's callback
	PostLogoutURL          string // where the provider may send the browser after logout
}

// Provider is a running OpenID provider.
type Provider struct {
	Issuer string // http://localhost:PORT: another site than the 127.0.0.1 of the servers under test

	cfg     Config
	storage *storage.Storage
	server  *httptest.Server

	mu     sync.Mutex
	users  map[string]*user // by username, which is also the subject
	tamper func(claims map[string]any) string
	tokens int // token endpoint answers given
}

type user struct {
	password string
	groups   []string
}

// Start runs a provider for one test and stops it when the test ends.
func Start(t testing.TB, cfg Config) *Provider {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	p := &Provider{Issuer: "http://localhost:" + port, cfg: cfg, users: map[string]*user{}}
	p.storage = storage.NewStorageWithClients(userStore{p}, map[string]*storage.Client{
		cfg.ClientID: storage.WebClient(cfg.ClientID, cfg.ClientSecret, cfg.RedirectURL),
	})
	key := sha256.Sum256([]byte(rand.Text()))
	provider, err := op.NewProvider(&op.Config{
		CryptoKey: key, CodeMethodS256: true, AuthMethodPost: true, GrantTypeRefreshToken: true,
		DefaultLogoutRedirectURI: "/logged-out", SupportedUILocales: []language.Tag{language.English},
	}, opStorage{p.storage, p}, op.StaticIssuer(p.Issuer), op.WithAllowInsecure())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	interceptor := op.NewIssuerInterceptor(provider.IssuerFromRequest)
	callback := op.AuthCallbackURL(provider)
	mux.HandleFunc("GET /login/username", func(w http.ResponseWriter, r *http.Request) {
		loginForm.Execute(w, map[string]string{"ID": r.URL.Query().Get("authRequestID")})
	})
	mux.Handle("POST /login/username", interceptor.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.FormValue("id")
		if err := p.storage.CheckUsernamePassword(r.FormValue("username"), r.FormValue("password"), id); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			loginForm.Execute(w, map[string]string{"ID": id, "Error": err.Error()})
			return
		}
		http.Redirect(w, r, callback(r.Context(), id), http.StatusFound)
	}))
	mux.HandleFunc("GET /logged-out", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "signed out") })
	mux.Handle("/", p.tamperTokens(provider))
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	p.server = srv
	t.Cleanup(srv.Close)
	return p
}

// Close stops the provider, to test what its clients do when it is away.
func (p *Provider) Close() { p.server.Close() }

var loginForm = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Test provider: sign in</title></head><body>
<form id="op-login" method="post" action="/login/username">
<input type="hidden" name="id" value="{{.ID}}">
<label>Username <input id="username" name="username"></label>
<label>Password <input id="password" name="password" type="password"></label>
<p id="op-error">{{.Error}}</p>
<button type="submit">Sign in</button>
</form></body></html>`))

// AddUser adds (or replaces) a user with a password and groups.
func (p *Provider) AddUser(username, password string, groups ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.users[username] = &user{password: password, groups: groups}
}

// SetGroups changes a user's groups; the next ID token (a refresh's too) names the new ones.
func (p *Provider) SetGroups(username string, groups ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.users[username].groups = groups
}

// TamperIDTokens makes the token endpoint hand out, in place of each ID token, what f
// returns for the token's claims (see Sign and SignWithOtherKey); nil stops it.
func (p *Provider) TamperIDTokens(f func(claims map[string]any) string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tamper = f
}

// TokenAnswers counts the token endpoint's successful answers: code exchanges and refreshes.
func (p *Provider) TokenAnswers() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tokens
}

// tamperTokens wraps the provider's handler: answers of the token endpoint are counted and,
// when a tamper function is set, get their ID token replaced.
func (p *Provider) tamperTokens(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/oauth/token" {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		p.mu.Lock()
		tamper := p.tamper
		if rec.Code == http.StatusOK {
			p.tokens++
		}
		p.mu.Unlock()
		var answer map[string]any
		if raw, ok := idToken(body, &answer); ok && tamper != nil {
			answer["id_token"] = tamper(Claims(raw))
			body, _ = json.Marshal(answer)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		w.Write(body)
	})
}

func idToken(body []byte, answer *map[string]any) (string, bool) {
	if json.Unmarshal(body, answer) != nil {
		return "", false
	}
	raw, ok := (*answer)["id_token"].(string)
	return raw, ok
}

// Claims decodes a JWT's payload without checking anything.
func Claims(raw string) map[string]any {
	parts := strings.Split(raw, ".")
	claims := map[string]any{}
	if len(parts) == 3 {
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		json.Unmarshal(payload, &claims)
	}
	return claims
}

// Sign signs claims with the provider's own key: a token only its claims can make wrong.
func (p *Provider) Sign(claims map[string]any) string {
	key, err := p.storage.SigningKey(context.Background())
	if err != nil {
		panic(err)
	}
	return sign(claims, key.Key(), key.ID())
}

// SignWithOtherKey signs claims with a fresh key under the provider's key id: a forgery.
func (p *Provider) SignWithOtherKey(claims map[string]any) string {
	key, err := p.storage.SigningKey(context.Background())
	if err != nil {
		panic(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return sign(claims, other, key.ID())
}

func sign(claims map[string]any, key any, kid string) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		panic(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		panic(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		panic(err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		panic(err)
	}
	return raw
}

// SignIn goes through the provider's side of a sign-in with a plain HTTP client: from the
// authorization URL through the login form, up to the redirect to the client's callback, whose
// URL it returns (the client's own cookies, for the callback, are up to the caller).
func (p *Provider) SignIn(ctx context.Context, authURL, username, password string) (*url.URL, error) {
	jar := &cookieJar{}
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	next := authURL
	for range 10 {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, next, nil)
		if err != nil {
			return nil, err
		}
		resp, err := c.Do(req)
		if err != nil {
			return nil, err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusOK && strings.Contains(string(body), `id="op-login"`):
			id := resp.Request.URL.Query().Get("authRequestID")
			form := url.Values{"id": {id}, "username": {username}, "password": {password}}
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.Issuer+"/login/username", strings.NewReader(form.Encode()))
			if err != nil {
				return nil, err
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if resp, err = c.Do(req); err != nil {
				return nil, err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusFound {
				return nil, fmt.Errorf("the provider refused %s's password: %s", username, resp.Status)
			}
			next = resp.Header.Get("Location")
		case resp.StatusCode/100 == 3:
			loc, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
			if err != nil {
				return nil, err
			}
			if strings.HasPrefix(loc.String(), p.cfg.RedirectURL) {
				return loc, nil
			}
			next = loc.String()
		default:
			return nil, fmt.Errorf("GET %s: %s %.300s", next, resp.Status, body)
		}
	}
	return nil, fmt.Errorf("no redirect to %s after ten steps", p.cfg.RedirectURL)
}

// cookieJar keeps the provider's cookies for SignIn (it sets none today, but a login UI may).
type cookieJar struct {
	mu      sync.Mutex
	cookies []*http.Cookie
}

func (j *cookieJar) SetCookies(_ *url.URL, cookies []*http.Cookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.cookies = append(j.cookies, cookies...)
}

func (j *cookieJar) Cookies(*url.URL) []*http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.cookies)
}

// userStore gives the example storage the test's users.
type userStore struct{ p *Provider }

func (u userStore) GetUserByID(id string) *storage.User { return u.GetUserByUsername(id) }

func (u userStore) GetUserByUsername(username string) *storage.User {
	u.p.mu.Lock()
	defer u.p.mu.Unlock()
	x, ok := u.p.users[username]
	if !ok {
		return nil
	}
	return &storage.User{ID: username, Username: username, Password: x.password, FirstName: username, LastName: "Test",
		Email: username + "@example.com", EmailVerified: true, PreferredLanguage: language.English}
}

func (u userStore) ExampleClientID() string { return "service" }

func (p *Provider) groups(subject string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if x, ok := p.users[subject]; ok {
		return slices.Clone(x.groups)
	}
	return nil
}

// opStorage is the example storage with groups in ID tokens and a client that asserts the
// profile claims there too, as Keycloak and Dex do.
type opStorage struct {
	*storage.Storage
	p *Provider
}

func (s opStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	return client{c, s.p}, nil
}

func (s opStorage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, info, req, scopes); err != nil {
		return err
	}
	if slices.Contains(scopes, "groups") {
		info.AppendClaims("groups", s.p.groups(req.GetSubject()))
	}
	return nil
}

type client struct {
	op.Client
	p *Provider
}

func (c client) PostLogoutRedirectURIs() []string {
	if c.p.cfg.PostLogoutURL == "" {
		return nil
	}
	return []string{c.p.cfg.PostLogoutURL}
}

func (c client) IDTokenUserinfoClaimsAssertion() bool { return true }

func (c client) IsScopeAllowed(scope string) bool {
	return scope == "groups" || c.Client.IsScopeAllowed(scope)
}
