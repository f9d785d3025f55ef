// Package demo is the synthetic shop behind `eventlens demo`: orders, payments, inventory, shipping
// and notifications exchanging messages through an in-process broker, instrumented with the
// OpenTelemetry Go SDK and exporting spans to eventlens with the real OTLP/HTTP exporter.
//
// It is a client of eventlens and talks to it only over OTLP: it imports nothing of eventlens.
package demo
