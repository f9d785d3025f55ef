package server

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

func TestProbesAndMetrics(t *testing.T) {
	ts := startServer(t)
	pool := `go_sql_open_connections{db_name="write"}` // the store's connections, by backend
	if ts.DB.Postgres != nil {
		pool = "eventlens_postgres_pool_acquired_connections"
	}
	tests := []struct {
		path, wantType, wantBody string
	}{
		{"/healthz", "application/json", `"status":"ok"`},
		{"/readyz", "application/json", `"status":"ready"`},
		{"/metrics", "text/plain", "eventlens_http_requests_total"},
		{"/metrics", "text/plain", "go_goroutines"},
		{"/metrics", "text/plain", pool},
	}
	ts.do(t, "GET", "/healthz", "", nil) // so the request counter has a sample
	for _, tt := range tests {
		resp, body := ts.do(t, "GET", tt.path, "", nil)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), tt.wantType) || !strings.Contains(body, tt.wantBody) {
			t.Errorf("GET %s: %d %q, body lacks %q:\n%.300s", tt.path, resp.StatusCode, resp.Header.Get("Content-Type"), tt.wantBody, body)
		}
	}
	_, body := ts.do(t, "GET", "/metrics", "", nil)
	if !strings.Contains(body, `eventlens_http_requests_total{method="GET",route="/healthz",status="200"}`) {
		t.Errorf("metrics lack the per-route request count:\n%s", body)
	}
}

func TestReadyzFailsWithoutDatabase(t *testing.T) {
	ts := startServer(t)
	ts.DB.Close()
	resp, body := ts.do(t, "GET", "/readyz", "", nil)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "unavailable") {
		t.Fatalf("readyz with a closed database: %d %s", resp.StatusCode, body)
	}
}

func TestErrorsAnswerInTheClientsLanguage(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.MaxBody = "1K" })
	big := strings.Repeat("x", 2048)
	tests := []struct {
		name, method, path, accept, body string
		status                           int
		wantJSON                         bool
	}{
		{"unknown API path", "GET", "/api/nothing", "text/html", "", 404, true},
		{"unknown registry path", "GET", "/subjects/a/b/c/d", "application/vnd.schemaregistry.v1+json", "", 404, true},
		{"unknown path from a program", "GET", "/no/such/page", "*/*", "", 404, true},
		{"unknown page from a browser", "GET", "/no/such/page", "text/html,application/xhtml+xml", "", 404, false},
		{"body over the limit", "POST", "/api/anything", "", big, 413, true},
		{"body over the limit on a page path", "POST", "/", "", big, 413, true},
		{"wrong method", "DELETE", "/healthz", "", "", 405, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := ts.do(t, tt.method, tt.path, tt.accept, strings.NewReader(tt.body))
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if !tt.wantJSON {
				if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, `data-testid="error-status"`) {
					t.Fatalf("want an HTML error page, got %q: %.200s", resp.Header.Get("Content-Type"), body)
				}
				return
			}
			var e apiError
			if err := json.Unmarshal([]byte(body), &e); err != nil || e.ErrorCode != tt.status || e.Message == "" {
				t.Fatalf("want a JSON error with code %d, got %q (%v)", tt.status, body, err)
			}
		})
	}
}

func TestPanicBecomes500(t *testing.T) {
	ts := startServer(t)
	ts.srv.echo.GET("/api/panic", func(echo.Context) error { panic("boom") })
	resp, body := ts.do(t, "GET", "/api/panic", "", nil)
	if resp.StatusCode != 500 || !strings.Contains(body, `"error_code":50001`) {
		t.Fatalf("panic: %d %s", resp.StatusCode, body)
	}
	// The server still answers afterwards.
	if resp, _ := ts.do(t, "GET", "/healthz", "", nil); resp.StatusCode != 200 {
		t.Fatalf("healthz after a panic: %d", resp.StatusCode)
	}
}

func TestShutdownDrainsInFlightRequests(t *testing.T) {
	ts := startServer(t)
	entered, release := make(chan struct{}), make(chan struct{})
	ts.srv.echo.GET("/api/slow", func(c echo.Context) error {
		close(entered)
		<-release
		return c.String(http.StatusOK, "finished")
	})

	type result struct {
		status int
		body   string
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get(ts.URL + "/api/slow")
		if err != nil {
			got <- result{body: err.Error()}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- result{resp.StatusCode, string(b)}
	}()
	<-entered

	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		shut <- ts.srv.Shutdown(ctx)
	}()
	// While draining, the server takes no new connections.
	deadline := time.Now().Add(2 * time.Second)
	for {
		c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 200 * time.Millisecond}
		if _, err := c.Get(ts.URL + "/healthz"); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("server still accepts new connections while shutting down")
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case err := <-shut:
		t.Fatalf("shutdown returned (%v) before the in-flight request finished", err)
	default:
	}
	close(release)
	if r := <-got; r.status != 200 || r.body != "finished" {
		t.Fatalf("in-flight request: %d %q, want 200 finished", r.status, r.body)
	}
	if err := <-shut; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

