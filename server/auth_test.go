package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/eventlens/eventlens/apikeys"
)

// TestEveryRouteChecksItsRole walks the route table: once keys exist, each route that needs a
// role refuses a request without a key and with a wrong key (401), refuses a key of a weaker
// role (403), and lets a key of its role through.
func TestEveryRouteChecksItsRole(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	secrets := map[apikeys.Role]string{}
	ids := map[apikeys.Role]string{}
	for _, role := range []apikeys.Role{apikeys.RoleRead, apikeys.RoleWrite, apikeys.RoleAdmin} {
		key, secret, err := ts.srv.svc.Keys.Create(ctx, role.String()+"-key", role)
		if err != nil {
			t.Fatal(err)
		}
		secrets[role], ids[role] = secret, key.ID
	}

	for _, r := range routeRequests(t, ts) {
		if r.role == apikeys.RoleNone {
			// Forms need their CSRF token, which this request lacks; a key they never need.
			if code, msg := r.send(func(*http.Request) {}); code == 401 || (code == 403 && !strings.Contains(msg, "form has expired")) {
				t.Errorf("%s needs no key but answered %d %q", r.name, code, msg)
			}
			continue
		}
		if code, msg := r.send(func(*http.Request) {}); code != 401 || msg == "" {
			t.Errorf("%s without a key: %d %q, want 401 with a message", r.name, code, msg)
		}
		if code, _ := r.send(func(q *http.Request) { q.SetBasicAuth(ids[r.role], "wrong") }); code != 401 {
			t.Errorf("%s with a wrong secret: %d, want 401", r.name, code)
		}
		if code, _ := r.send(func(q *http.Request) { q.Header.Set("Authorization", "Bearer not-a-key") }); code != 401 {
			t.Errorf("%s with a wrong bearer token: %d, want 401", r.name, code)
		}
		if r.role > apikeys.RoleRead {
			if code, _ := r.send(func(q *http.Request) { q.SetBasicAuth(ids[r.role-1], secrets[r.role-1]) }); code != 403 {
				t.Errorf("%s with a %s key: %d, want 403", r.name, r.role-1, code)
			}
		}
		if code, _ := r.send(func(q *http.Request) { q.SetBasicAuth(ids[r.role], secrets[r.role]) }); code == 401 || code == 403 {
			t.Errorf("%s with a %s key (Basic): refused with %d", r.name, r.role, code)
		}
		if code, _ := r.send(func(q *http.Request) { q.Header.Set("Authorization", "Bearer "+secrets[apikeys.RoleAdmin]) }); code == 401 || code == 403 {
			t.Errorf("%s with an admin key (Bearer): refused with %d", r.name, code)
		}
	}
}

// routeRequest sends one route of the table a request, its credentials set by the caller.
type routeRequest struct {
	name string
	role apikeys.Role
	send func(set func(*http.Request)) (status int, message string)
}

// routeRequests returns a request for every route in the table, with its parameters filled in.
func routeRequests(t *testing.T, ts *testServer) []routeRequest {
	var out []routeRequest
	for _, r := range ts.srv.routeTable(newMetrics(ts.srv.svc.DB, ts.srv.svc.Brokers, ts.srv.svc.Metrics)) {
		path := strings.NewReplacer(":file", "x", ":subject", "x", ":version", "1", ":id", "1", "*", "x").Replace(r.path)
		send := func(set func(*http.Request)) (int, string) {
			req, _ := http.NewRequest(r.method, ts.URL+path, strings.NewReader("{}"))
			req.Header.Set("Content-Type", "application/json")
			set(req)
			resp, err := noRedirects.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e apiError
			_ = json.NewDecoder(resp.Body).Decode(&e)
			return resp.StatusCode, e.Message
		}
		out = append(out, routeRequest{name: r.method + " " + r.path, role: r.role, send: send})
	}
	return out
}

// noRedirects shows redirects to the test instead of following them.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func TestNoKeysMeansOpen(t *testing.T) {
	ts := startServer(t)
	if resp, body := ts.do(t, "GET", "/", "text/html", nil); resp.StatusCode != 200 {
		t.Fatalf("home without keys configured: %d %.200s", resp.StatusCode, body)
	}
}

func TestUnauthorizedChallengesTheClient(t *testing.T) {
	ts := startServer(t)
	if _, _, err := ts.srv.svc.Keys.Create(context.Background(), "ci", apikeys.RoleRead); err != nil {
		t.Fatal(err)
	}
	resp, body := ts.do(t, "GET", "/metrics", "", nil)
	if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") || !strings.Contains(body, `"error_code":401`) {
		t.Fatalf("GET /metrics without a key: %d %q %s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body)
	}
	// Probes stay open for orchestrators.
	if resp, _ := ts.do(t, "GET", "/healthz", "", nil); resp.StatusCode != 200 {
		t.Fatalf("healthz with keys configured: %d", resp.StatusCode)
	}
}
