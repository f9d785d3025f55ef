package server

import (
	"bytes"
	"io"
	"net/http"
	"runtime"
	"testing"

	"github.com/labstack/echo/v4"
)

// BenchmarkRegistry measures the registry over real HTTP on loopback with 16 keep-alive
// connections, client and server in one process. Each figure is also reported as a fraction
// of echo answering a constant JSON body in the same run (x_echo).
//
//	go test ./server -run '^$' -bench BenchmarkRegistry -benchtime 3s
func BenchmarkRegistry(b *testing.B) {
	ts := startServer(b)
	ts.srv.echo.GET("/bench/constant", func(c echo.Context) error {
		return c.JSONBlob(http.StatusOK, []byte(`{"id":1,"schema":"\"int\""}`))
	})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16, MaxConnsPerHost: 16}}
	send := func(b *testing.B, method, path, body string) {
		req, _ := http.NewRequest(method, ts.URL+path, bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", contentTypeV1)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, out)
		}
	}
	// A subject of 100 versions of a record growing to 100 fields.
	send(b, "PUT", "/config/big", `{"compatibility":"NONE"}`)
	for n := 1; n <= 100; n++ {
		send(b, "POST", "/subjects/big/versions", body(avroRecord("Big", n)))
	}
	send(b, "PUT", "/config/big", `{"compatibility":"BACKWARD_TRANSITIVE"}`)
	send(b, "POST", "/subjects/small/versions", body(avroRecord("Small", 3)))
	next := body(avroRecord("Big", 101))

	var baseline float64
	run := func(name, method, path, reqBody string) {
		b.Run(name, func(b *testing.B) {
			b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0))) // 16 client goroutines
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					send(b, method, path, reqBody)
				}
			})
			rate := float64(b.N) / b.Elapsed().Seconds()
			b.ReportMetric(rate, "req/s")
			if name == "echo_constant" {
				baseline = rate
			} else if baseline > 0 {
				b.ReportMetric(rate/baseline, "x_echo")
			}
		})
	}
	run("echo_constant", "GET", "/bench/constant", "")
	run("schema_by_id", "GET", "/schemas/ids/1", "")
	run("register_existing", "POST", "/subjects/small/versions", body(avroRecord("Small", 3)))
	run("check_latest_100_fields", "POST", "/compatibility/subjects/big/versions/latest", next)
	run("check_transitive_100_versions", "POST", "/compatibility/subjects/big/versions", next)
}
