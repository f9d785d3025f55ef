package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestImportAsyncAPI runs `eventlens import asyncapi` against the catalog's test documents, then
// serves the same database and reads the imported catalog over HTTP.
func TestImportAsyncAPI(t *testing.T) {
	testdata, err := filepath.Abs("../../catalog/testdata")
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "eventlens.db")
	broken := filepath.Join(t.TempDir(), "broken.yaml")
	if err := os.WriteFile(broken, []byte("asyncapi: 9.9.9\ninfo: {title: x}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	social := filepath.Join(testdata, "asyncapi-3.0", "social-media")
	// payments, then a changed payments whose Avro payload adds a field without a default,
	// which breaks BACKWARD; ledger describes the same message with a payload of its own.
	payments := func(title, fields string) string {
		file := filepath.Join(t.TempDir(), "payments.yaml")
		doc := `{"asyncapi": "3.0.0", "info": {"title": "` + title + `", "version": "1.0.0"},
			"channels": {"payments": {"address": "payments", "messages": {"PaymentTaken": {"payload": {
				"schemaFormat": "application/vnd.apache.avro;version=1.9.0",
				"schema": {"type": "record", "name": "PaymentTaken", "fields": [` + fields + `]}}}}}}}`
		if err := os.WriteFile(file, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return file
	}
	paymentsV1 := payments("Payments", `{"name": "id", "type": "string"}`)
	paymentsV2 := payments("Payments", `{"name": "id", "type": "string"}, {"name": "amount", "type": "long"}`)
	ledger := payments("Ledger", `{"name": "paymentId", "type": "string"}`)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
	}{
		{"two documents", []string{filepath.Join(testdata, "shop/orders.yaml"), filepath.Join(testdata, "shop/shipping.yaml")}, exitOK,
			[]string{`imported "urn:shop:orders" as version 1: service "Orders Service", 3 channels, 3 operations, 4 messages, 4 payload schemas`,
				"  registered  shop.orders.v1-value version 1, id 2 (AVRO, message OrderPlaced)",
				"  registered  shop.payments.v1-PaymentReceived version 1, id 3 (PROTOBUF, message PaymentReceived)",
				`imported "Shipping Service" as version 1`,
				"  registered  parcel-scanned-value version 1, id 4 (JSON, message ParcelScanned)",
				"  unchanged   shop.orders.v1-value version 1, id 2 (AVRO, message OrderPlaced)"}},
		{"the same again", []string{filepath.Join(testdata, "shop/orders.yaml")}, exitOK,
			[]string{`unchanged "urn:shop:orders" as version 1`, "  unchanged   shop.orders.v1-value version 1, id 2"}},
		{"read the other way", []string{"--reverse-pubsub", filepath.Join(testdata, "shop/orders.yaml")}, exitOK, []string{`imported "urn:shop:orders" as version 2`}},
		{"multi-file with a base directory", []string{"--base-dir", social, filepath.Join(social, "backend/asyncapi.yaml"), filepath.Join(social, "frontend/asyncapi.yaml")}, exitOK,
			[]string{`imported "Website Backend"`, `imported "Website WebSocket Client"`,
				// The frontend sends on like/comment: its description wins and the backend's is reported.
				`  conflict    channel "like/comment" description: "Website WebSocket Client" says "Notify the backend that a comment has been liked.", "Website Backend" says "When a comment like is received from the frontend."; kept "Notify the backend that a comment has been liked."`}},
		{"a reference leaving the directory", []string{filepath.Join(social, "public-api/asyncapi.yaml")}, exitFail,
			[]string{`$.channels.commentLiked.messages.commentLiked: $ref "../common/messages.yaml#/commentLiked": the path leaves the document's directory`}},
		{"a broken document among good ones", []string{broken, filepath.Join(testdata, "shop/shipping.yaml")}, exitFail,
			[]string{`$.asyncapi: unsupported AsyncAPI version "9.9.9"`, `unchanged "Shipping Service"`, "1 of 2 documents not imported"}},
		{"a payload", []string{paymentsV1}, exitOK, []string{"  registered  payments-value version 1, id ", "(AVRO, message PaymentTaken)"}},
		// Payments, imported first, defines PaymentTaken: Ledger's payload is reported, not registered.
		{"another document's payload", []string{ledger}, exitOK, []string{
			`  unchanged   payments-value version 1, id `,
			`  conflict    message "PaymentTaken" payload.schema: "Payments" says "{\"fields\":[{\"name\":\"id\",`}},
		{"a payload the registry refuses", []string{paymentsV2}, exitFail, []string{
			`imported "Payments" as version 2`,
			`  refused     payments-value (AVRO, message PaymentTaken): Schema being registered is incompatible with an earlier schema for subject "payments-value"`,
			"1 of 1 payload schemas refused by the registry; the documents were imported"}},
		{"a missing file", []string{filepath.Join(testdata, "nope.yaml")}, exitUsage, []string{"nope.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			args := append([]string{"import", "asyncapi", "--db", db}, tt.args...)
			out, err := exec.CommandContext(ctx, binary, args...).CombinedOutput()
			if code := exitCode(err); code != tt.wantCode {
				t.Fatalf("exit code %d, want %d:\n%s", code, tt.wantCode, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}

	p := startServe(t, db)
	code, body := get(t, p.URL+"/api/catalog/channels/shop.orders.v1")
	// shipping.yaml describes the channel last, with less: what orders.yaml said stays.
	if code != 200 || !strings.Contains(body, `"consumerGroups":["shipping"]`) || !strings.Contains(body, `"subject":"shop.orders.v1-value"`) ||
		!strings.Contains(body, `"partitions":12`) {
		t.Errorf("GET the imported channel: %d %s", code, body)
	}
	if code, body := get(t, p.URL+"/subjects/payments-value/versions"); code != 200 || body != "[1]" {
		t.Errorf("versions of payments-value after the refusal: %d %s, want [1]", code, body)
	}
	// shipping.yaml describes OrderPlaced last, without a tag or an owner: orders.yaml's stay.
	if code, body := get(t, p.URL+"/api/catalog/messages/OrderPlaced"); code != 200 ||
		!strings.Contains(body, `"owner":"Ada Lovelace"`) || !strings.Contains(body, `"tags":["pii"]`) {
		t.Errorf("GET the imported message: %d %s", code, body)
	}
	code, body = get(t, p.URL+"/api/catalog/services")
	for _, s := range []string{"Orders Service", "Shipping Service", "Website Backend", "Website WebSocket Client"} {
		if code != 200 || !strings.Contains(body, `"name":"`+s+`"`) {
			t.Errorf("services lack %s: %d %s", s, code, body)
		}
	}
}
