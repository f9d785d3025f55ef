package tracing

import "testing"

func TestSatelliteOf(t *testing.T) {
	tests := []struct {
		name, source, kind string
	}{
		{"orders.DLT", "orders", SatelliteDeadLetter},
		{"orders-dlt", "orders", SatelliteDeadLetter},
		{"payments.declined.dlq", "payments.declined", SatelliteDeadLetter},
		{"payments-dlq", "payments", SatelliteDeadLetter},
		{"payments_DLQ", "payments", SatelliteDeadLetter},
		{"mails.deadletter", "mails", SatelliteDeadLetter},
		{"orders.dlx", "orders", SatelliteDeadLetter},
		{"orders-retry", "orders", SatelliteRetry},
		{"orders-retry-0", "orders", SatelliteRetry},
		{"orders-retry-5000", "orders", SatelliteRetry},
		{"orders", "", ""},
		{"dlq", "", ""},
		{"-dlq", "", ""},
		{"orders.retryable", "", ""},
		{"holdlt", "", ""},
	}
	for _, tt := range tests {
		source, kind, ok := SatelliteOf(tt.name)
		if source != tt.source || kind != tt.kind || ok != (tt.kind != "") {
			t.Errorf("SatelliteOf(%q) = %q, %q, %v; want %q, %q", tt.name, source, kind, ok, tt.source, tt.kind)
		}
	}
}
