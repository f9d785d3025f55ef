package mcpserver

import (
	"testing"

	"github.com/yosida95/uritemplate/v3"

	"github.com/eventlens/eventlens/schemaregistry"
)

// TestSchemaURIs: every subject name makes a URI the advertised template matches (as clients
// and the SDK match them) and that reads back as the same subject and version.
func TestSchemaURIs(t *testing.T) {
	tpl := uritemplate.MustNew(schemaTemplate)
	for _, subject := range []string{"orders-value", "team/orders-value", ":.staging:orders-value", "a b+c%2F", "zürich.events", "x?y#z"} {
		uri := schemaURI(subject, 3)
		if !tpl.Regexp().MatchString(uri) {
			t.Errorf("%q: %s does not match %s", subject, uri, schemaTemplate)
		}
		if s, v, ok := parseSchemaURI(uri); !ok || s != subject || v != 3 {
			t.Errorf("%q: %s reads back as %q %d %v", subject, uri, s, v, ok)
		}
	}
	for _, tt := range []struct {
		uri     string
		version int
		ok      bool
	}{
		{"schema://subjects/orders-value/versions/latest", schemaregistry.Latest, true},
		{"schema://subjects/orders-value/versions/0", 0, false},
		{"schema://subjects/orders-value/versions/-1", 0, false},
		{"schema://subjects/orders-value/versions/1x", 0, false},
		{"schema://subjects//versions/1", 0, false},
		{"schema://subjects/%zz/versions/1", 0, false},
		{"schema://subjects/orders-value", 0, false},
		{"file:///etc/passwd", 0, false},
	} {
		if _, v, ok := parseSchemaURI(tt.uri); ok != tt.ok || v != tt.version {
			t.Errorf("%s: version %d ok %v, want %d %v", tt.uri, v, ok, tt.version, tt.ok)
		}
	}
}