func TestStaticAssetsAreHashedAndCached(t *testing.T) {
	ts := startServer(t)
	_, home := ts.do(t, "GET", "/", "text/html", nil)
	for _, prefix := range []string{"/static/app.", "/static/htmx.min."} {
		i := strings.Index(home, prefix)
		if i < 0 {
			t.Fatalf("home page does not link %s*", prefix)
		}
		url := home[i : i+strings.IndexByte(home[i:], '"')]
		resp, body := ts.do(t, "GET", url, "", nil)
		if resp.StatusCode != 200 || len(body) == 0 || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("GET %s: %d, %d bytes, Cache-Control %q", url, resp.StatusCode, len(body), resp.Header.Get("Cache-Control"))
		}
	}
	if resp, _ := ts.do(t, "GET", "/static/app.css", "", nil); resp.StatusCode != 404 {
		t.Errorf("unhashed asset name answered %d, want 404", resp.StatusCode)
	}
}

func TestPagesCarrySecurityHeadersAndCSRF(t *testing.T) {
	ts := startServer(t)
	resp, body := ts.do(t, "GET", "/login", "text/html", nil)
	for header, want := range map[string]string{
		"Content-Security-Policy": "script-src 'self'",
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
	} {
		if !strings.Contains(resp.Header.Get(header), want) {
			t.Errorf("%s: %q, want %q", header, resp.Header.Get(header), want)
		}
	}
	cookie := resp.Header.Get("Set-Cookie")
	for _, want := range []string{"eventlens_csrf=", "HttpOnly", "Secure", "SameSite=Strict"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("CSRF cookie %q lacks %s", cookie, want)
		}
	}
	if !strings.Contains(body, `name="_csrf" value="`) {
		t.Error("login form lacks its CSRF field")
	}
	// A form post without the token is refused before it does anything.
	resp, body = ts.do(t, "POST", "/logout", "text/html", strings.NewReader(""))
	if resp.StatusCode != 403 || !strings.Contains(body, "form has expired") {
		t.Errorf("logout without a CSRF token: %d %.200s", resp.StatusCode, body)
	}
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/flows?x=1": "/flows?x=1", "": "/", "//evil.example": "/", "https://evil.example/": "/",
		"/\\evil.example": "/", "flows": "/", "javascript:alert(1)": "/",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMiddlewareOnEveryAnswer: the middleware echo runs for every request (request id, security
// headers, metrics) also reach answers no route handler made: unknown paths, wrong methods,
// bodies over the limit. A request id a client sends is kept; others are unique.
func TestMiddlewareOnEveryAnswer(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.MaxBody = "1K" })
	tests := []struct {
		name, method, path, body string
		header                   http.Header
		status                   int
	}{
		{"routed", "GET", "/schemas/types", "", nil, 200},
		{"unknown path", "GET", "/api/nothing", "", nil, 404},
		{"wrong method", "DELETE", "/schemas/types", "", nil, 405},
		{"made-up method", "BREW", "/schemas/types", "", nil, 405},
		{"another made-up method", "X-SCAN-1", "/schemas/types", "", nil, 405},
		{"body over the limit", "POST", "/subjects/s/versions", strings.Repeat("x", 2048), nil, 413},
		{"the client's request id", "GET", "/schemas/types", "", http.Header{"X-Request-Id": {"ci-job-42"}}, 200},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, ts.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			maps.Copy(req.Header, tt.header)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body := string(b)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %.200s", resp.StatusCode, tt.status, body)
			}
			if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Content-Security-Policy") == "" {
				t.Errorf("security headers missing: %v", resp.Header)
			}
			id := resp.Header.Get("X-Request-Id")
			switch {
			case tt.header != nil && id != tt.header.Get("X-Request-Id"):
				t.Errorf("request id %q, want the client's", id)
			case tt.header == nil && (len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" || seen[id]):
				t.Errorf("request id %q: want 32 hex digits, unique (seen %v)", id, seen)
			}
			seen[id] = true
		})
	}
	_, metrics := ts.do(t, "GET", "/metrics", "", nil)
	for _, want := range []string{
		`eventlens_http_requests_total{method="GET",route="/schemas/types",status="200"} 2`,
		`eventlens_http_requests_total{method="DELETE",route="/schemas/types",status="405"} 1`,
		`eventlens_http_requests_total{method="POST",route="/subjects/:subject/versions",status="413"} 1`,
		`eventlens_http_request_duration_seconds_count{method="GET",route="/schemas/types",status="200"} 2`,
		`eventlens_http_requests_total{method="_OTHER",route="/schemas/types",status="405"} 2`, // one series for any other method
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(metrics, "BREW") || strings.Contains(metrics, "X-SCAN-1") {
		t.Error("a method a client made up became a label value")
	}
}
