package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eventlens/eventlens/oidcauth/oidctest"
)

// TestServeWithSingleSignOn runs the binary with the --oidc-* flags against a real provider:
// single sign-on alone lets it listen beyond loopback, pages and APIs then need a session, and a
// person of a mapped group gets one.
func TestServeWithSingleSignOn(t *testing.T) {
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	op := oidctest.Start(t, oidctest.Config{ClientID: "eventlens", ClientSecret: "s3cret", RedirectURL: base + "/auth/oidc/callback"})
	op.AddUser("dev", "pw", "devs")
	db := filepath.Join(t.TempDir(), "eventlens.db")
	flags := []string{"--oidc-issuer", op.Issuer, "--oidc-client-id", "eventlens", "--oidc-redirect-url", base + "/auth/oidc/callback",
		"--oidc-scopes", "profile,email,offline_access,groups", "--oidc-role-map", "devs=write"}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--oidc-client-id", "eventlens"}, "need --oidc-issuer"},
		{[]string{"--oidc-issuer", op.Issuer, "--oidc-role-map", "devs=write"}, "needs --oidc-redirect-url"},
		{append(flags[:len(flags)-1:len(flags)-1], "devs=root"), `unknown role "root"`},
		{append([]string{"--oidc-issuer", "http://127.0.0.1:1"}, flags[2:]...), "discover the OpenID provider"},
	} {
		code, out := runBinary(t, append([]string{"serve", "--addr", "127.0.0.1:0", "--otlp-grpc-addr", "", "--db", db}, c.args...)...)
		if code == 0 || !strings.Contains(out, c.want) {
			t.Errorf("serve %s: %d, want an error saying %q\n%s", strings.Join(c.args, " "), code, c.want, out)
		}
	}

	t.Setenv("EVENTLENS_OIDC_CLIENT_SECRET", "s3cret")
	startServe(t, db, append([]string{"--addr", fmt.Sprintf("0.0.0.0:%d", port)}, flags...)...)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string, cookies ...*http.Cookie) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := get("/api/flows"); resp.StatusCode != 401 {
		t.Fatalf("GET /api/flows without a session and without API keys: %s, want 401", resp.Status)
	}
	begin := get("/auth/oidc/login?next=/flows")
	cb, err := op.SignIn(context.Background(), begin.Header.Get("Location"), "dev", "pw")
	if err != nil {
		t.Fatal(err)
	}
	done := get(strings.TrimPrefix(cb.String(), base), begin.Cookies()...)
	var session *http.Cookie
	for _, c := range done.Cookies() {
		if c.Name == "eventlens_session" && c.Value != "" {
			session = c
		}
	}
	if done.StatusCode != 200 || session == nil {
		t.Fatalf("callback: %s, cookies %v", done.Status, done.Cookies())
	}
	if resp := get("/api/flows", session); resp.StatusCode != 200 {
		t.Fatalf("GET /api/flows with dev's session: %s", resp.Status)
	}
}
