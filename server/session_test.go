package server

import (
	"strings"
	"testing"
)

// TestAPIAnswersCarryNoCookies: registry and other API clients get no CSRF (or any) cookie,
// on API paths and on the paths that are both a page and an API (GET /, GET /schemas); a browser
// loading a page still gets its CSRF cookie.
func TestAPIAnswersCarryNoCookies(t *testing.T) {
	ts := startServer(t)
	ts.do(t, "POST", "/subjects/s/versions", "", strings.NewReader(`{"schema":"\"string\""}`))
	for _, path := range []string{
		"/", "/schemas", "/schemas/", "/schemas?deleted=true", "/subjects", "/subjects/s/versions/1", "/schemas/ids/1",
		"/schemas/ids/404", "/schemas/types", "/config", "/mode", "/contexts", "/api/catalog/services", "/healthz",
	} {
		for _, accept := range []string{"", "application/vnd.schemaregistry.v1+json", "*/*"} {
			resp, _ := ts.do(t, "GET", path, accept, nil)
			if c := resp.Header.Values("Set-Cookie"); len(c) > 0 {
				t.Errorf("GET %s (Accept %q): %d with cookies %q", path, accept, resp.StatusCode, c)
			}
		}
	}
	for _, path := range []string{"/", "/schemas", "/services"} {
		if resp, _ := ts.do(t, "GET", path, "text/html", nil); !strings.Contains(resp.Header.Get("Set-Cookie"), csrfCookie+"=") {
			t.Errorf("page %s: no CSRF cookie", path)
		}
	}
}
