package server

import (
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// BenchmarkSchemaByIDWrk measures GET /schemas/ids/{id} with wrk (-t2 -c16, a process of its
// own) against eventlens as serve builds it (its own tracer provider, all middleware), side by
// side with a bare net/http handler writing the same bytes, and reports the ratio of their rates (x_bare) and of the CPU time a request costs the
// server (x_bare_cpu: the bare handler's over eventlens'), which other work on the machine does
// not skew. Each is run
// five times for 4 s, alternating, so both see the same load. Needs wrk (apt-get install wrk).
//
//	go test ./server -run '^$' -bench SchemaByIDWrk -benchtime 1x
func BenchmarkSchemaByIDWrk(b *testing.B) {
	if _, err := exec.LookPath("wrk"); err != nil {
		b.Fatal("wrk is not installed: apt-get install -y wrk")
	}
	ts := startServer(b, func(c *Config) { c.TracerProvider = nil }) // as serve: no spans of its own
	bs := &benchServer{ts: ts, client: http.DefaultClient}
	bs.send(b, "POST", "/subjects/s/versions", `{"schema":"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"}]}"}`)
	path := "/schemas/ids/1"
	body := bs.send(b, "GET", path, "")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	bare := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentTypeV1)
		w.Write(body)
	})}
	go bare.Serve(ln)
	defer bare.Close()
	bareURL := "http://" + ln.Addr().String()

	for range b.N {
		var bare, el wrkRun
		for range wrkRounds {
			bare.add(wrk(b, bareURL+path))
			el.add(wrk(b, ts.URL+path))
		}
		b.ReportMetric(bare.rate(), "bare_req/s")
		b.ReportMetric(el.rate(), "eventlens_req/s")
		b.ReportMetric(el.rate()/bare.rate(), "x_bare")
		b.ReportMetric(bare.cpuPerRequest()/el.cpuPerRequest(), "x_bare_cpu")
		b.ReportMetric(el.cpuPerRequest()*1e6, "eventlens_cpu_µs/req")
	}
}

// wrkRounds: runs of each, alternating, so that both see the machine's load alike.
const wrkRounds = 5

// wrkRun adds up wrk runs: requests, seconds, and this process's CPU time meanwhile (the server's,
// since wrk is a process of its own), so the CPU a request costs is known even when other work
// on the machine takes cores away.
type wrkRun struct{ requests, seconds, cpu float64 }

func (w *wrkRun) add(r wrkRun) {
	w.requests, w.seconds, w.cpu = w.requests+r.requests, w.seconds+r.seconds, w.cpu+r.cpu
}

func (w wrkRun) rate() float64          { return w.requests / w.seconds }
func (w wrkRun) cpuPerRequest() float64 { return w.cpu / w.requests }

var wrkTotals = regexp.MustCompile(`([0-9]+) requests in ([0-9.]+)s`)

// wrk runs wrk -t2 -c16 for 4 s against url.
func wrk(b *testing.B, url string) wrkRun {
	before := cpuTime(b)
	out, err := exec.Command("wrk", "-t2", "-c16", "-d4s", url).CombinedOutput()
	if err != nil {
		b.Fatalf("wrk: %v\n%s", err, out)
	}
	cpu := cpuTime(b) - before
	m := wrkTotals.FindSubmatch(out)
	if m == nil {
		b.Fatalf("wrk printed no totals:\n%s", out)
	}
	requests, _ := strconv.ParseFloat(string(m[1]), 64)
	seconds, _ := strconv.ParseFloat(string(m[2]), 64)
	return wrkRun{requests: requests, seconds: seconds, cpu: cpu}
}

// cpuTime is the CPU time (user and system) this process has used, in seconds.
func cpuTime(b *testing.B) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
