// Package tracing turns OpenTelemetry spans into what eventlens shows: messaging spans, event
// flows and consumer health. It also sets up the process's own OpenTelemetry tracing.
package tracing
