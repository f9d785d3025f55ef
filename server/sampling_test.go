package server

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// The same traffic exported whole and through 10 % probability sampling gives the same rates on
// /api/flows (within 5 %; at 50,000 messages one standard error of the estimate is 1.3 %), error
// rates within 15 % (a tenth of 5,000 sampled spans: one standard error is 4 %), and the sampled
// flows say they are estimates.
func TestRatesStayRightUnderProbabilitySampling(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	const messages = 50_000
	send := func(channel string, sampler sdktrace.Sampler) {
		exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(ts.URL+"/v1/traces"))
		if err != nil {
			t.Fatal(err)
		}
		// Seeded trace ids: the test sees the same sample on every run.
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp, sdktrace.WithMaxExportBatchSize(2000), sdktrace.WithBlocking()),
			sdktrace.WithSampler(sampler), sdktrace.WithIDGenerator(&seededIDs{rnd: rand.New(rand.NewPCG(1, 2))}),
			sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "billing"))))
		tracer := tp.Tracer("shop")
		for i := range messages {
			_, span := tracer.Start(ctx, channel+" process", trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(
				attribute.String("messaging.system", "kafka"), attribute.String("messaging.operation.type", "process"),
				attribute.String("messaging.destination.name", channel), attribute.String("messaging.consumer.group.name", "billing")))
			if i%10 == 0 {
				span.SetAttributes(attribute.String("error.type", "timeout"))
			}
			span.End()
		}
		if err := tp.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
	}
	send("orders-whole", sdktrace.AlwaysSample())
	send("orders-sampled", thresholdSampler{sdktrace.TraceIDRatioBased(0.1), "e6666666666666"})

	_, body := ts.do(t, "GET", "/api/flows?since=1h", "", nil)
	var got struct {
		Flows []struct {
			Channel   struct{ Destination string }
			Messages  int64
			ErrorRate float64 `json:"error_rate"`
			Estimated bool
		}
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	byChannel := map[string]int{}
	for i, f := range got.Flows {
		byChannel[f.Channel.Destination] = i
	}
	whole, sampled := got.Flows[byChannel["orders-whole"]], got.Flows[byChannel["orders-sampled"]]
	if whole.Messages != messages || whole.Estimated {
		t.Fatalf("unsampled flow: %+v, want %d messages, not estimated", whole, messages)
	}
	t.Logf("%d messages sent; at 10 %% sampling eventlens estimates %d (error rate %.4f against %.4f)",
		messages, sampled.Messages, sampled.ErrorRate, whole.ErrorRate)
	if off := math.Abs(float64(sampled.Messages)/messages - 1); off > 0.05 {
		t.Errorf("sampled flow counts %d messages, %.1f%% off the %d sent", sampled.Messages, 100*off, messages)
	}
	if off := math.Abs(sampled.ErrorRate/whole.ErrorRate - 1); off > 0.15 {
		t.Errorf("sampled error rate %.4f, %.1f%% off the whole traffic's %.4f", sampled.ErrorRate, 100*off, whole.ErrorRate)
	}
	if !sampled.Estimated {
		t.Error("the sampled flow does not say it is estimated")
	}
	for _, page := range []string{"/health", "/channels/orders-sampled"} {
		if _, html := ts.do(t, "GET", page, "text/html", nil); !strings.Contains(html, `class="estimated"`) {
			t.Errorf("%s does not mark the sampled consumer's rate as an estimate", page)
		}
	}
	if _, html := ts.do(t, "GET", "/channels/orders-whole", "text/html", nil); strings.Contains(html, `class="estimated"`) {
		t.Error("/channels/orders-whole marks a rate of unsampled traffic as an estimate")
	}
}

// thresholdSampler is a probability sampler that records its rejection threshold in the
// tracestate ("ot=th:…"), as OpenTelemetry's tracestate-probability sampling specifies and
// a Collector's probabilistic sampler writes it.
type thresholdSampler struct {
	sdktrace.Sampler
	threshold string
}

func (s thresholdSampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	r := s.Sampler.ShouldSample(p)
	if r.Decision == sdktrace.RecordAndSample {
		if ts, err := r.Tracestate.Insert("ot", "th:"+s.threshold); err == nil {
			r.Tracestate = ts
		}
	}
	return r
}

type seededIDs struct {
	mu  sync.Mutex
	rnd *rand.Rand
}

func (g *seededIDs) NewIDs(context.Context) (trace.TraceID, trace.SpanID) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var tid trace.TraceID
	binary.BigEndian.PutUint64(tid[:8], g.rnd.Uint64())
	binary.BigEndian.PutUint64(tid[8:], g.rnd.Uint64())
	return tid, g.newSpanID()
}

func (g *seededIDs) NewSpanID(context.Context, trace.TraceID) trace.SpanID {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.newSpanID()
}

func (g *seededIDs) newSpanID() trace.SpanID {
	var sid trace.SpanID
	binary.BigEndian.PutUint64(sid[:], g.rnd.Uint64()|1)
	return sid
}
