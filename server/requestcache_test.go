package server

import (
	"strings"
	"testing"

	"github.com/eventlens/eventlens/schemaregistry"
)

func TestRequestCache(t *testing.T) {
	big := strings.Repeat("x", minCachedBody)
	plain := schemaRequest{Schema: big, SchemaType: "JSON", References: []schemaregistry.Reference{{Name: "a", Subject: "b", Version: 1}}}
	tests := []struct {
		name    string
		body    string // put with plain, or with withMD when set
		withMD  bool
		lookup  string
		wantHit bool
	}{
		{"same body", "{" + big + "}", false, "{" + big + "}", true},
		{"one byte differs", "{" + big + "}", false, "{" + big + " }", false},
		{"same length, other bytes", "{" + big + "a}", false, "{" + big + "b}", false},
		{"small body is not kept", "{}", false, "{}", false},
		{"metadata is not kept", "{" + big + "}", true, "{" + big + "}", false},
		{"larger than the cache", "{" + strings.Repeat("y", 64<<10) + "}", false, "{" + strings.Repeat("y", 64<<10) + "}", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := newRequestCache(32 << 10)
			req := plain
			if tt.withMD {
				req.Metadata = &schemaregistry.Metadata{Properties: map[string]string{"confluent:reserved": "f1"}}
			}
			rc.put([]byte(tt.body), req)
			got, ok := rc.get([]byte(tt.lookup))
			if ok != tt.wantHit {
				t.Fatalf("hit %v, want %v", ok, tt.wantHit)
			}
			if !ok {
				return
			}
			if got.Schema != plain.Schema || got.SchemaType != "JSON" || len(got.References) != 1 {
				t.Fatalf("got %+v", got)
			}
			// What a caller does with its references is not seen by the next one.
			got.References[0].Version = 7
			if again, _ := rc.get([]byte(tt.lookup)); again.References[0].Version != 1 {
				t.Fatal("a caller's change reached the cache")
			}
		})
	}

	// Full, the cache starts afresh rather than growing.
	rc := newRequestCache(3 * minCachedBody)
	first := "{" + big + "}"
	rc.put([]byte(first), plain)
	rc.put([]byte("{"+big+"2}"), plain)
	if _, ok := rc.get([]byte(first)); ok {
		t.Error("an entry beyond the budget kept the first")
	}
	if rc.bytes > rc.maxBytes {
		t.Errorf("%d bytes held, budget %d", rc.bytes, rc.maxBytes)
	}
}

// TestRegistryRepeatedBodies sends the same large bodies again: each answer is the one a first
// decoding gives, a body one byte away is not mistaken for it, and a body with metadata is
// judged on its metadata every time (the reserved-field check).
func TestRegistryRepeatedBodies(t *testing.T) {
	ts := startServer(t)
	v1 := jsonObjectSchema(40) // a few KB: large enough to be kept
	ts.mustCall(t, "PUT", "/config/big", `{"compatibility":"BACKWARD","validateFields":true}`)
	ts.mustCall(t, "POST", "/subjects/big/versions", typed("JSON", v1, ""))

	next := typed("JSON", jsonObjectSchema(41), "")
	// Dropping p39, a property the closed schema knew, breaks backward compatibility.
	broken := typed("JSON", strings.Replace(v1, `"p39":`, `"q39":`, 1), "")
	reserving := `{"schemaType":"JSON","schema":` + next[strings.Index(next, `"schema":`)+len(`"schema":`):len(next)-1] +
		`,"metadata":{"properties":{"confluent:reserved":"p40"}}}`
	path := "/compatibility/subjects/big/versions/latest?verbose=true"
	for range 3 {
		if a := ts.check(t, path, next); !a.IsCompatible {
			t.Fatalf("next: %v", a.Messages)
		}
		if a := ts.check(t, path, broken); a.IsCompatible {
			t.Fatal("a body one property away was judged as the compatible one")
		}
		if a := ts.check(t, path, reserving); a.IsCompatible || !strings.Contains(strings.Join(a.Messages, " "), "p40") {
			t.Fatalf("reserved p40 used: %v", a.Messages)
		}
	}
}
