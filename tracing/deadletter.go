package tracing

import (
	"regexp"
	"strings"
)

// Satellite kinds: channels that exist for another channel's failures.
const (
	SatelliteDeadLetter = "dead-letter"
	SatelliteRetry      = "retry"
)

// satellitePatterns are the names teams give dead-letter and retry channels: Spring Kafka's
// "-retry", "-retry-N" (N a delay or an index) and ".DLT"/"-dlt", the common ".dlq", "-dlq",
// "_dlq" and ".deadletter", and RabbitMQ's dead-letter exchanges ".dlx" (the exchange is the
// channel there). Matched case-insensitively at the end of the name.
var satellitePatterns = []struct {
	re   *regexp.Regexp
	kind string
}{
	{regexp.MustCompile(`(?i)^(.+?)[-._]retry(?:[-._]\d+)?$`), SatelliteRetry},
	{regexp.MustCompile(`(?i)^(.+?)[-._](?:dlt|dlq|dlx|dead[-._]?letters?|deadletter(?:queue)?)$`), SatelliteDeadLetter},
}

// SatelliteOf names the channel a dead-letter or retry channel serves, by its name alone
// (brokers and catalog documents may say so too; see docs/ingest.md), and which kind it is.
func SatelliteOf(destination string) (source, kind string, ok bool) {
	for _, p := range satellitePatterns {
		if m := p.re.FindStringSubmatch(destination); m != nil && strings.TrimSpace(m[1]) != "" {
			return m[1], p.kind, true
		}
	}
	return "", "", false
}
