package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/eventlens/eventlens/apikeys"
	"github.com/eventlens/eventlens/otlpmetrics"
	"github.com/eventlens/eventlens/otlpmetrics/otlpmetricstest"
	"github.com/eventlens/eventlens/storage/storagetest"
	"github.com/eventlens/eventlens/tracing"
)

// kafkaScrape is a kafkametrics scrape of topic orders (3 partitions) read by group billing.
func kafkaScrape(at time.Time, committed ...int64) otlpmetricstest.KafkaScrape {
	return otlpmetricstest.KafkaScrape{At: at, Start: at.Add(-time.Hour), ClusterAlias: "shop", Brokers: 1,
		Topics: []otlpmetricstest.KafkaTopic{{Name: "orders", Oldest: []int64{0, 0, 0}, End: []int64{100, 100, 100}}},
		Groups: []otlpmetricstest.KafkaGroup{{Name: "billing", Members: 2, Topic: "orders", Committed: committed}}}
}

func (ts *testServer) postMetrics(t testing.TB, contentType, encoding, key string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, ts.URL+"/v1/metrics", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func metricsResponse(t *testing.T, resp *http.Response, body []byte) pmetricotlp.ExportResponse {
	t.Helper()
	r := pmetricotlp.NewExportResponse()
	var err error
	if resp.Header.Get("Content-Type") == "application/json" {
		err = r.UnmarshalJSON(body)
	} else {
		err = r.UnmarshalProto(body)
	}
	if resp.StatusCode != 200 || err != nil {
		t.Fatalf("status %d, %v: %q", resp.StatusCode, err, body)
	}
	return r
}

func (ts *testServer) snapshot(t testing.TB) otlpmetrics.Snapshot {
	t.Helper()
	snap, err := ts.Metrics.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// TestOTLPMetricsHTTP posts a kafkametrics scrape in each encoding: each answer means its
// points are stored, as the snapshot the console reads shows.
func TestOTLPMetricsHTTP(t *testing.T) {
	ts := startServerMetrics(t, nil, tracing.Config{}, otlpmetrics.Config{CacheFor: time.Nanosecond})
	now := time.Now().Add(-time.Minute)
	encodings := []struct {
		name, contentType, encoding string
		body                        func(pmetric.Metrics) []byte
	}{
		{"protobuf", "application/x-protobuf", "", otlpmetricstest.Protobuf},
		{"protobuf gzip", "application/x-protobuf", "gzip", func(md pmetric.Metrics) []byte { return gzipped(t, otlpmetricstest.Protobuf(md)) }},
		{"json", "application/json", "", otlpmetricstest.JSON},
		{"json gzip", "application/json; charset=utf-8", "gzip", func(md pmetric.Metrics) []byte { return gzipped(t, otlpmetricstest.JSON(md)) }},
	}
	for i, e := range encodings {
		t.Run(e.name, func(t *testing.T) {
			at := now.Add(time.Duration(i) * 10 * time.Second)
			lag := int64(40 - 10*i)
			resp, body := ts.postMetrics(t, e.contentType, e.encoding, "", e.body(kafkaScrape(at, 100-lag, 100, 100).Metrics()))
			if r := metricsResponse(t, resp, body); r.PartialSuccess().RejectedDataPoints() != 0 {
				t.Fatalf("rejected %d: %s", r.PartialSuccess().RejectedDataPoints(), r.PartialSuccess().ErrorMessage())
			}
			snap := ts.snapshot(t)
			if len(snap.Kafka) != 1 || snap.Kafka[0].Lag != lag || snap.Kafka[0].Group != "billing" || !snap.Kafka[0].At.Equal(at.Truncate(time.Nanosecond)) {
				t.Fatalf("snapshot: %+v", snap.Kafka)
			}
		})
	}
	st := ts.Metrics.Stats()
	if st.Requests != 4 || st.Stored != 4*15 || st.Ignored != 4*8 {
		t.Fatalf("stats: %+v", st)
	}

	// The exporter is a source on /readyz and /sources, and the group it reports joins consumer
	// health under its own name (no span names it).
	if _, body := ts.do(t, "GET", "/readyz", "", nil); !strings.Contains(body, `"kind":"otlp-metrics","name":"kafka/shop","state":"ok"`) {
		t.Errorf("/readyz does not list the metrics source: %s", body)
	}
	if _, body := ts.do(t, "GET", "/sources", "text/html", nil); !strings.Contains(body, "kafka/shop") {
		t.Error("/sources does not list the metrics source")
	}
	_, body := ts.do(t, "GET", "/api/health", "", nil)
	if !strings.Contains(body, `"consumer_group":"billing"`) || !strings.Contains(body, `"sources":["otlp-metrics"]`) || !strings.Contains(body, `"lag":10`) {
		t.Errorf("/api/health lacks the billing group from the metrics: %s", body)
	}
}

func TestOTLPMetricsRefusesBadRequests(t *testing.T) {
	ts := startServer(t, func(c *Config) {
		c.OTLP.MaxBody = "64K"
		c.OTLP.MetricLimits = otlpmetrics.DecodeLimits{MaxPoints: 100}
	})
	good := otlpmetricstest.Protobuf(kafkaScrape(time.Now(), 1, 2, 3).Metrics())
	big := kafkaScrape(time.Now(), make([]int64, 30)...)
	big.Topics[0].Oldest, big.Topics[0].End = make([]int64, 30), make([]int64, 30)
	tests := []struct {
		name, contentType, encoding string
		body                        []byte
		status                      int
		wantMessage                 string
	}{
		{"other content type", "text/plain", "", []byte("hello"), 415, "unsupported content type"},
		{"garbage protobuf", "application/x-protobuf", "", []byte{0xff, 0xff, 0xff, 0xff}, 400, "malformed OTLP protobuf"},
		{"truncated protobuf", "application/x-protobuf", "", good[:len(good)/2], 400, "malformed OTLP protobuf"},
		{"not JSON", "application/json", "", []byte(`{"resourceMetrics": [}`), 400, "malformed OTLP JSON"},
		{"a number that is not one", "application/json", "", []byte(`{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"kafka.consumer_group.lag",
			"gauge":{"dataPoints":[{"timeUnixNano":"x","asInt":"1"}]}}]}]}]}`), 400, "malformed OTLP JSON"},
		{"over the limit", "application/x-protobuf", "", bytes.Repeat(good, 200), 413, "larger than the limit"},
		{"gzip bomb", "application/x-protobuf", "gzip", gzipped(t, bytes.Repeat([]byte{0}, 10<<20)), 413, "once decompressed"},
		{"too many points", "application/x-protobuf", "", otlpmetricstest.Protobuf(big.Metrics()), 413, "too many data points"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := ts.postMetrics(t, tt.contentType, tt.encoding, "", tt.body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %q", resp.StatusCode, tt.status, body)
			}
			if st := rpcStatus(t, resp, body); !strings.Contains(st.Message, tt.wantMessage) {
				t.Fatalf("message %q lacks %q", st.Message, tt.wantMessage)
			}
		})
	}
	if n := storagetest.Int(t, ts.DB, "SELECT count(*) FROM otlp_metric_series"); n != 0 {
		t.Fatalf("refused requests stored %d series", n)
	}
}

// TestOTLPMetricsPartialSuccess: malformed points and new series over the cap are refused one
// by one and told in partial_success; the rest is stored, and the drops show on /metrics.
func TestOTLPMetricsPartialSuccess(t *testing.T) {
	ts := startServerMetrics(t, nil, tracing.Config{}, otlpmetrics.Config{MaxSeriesPerSource: 10})
	md := kafkaScrape(time.Now(), 1, 2, 3).Metrics() // 15 series of source kafka/shop
	// And a lag point without its group.
	bad := md.ResourceMetrics().At(2).ScopeMetrics().At(0).Metrics().AppendEmpty()
	bad.SetName("kafka.consumer_group.lag")
	dp := bad.SetEmptyGauge().DataPoints().AppendEmpty()
	dp.SetTimestamp(pcommon.NewTimestampFromTime(time.Now()))
	dp.SetIntValue(5)
	dp.Attributes().PutStr("topic", "orders")
	dp.Attributes().PutInt("partition", 0)
	resp, body := ts.postMetrics(t, "application/json", "", "", otlpmetricstest.JSON(md))
	ps := metricsResponse(t, resp, body).PartialSuccess()
	if ps.RejectedDataPoints() != 6 || !strings.Contains(ps.ErrorMessage(), `without the "group" attribute`) ||
		!strings.Contains(ps.ErrorMessage(), "5 data point(s) of new series dropped") || !strings.Contains(ps.ErrorMessage(), "kafka/shop") {
		t.Fatalf("partial success: %d %q", ps.RejectedDataPoints(), ps.ErrorMessage())
	}
	if n := storagetest.Int(t, ts.DB, "SELECT count(*) FROM otlp_metric_series"); n != 10 {
		t.Fatalf("%d series stored, want the cap of 10", n)
	}
	_, text := ts.do(t, "GET", "/metrics", "", nil)
	for _, want := range []string{`eventlens_otlp_metric_points_total{outcome="dropped_by_cap"} 5`, `eventlens_otlp_metric_points_total{outcome="rejected"} 1`,
		`eventlens_otlp_metric_points_total{outcome="stored"} 10`, `eventlens_otlp_metric_points_total{outcome="ignored"} 8`, "eventlens_otlp_metric_series 10"} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestOTLPMetricsNeedsAWriteKey: once keys exist, /v1/metrics and the gRPC MetricsService want
// a write key, as the trace endpoints do.
func TestOTLPMetricsNeedsAWriteKey(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	_, read, err := ts.srv.svc.Keys.Create(ctx, "reader", apikeys.RoleRead)
	if err != nil {
		t.Fatal(err)
	}
	_, write, err := ts.srv.svc.Keys.Create(ctx, "collector", apikeys.RoleWrite)
	if err != nil {
		t.Fatal(err)
	}
	body := otlpmetricstest.Protobuf(kafkaScrape(time.Now(), 1, 2, 3).Metrics())
	for _, c := range []struct {
		key    string
		status int
	}{{"", 401}, {"not-a-key", 401}, {read, 403}, {write, 200}} {
		if resp, b := ts.postMetrics(t, "application/x-protobuf", "", c.key, body); resp.StatusCode != c.status {
			t.Errorf("key %q: status %d, want %d: %s", c.key, resp.StatusCode, c.status, b)
		}
	}
	for _, c := range []struct {
		headers map[string]string
		want    codes.Code
	}{{nil, codes.Unauthenticated}, {map[string]string{"authorization": "Bearer " + read}, codes.PermissionDenied},
		{map[string]string{"authorization": "Bearer " + write}, codes.OK}} {
		opts := []otlpmetricgrpc.Option{otlpmetricgrpc.WithEndpoint(ts.GRPCAddr), otlpmetricgrpc.WithInsecure(),
			otlpmetricgrpc.WithRetry(otlpmetricgrpc.RetryConfig{Enabled: false})}
		if c.headers != nil {
			opts = append(opts, otlpmetricgrpc.WithHeaders(c.headers))
		}
		exp, err := otlpmetricgrpc.New(ctx, opts...)
		if err != nil {
			t.Fatal(err)
		}
		for _, rm := range toSDK(t, kafkaScrape(time.Now(), 1, 2, 3).Metrics()) {
			if err := exp.Export(ctx, rm); status.Code(err) != c.want {
				t.Errorf("gRPC with %v: %v, want %s", c.headers, err, c.want)
			}
		}
		exp.Shutdown(ctx)
	}
}

// TestOTLPMetricsBusy: while points wait for the database beyond the queue, exports are asked
// to come back: 429 with Retry-After over HTTP, RESOURCE_EXHAUSTED with RetryInfo over gRPC.
func TestOTLPMetricsBusy(t *testing.T) {
	db := storagetest.SQLite(t)
	ts := startServerMetrics(t, db, tracing.Config{}, otlpmetrics.Config{QueuePoints: 5})
	tx, err := db.SQLite.Write.Begin() // the only write connection: the first export waits for it
	if err != nil {
		t.Fatal(err)
	}
	first := make(chan int, 1)
	go func() {
		resp, _ := ts.postMetrics(t, "application/x-protobuf", "", "", otlpmetricstest.Protobuf(kafkaScrape(time.Now(), 1, 2, 3).Metrics()))
		first <- resp.StatusCode
	}()
	deadline := time.Now().Add(10 * time.Second)
	for ts.Metrics.Stats().Requests == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	resp, body := ts.postMetrics(t, "application/x-protobuf", "", "", otlpmetricstest.Protobuf(kafkaScrape(time.Now(), 4, 5, 6).Metrics()))
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" || !strings.Contains(rpcStatus(t, resp, body).Message, "retry later") {
		t.Fatalf("HTTP: %d, Retry-After %q: %q", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	exp, err := otlpmetricgrpc.New(context.Background(), otlpmetricgrpc.WithEndpoint(ts.GRPCAddr), otlpmetricgrpc.WithInsecure(),
		otlpmetricgrpc.WithRetry(otlpmetricgrpc.RetryConfig{Enabled: false}))
	if err != nil {
		t.Fatal(err)
	}
	defer exp.Shutdown(context.Background())
	err = exp.Export(context.Background(), toSDK(t, kafkaScrape(time.Now(), 4, 5, 6).Metrics())[2])
	st, _ := status.FromError(err)
	var info *errdetails.RetryInfo
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			info = ri
		}
	}
	if st.Code() != codes.ResourceExhausted || info == nil || info.RetryDelay.AsDuration() != time.Second {
		t.Fatalf("gRPC: %v, retry info %v", err, info)
	}
	tx.Rollback()
	if code := <-first; code != 200 {
		t.Fatalf("the export that waited: %d", code)
	}
}

// toSDK turns receiver-shaped pdata into what the OTel SDK's exporters take, one resource each,
// so that the SDK's own exporters send exactly the receivers' output.
func toSDK(t testing.TB, md pmetric.Metrics) []*metricdata.ResourceMetrics {
	t.Helper()
	attrs := func(m pcommon.Map) attribute.Set {
		var kvs []attribute.KeyValue
		m.Range(func(k string, v pcommon.Value) bool {
			switch v.Type() {
			case pcommon.ValueTypeInt:
				kvs = append(kvs, attribute.Int64(k, v.Int()))
			default:
				kvs = append(kvs, attribute.String(k, v.AsString()))
			}
			return true
		})
		return attribute.NewSet(kvs...)
	}
	points := func(dps pmetric.NumberDataPointSlice) []metricdata.DataPoint[int64] {
		var out []metricdata.DataPoint[int64]
		for i := 0; i < dps.Len(); i++ {
			dp := dps.At(i)
			out = append(out, metricdata.DataPoint[int64]{Attributes: attrs(dp.Attributes()), StartTime: dp.StartTimestamp().AsTime(),
				Time: dp.Timestamp().AsTime(), Value: dp.IntValue()})
		}
		return out
	}
	var out []*metricdata.ResourceMetrics
	for i := 0; i < md.ResourceMetrics().Len(); i++ {
		rm := md.ResourceMetrics().At(i)
		res := attrs(rm.Resource().Attributes())
		sdk := &metricdata.ResourceMetrics{Resource: resource.NewSchemaless(res.ToSlice()...)}
		for j := 0; j < rm.ScopeMetrics().Len(); j++ {
			sm := rm.ScopeMetrics().At(j)
			scope := metricdata.ScopeMetrics{Scope: instrumentation.Scope{Name: sm.Scope().Name(), Version: sm.Scope().Version()}}
			for k := 0; k < sm.Metrics().Len(); k++ {
				m := sm.Metrics().At(k)
				out := metricdata.Metrics{Name: m.Name(), Description: m.Description(), Unit: m.Unit()}
				switch m.Type() {
				case pmetric.MetricTypeGauge:
					out.Data = metricdata.Gauge[int64]{DataPoints: points(m.Gauge().DataPoints())}
				case pmetric.MetricTypeSum:
					out.Data = metricdata.Sum[int64]{DataPoints: points(m.Sum().DataPoints()), Temporality: metricdata.CumulativeTemporality,
						IsMonotonic: m.Sum().IsMonotonic()}
				default:
					t.Fatalf("metric %s: %s", m.Name(), m.Type())
				}
				scope.Metrics = append(scope.Metrics, out)
			}
			sdk.ScopeMetrics = append(sdk.ScopeMetrics, scope)
		}
		out = append(out, sdk)
	}
	return out
}

// sdkExporter is one of the OTel SDK's metric exporters, pointed at the test server.
type sdkExporter struct {
	name string
	new  func(ctx context.Context, ts *testServer) (sdkmetric.Exporter, error)
}

var sdkExporters = []sdkExporter{
	{"otlpmetrichttp", func(ctx context.Context, ts *testServer) (sdkmetric.Exporter, error) {
		return otlpmetrichttp.New(ctx, otlpmetrichttp.WithEndpointURL(ts.URL+"/v1/metrics"))
	}},
	{"otlpmetrichttp gzip", func(ctx context.Context, ts *testServer) (sdkmetric.Exporter, error) {
		return otlpmetrichttp.New(ctx, otlpmetrichttp.WithEndpointURL(ts.URL+"/v1/metrics"), otlpmetrichttp.WithCompression(otlpmetrichttp.GzipCompression))
	}},
	{"otlpmetricgrpc", func(ctx context.Context, ts *testServer) (sdkmetric.Exporter, error) {
		return otlpmetricgrpc.New(ctx, otlpmetricgrpc.WithEndpoint(ts.GRPCAddr), otlpmetricgrpc.WithInsecure())
	}},
}

// TestOTelSDKMetricExportersReceivers sends the kafkametrics and rabbitmq receivers' output
// through the OTel SDK's exporters.
func TestOTelSDKMetricExportersReceivers(t *testing.T) {
	for _, ex := range sdkExporters {
		t.Run(ex.name, func(t *testing.T) {
			ts := startServerMetrics(t, nil, tracing.Config{}, otlpmetrics.Config{CacheFor: time.Nanosecond})
			ctx := context.Background()
			exp, err := ex.new(ctx, ts)
			if err != nil {
				t.Fatal(err)
			}
			defer exp.Shutdown(ctx)
			now := time.Now().Truncate(time.Millisecond)
			rabbit := func(at time.Time, published int64) pmetric.Metrics {
				return otlpmetricstest.RabbitScrape{At: at, Start: now.Add(-time.Hour), Node: "rabbit@mq", VHost: "shop",
					Queues: []otlpmetricstest.RabbitQueue{{Name: "billing", Ready: 12, Unacknowledged: 3, Consumers: 2, Published: published, Delivered: 10, Acknowledged: 9}}}.Metrics()
			}
			for _, md := range []pmetric.Metrics{kafkaScrape(now.Add(-30*time.Second), 60, 70, 80).Metrics(), kafkaScrape(now, 90, 95, 100).Metrics(),
				rabbit(now.Add(-30*time.Second), 100), rabbit(now, 400)} {
				for _, rm := range toSDK(t, md) {
					if err := exp.Export(ctx, rm); err != nil {
						t.Fatal(err)
					}
				}
			}
			snap := ts.snapshot(t)
			if len(snap.Kafka) != 1 || snap.Kafka[0].Lag != 15 || snap.Kafka[0].Members != 2 || !snap.Kafka[0].HasCommitRate ||
				snap.Kafka[0].CommitRate != 75.0/30 || snap.Kafka[0].Channel.Key() != "kafka@shop/orders" {
				t.Fatalf("kafka: %+v", snap.Kafka)
			}
			if len(snap.RabbitMQ) != 1 || snap.RabbitMQ[0].Ready != 12 || snap.RabbitMQ[0].Consumers != 2 || snap.RabbitMQ[0].Published.PerSecond != 10 {
				t.Fatalf("rabbitmq: %+v", snap.RabbitMQ)
			}
		})
	}
}

// TestOTelSDKMetricExportersClientMetrics: a service instrumented with the OTel SDK's metrics
// API records the messaging client metrics; its exporters send them, and they become flows on
// the channels spans name.
func TestOTelSDKMetricExportersClientMetrics(t *testing.T) {
	for _, ex := range sdkExporters {
		t.Run(ex.name, func(t *testing.T) {
			ts := startServerMetrics(t, nil, tracing.Config{}, otlpmetrics.Config{CacheFor: time.Nanosecond})
			ctx := context.Background()
			exp, err := ex.new(ctx, ts)
			if err != nil {
				t.Fatal(err)
			}
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp, sdkmetric.WithInterval(time.Hour))),
				sdkmetric.WithResource(resource.NewSchemaless(attribute.String("service.name", "billing"))))
			defer mp.Shutdown(ctx)
			meter := mp.Meter("github.com/eventlens/eventlens/shop")
			consumed, err := meter.Int64Counter("messaging.client.consumed.messages", metric.WithUnit("{message}"))
			if err != nil {
				t.Fatal(err)
			}
			process, err := meter.Float64Histogram("messaging.process.duration", metric.WithUnit("s"),
				metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10))
			if err != nil {
				t.Fatal(err)
			}
			on := metric.WithAttributes(attribute.String("messaging.system", "kafka"), attribute.String("messaging.destination.name", "orders"),
				attribute.String("server.address", "broker-1"), attribute.String("messaging.consumer.group.name", "billing"),
				attribute.String("messaging.operation.name", "process"))
			failed := metric.WithAttributes(attribute.String("messaging.system", "kafka"), attribute.String("messaging.destination.name", "orders"),
				attribute.String("server.address", "broker-1"), attribute.String("messaging.consumer.group.name", "billing"),
				attribute.String("messaging.operation.name", "process"), attribute.String("error.type", "card_declined"))
			for round := range 2 {
				for i := range 50 {
					consumed.Add(ctx, 1, on)
					opts := on
					if i%10 == 0 {
						opts = failed
					}
					process.Record(ctx, 0.02+0.001*float64(i), opts)
				}
				if err := mp.ForceFlush(ctx); err != nil {
					t.Fatal(err)
				}
				if round == 0 {
					time.Sleep(50 * time.Millisecond)
				}
			}
			snap := ts.snapshot(t)
			if len(snap.Flows) != 1 {
				t.Fatalf("flows: %+v", snap.Flows)
			}
			f := snap.Flows[0]
			want := otlpmetrics.FlowKey{Direction: otlpmetrics.Consume, Service: "billing", Group: "billing",
				Channel: otlpmetrics.Channel{System: "kafka", Cluster: "broker-1", Destination: "orders"}}
			if f.FlowKey != want || f.Messages.Total != 100 || !f.Messages.HasRate || f.Messages.PerSecond <= 0 {
				t.Fatalf("flow: %+v", f)
			}
			// Of the last 50 processings, 5 failed; durations from 20 to 69 ms.
			if p := f.Process; p.Count.Total != 90+10 || p.Failed.Total != 10 || p.P50 < 0.025 || p.P50 > 0.05 || p.P99 < 0.05 || p.P99 > 0.075 {
				t.Fatalf("process durations: %+v", p)
			}
			if key := fmt.Sprint(f.Channel.Key()); key != "kafka@broker-1/orders" {
				t.Fatalf("channel %s", key)
			}
		})
	}
}
