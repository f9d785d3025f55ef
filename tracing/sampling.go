package tracing

import (
	"math"
	"strconv"
	"strings"
)

// adjustedCount is how many spans a sampled span stands for, from the rejection threshold in
// its W3C tracestate's "ot" entry (OpenTelemetry's probability sampling: "ot=th:8" keeps half,
// "ot=th:e6666666666666" keeps 10 %). A span without a valid threshold was not sampled by
// probability, or says nothing about it, and counts once.
func adjustedCount(traceState string) float64 {
	th, ok := threshold(traceState)
	if !ok {
		return 1
	}
	return float64(maxThreshold) / float64(maxThreshold-th)
}

// maxThreshold is 2^56: thresholds are 56-bit, written as up to 14 hex digits with trailing
// zeros dropped.
const maxThreshold = uint64(1) << 56

func threshold(traceState string) (uint64, bool) {
	for _, member := range strings.Split(traceState, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(member), "=")
		if !ok || key != "ot" {
			continue
		}
		for _, field := range strings.Split(value, ";") {
			k, v, ok := strings.Cut(field, ":")
			if !ok || k != "th" || len(v) == 0 || len(v) > 14 {
				continue
			}
			n, err := strconv.ParseUint(v, 16, 64)
			if err != nil {
				return 0, false
			}
			return n << (4 * (14 - len(v))), true
		}
		return 0, false
	}
	return 0, false
}

// weigh is how many messages a span stands for: its batch size times its adjusted count,
// rounded (the thresholds Collectors are given, 10 %, 1 %, 25 %, give whole counts).
func weigh(batch int, adjusted float64) int {
	return max(1, int(math.Round(float64(batch)*adjusted)))
}
