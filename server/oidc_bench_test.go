package server

import (
	"context"
	"io"
	"net/http"
	"runtime"
	"testing"

	"github.com/eventlens/eventlens/apikeys"
)

// BenchmarkSessions measures a cheap read route (/schemas/types) from 16 client goroutines
// with each way of being signed in, as a ratio to an API key sent with each request (verified
// from the key cache): an API key's session cookie (a MAC and a key lookup), and a single
// sign-on session (one row read from the store).
func BenchmarkSessions(b *testing.B) {
	ts, op := startOIDCServer(b)
	ctx := context.Background()
	key, secret, err := ts.srv.svc.Keys.Create(ctx, "bench", apikeys.RoleRead)
	if err != nil {
		b.Fatal(err)
	}
	keySession, err := ts.srv.svc.Keys.NewSession(ctx, key.ID, sessionTTL)
	if err != nil {
		b.Fatal(err)
	}
	sso := oidcSignIn(b, ts, op, oidcUsers[apikeys.RoleRead])
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16, MaxConnsPerHost: 16}}
	var baseline float64
	for _, c := range []struct {
		name string
		set  func(*http.Request)
	}{
		{"api_key", func(r *http.Request) { r.SetBasicAuth(key.ID, secret) }},
		{"api_key_session", func(r *http.Request) { r.AddCookie(&http.Cookie{Name: sessionCookie, Value: keySession}) }},
		{"oidc_session", func(r *http.Request) { r.AddCookie(sso) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest(http.MethodGet, ts.URL+"/schemas/types", nil)
					c.set(req)
					resp, err := client.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						b.Fatalf("%s: %s", c.name, resp.Status)
					}
				}
			})
			rate := float64(b.N) / b.Elapsed().Seconds()
			b.ReportMetric(rate, "req/s")
			if c.name == "api_key" {
				baseline = rate
			}
			if baseline > 0 {
				b.ReportMetric(rate/baseline, "x_api_key")
			}
		})
	}
}
