package otlpmetrics

import (
	"errors"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"

	"github.com/eventlens/eventlens/otlpmetrics/otlpmetricstest"
)

// FuzzFromMetrics feeds arbitrary OTLP metrics requests to the decoder, seeded with the
// receivers' and the SDK's shapes: it never panics, accounts for every point, and reads only
// series it can store.
//
//	go test -run '^$' -fuzz FuzzFromMetrics -fuzztime 1m ./otlpmetrics
func FuzzFromMetrics(f *testing.F) {
	seeds := []pmetric.Metrics{
		shopScrape(t0, 90, 150, 300).Metrics(),
		otlpmetricstest.RabbitScrape{At: t0, Node: "n", VHost: "/", Queues: []otlpmetricstest.RabbitQueue{{Name: "q", Ready: 1}}}.Metrics(),
		sdkExport("shop", "a", t0.Add(-time.Minute), t0, 10, 5, 1, []uint64{1, 2, 3, 4}),
	}
	for _, md := range seeds {
		f.Add(otlpmetricstest.Protobuf(md), false)
		f.Add(otlpmetricstest.JSON(md), true)
	}
	f.Fuzz(func(t *testing.T, body []byte, isJSON bool) {
		var md pmetric.Metrics
		if isJSON {
			var u pmetric.JSONUnmarshaler
			var err error
			if md, err = u.UnmarshalMetrics(body); err != nil {
				return
			}
		} else {
			req := pmetricotlp.NewExportRequest()
			if err := req.UnmarshalProto(body); err != nil {
				return
			}
			md = req.Metrics()
		}
		d, err := FromMetrics(md, DecodeLimits{MaxPoints: 256})
		if errors.Is(err, ErrTooManyPoints) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Series)+d.Ignored+d.Rejected > d.Points || len(d.Reasons) > maxReasons {
			t.Fatalf("%d series + %d ignored + %d rejected of %d points", len(d.Series), d.Ignored, d.Rejected, d.Points)
		}
		for _, s := range d.Series {
			if s.Point.Time <= 0 || s.Source == "" || (s.Point.Histogram != nil && len(s.Point.Histogram.Counts) != len(s.Point.Histogram.Bounds)+1) {
				t.Fatalf("series %+v", s)
			}
			if _, err := decodeHistogram(encodeHistogram(s.Point.Histogram)); err != nil {
				t.Fatal(err)
			}
		}
	})
}
