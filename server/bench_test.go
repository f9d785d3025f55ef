package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// benchServer is a server for benchmarks with a client of 16 keep-alive connections.
type benchServer struct {
	ts       *testServer
	client   *http.Client
	baseline float64 // echo_constant's req/s in this run
}

func newBenchServer(b *testing.B) *benchServer {
	ts := startServer(b, func(c *Config) { c.MaxBody = "16M" })
	ts.srv.echo.GET("/bench/constant", func(c echo.Context) error {
		return c.JSONBlob(http.StatusOK, []byte(`{"id":1,"schema":"\"int\""}`))
	})
	return &benchServer{ts: ts, client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16, MaxConnsPerHost: 16}}}
}

// send sends one request and fails unless it is answered 200; it returns the body.
func (s *benchServer) send(b *testing.B, method, path, body string) []byte {
	req, _ := http.NewRequest(method, s.ts.URL+path, bytes.NewReader([]byte(body)))
	req.Header.Set("Content-Type", contentTypeV1)
	resp, err := s.client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.Fatalf("%s %s: %d %.300s", method, path, resp.StatusCode, out)
	}
	return out
}

// run measures one request from 16 client goroutines, in req/s and as a fraction of echo
// answering a constant body (x_echo), which the first run, echo_constant, measures.
func (s *benchServer) run(b *testing.B, name, method, path, reqBody string) {
	b.Run(name, func(b *testing.B) {
		b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0))) // 16 client goroutines
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				s.send(b, method, path, reqBody)
			}
		})
		rate := float64(b.N) / b.Elapsed().Seconds()
		b.ReportMetric(rate, "req/s")
		if name == "echo_constant" {
			s.baseline = rate
		} else if s.baseline > 0 {
			b.ReportMetric(rate/s.baseline, "x_echo")
		}
	})
}

// BenchmarkRegistry measures the registry over real HTTP on loopback with 16 keep-alive
// connections, client and server in one process. Each figure is also reported as a fraction
// of echo answering a constant JSON body in the same run (x_echo).
//
//	go test ./server -run '^$' -bench BenchmarkRegistry -benchtime 3s
func BenchmarkRegistry(b *testing.B) {
	s := newBenchServer(b)
	// A subject of 100 versions of a record growing to 100 fields.
	s.send(b, "PUT", "/config/big", `{"compatibility":"NONE"}`)
	for n := 1; n <= 100; n++ {
		s.send(b, "POST", "/subjects/big/versions", body(avroRecord("Big", n)))
	}
	s.send(b, "PUT", "/config/big", `{"compatibility":"BACKWARD_TRANSITIVE"}`)
	s.send(b, "POST", "/subjects/small/versions", body(avroRecord("Small", 3)))
	next := body(avroRecord("Big", 101))

	s.run(b, "echo_constant", "GET", "/bench/constant", "")
	s.run(b, "schema_by_id", "GET", "/schemas/ids/1", "")
	s.run(b, "register_existing", "POST", "/subjects/small/versions", body(avroRecord("Small", 3)))
	s.run(b, "check_latest_100_fields", "POST", "/compatibility/subjects/big/versions/latest", next)
	s.run(b, "check_transitive_100_versions", "POST", "/compatibility/subjects/big/versions", next)
}

// jsonObjectSchema is a closed JSON Schema object of n properties of assorted types, each with
// a description, some of them nested objects.
func jsonObjectSchema(n int) string {
	props := make([]string, n)
	for i := range props {
		var typ string
		switch i % 4 {
		case 0:
			typ = `"type":"string","maxLength":64`
		case 1:
			typ = `"type":"integer","minimum":0`
		case 2:
			typ = `"type":["number","null"]`
		default:
			typ = `"type":"object","properties":{"a":{"type":"string"},"b":{"type":"array","items":{"type":"integer"}}},"additionalProperties":false`
		}
		props[i] = fmt.Sprintf(`"p%d":{%s,"description":"property %d"}`, i, typ, i)
	}
	return `{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{` + strings.Join(props, ",") + `},"required":["p0"],"additionalProperties":false}`
}

// protoSchema is a proto3 file of n messages of 20 fields each (scalars, enums, other
// messages, a map, a oneof) and n enums of 10 values: about 60 lines per message.
func protoSchema(n int) string {
	var sb strings.Builder
	sb.WriteString("syntax = \"proto3\";\npackage bench.v1;\n\nimport \"google/protobuf/timestamp.proto\";\n\n")
	for m := range n {
		fmt.Fprintf(&sb, "enum Kind%d {\n", m)
		for v := range 10 {
			fmt.Fprintf(&sb, "  KIND%d_V%d = %d;\n", m, v, v)
		}
		sb.WriteString("}\n\n")
		fmt.Fprintf(&sb, "message Msg%d {\n", m)
		for f := 1; f <= 14; f++ {
			typ := []string{"string", "int64", "double", "bool", "bytes", "uint32", "sint64"}[f%7]
			fmt.Fprintf(&sb, "  %s f%d = %d;\n", typ, f, f)
		}
		fmt.Fprintf(&sb, "  Kind%d kind = 15;\n", m)
		fmt.Fprintf(&sb, "  google.protobuf.Timestamp at = 16;\n")
		if m > 0 {
			fmt.Fprintf(&sb, "  repeated Msg%d children = 17;\n", m-1)
		}
		sb.WriteString("  map<string, int64> counts = 18;\n  oneof choice {\n    string text = 19;\n    int64 number = 20;\n  }\n}\n\n")
	}
	return sb.String()
}

// BenchmarkRegistryFormats measures compatibility checks of JSON Schema and Protobuf over real
// HTTP, as BenchmarkRegistry does for Avro: against the latest version and, at
// BACKWARD_TRANSITIVE, against all 10 versions of the subject.
//
//	go test ./server -run '^$' -bench BenchmarkRegistryFormats -benchtime 3s
func BenchmarkRegistryFormats(b *testing.B) {
	s := newBenchServer(b)
	// JSON: 10 versions growing from 491 to 500 properties; the checked one has 501.
	// Protobuf: 10 versions growing from 41 to 50 messages (1,000 fields); the checked one has 51.
	subjects := []struct {
		subject, typ string
		version      func(i int) string
	}{
		{"json500", "JSON", func(i int) string { return jsonObjectSchema(490 + i) }},
		{"proto50", "PROTOBUF", func(i int) string { return protoSchema(40 + i) }},
	}
	for _, sub := range subjects {
		s.send(b, "PUT", "/config/"+sub.subject, `{"compatibility":"BACKWARD_TRANSITIVE"}`)
		for i := 1; i <= 10; i++ {
			s.send(b, "POST", "/subjects/"+sub.subject+"/versions", typed(sub.typ, sub.version(i), ""))
		}
		var a compatibilityAnswer
		json.Unmarshal(s.send(b, "POST", "/compatibility/subjects/"+sub.subject+"/versions?verbose=true", typed(sub.typ, sub.version(11), "")), &a)
		if !a.IsCompatible {
			b.Fatalf("%s: the next version is not compatible: %v", sub.subject, a.Messages)
		}
		b.Logf("%s: latest version %d bytes", sub.subject, len(sub.version(10)))
	}
	s.run(b, "echo_constant", "GET", "/bench/constant", "")
	for _, sub := range subjects {
		next := typed(sub.typ, sub.version(11), "")
		s.run(b, "check_latest_"+sub.subject, "POST", "/compatibility/subjects/"+sub.subject+"/versions/latest", next)
		s.run(b, "check_transitive_10_versions_"+sub.subject, "POST", "/compatibility/subjects/"+sub.subject+"/versions", next)
	}
}
