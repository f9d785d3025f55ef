package mcpserver

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/eventlens/eventlens/schemaregistry"
)

// schemaTemplate names one version of a subject's schema; version may be "latest".
const (
	schemaPrefix   = "schema://subjects/"
	schemaTemplate = schemaPrefix + "{subject}/versions/{version}"
)

// schemaURI is the resource URI of a subject version, the subject percent-encoded as the
// template's simple expansion does: every byte but letters, digits and -._~ (Confluent subjects
// may hold ':' and '/').
func schemaURI(subject string, version int) string {
	var b strings.Builder
	for _, c := range []byte(subject) {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return schemaPrefix + b.String() + "/versions/" + strconv.Itoa(version)
}

// parseSchemaURI reads a schema resource URI: its subject and version (Latest for "latest").
func parseSchemaURI(uri string) (subject string, version int, ok bool) {
	rest, ok := strings.CutPrefix(uri, schemaPrefix)
	if !ok {
		return "", 0, false
	}
	escaped, v, ok := strings.Cut(rest, "/versions/")
	if !ok {
		return "", 0, false
	}
	subject, err := url.PathUnescape(escaped)
	if err != nil || subject == "" || len(subject) > maxNameBytes {
		return "", 0, false
	}
	if v == "latest" {
		return subject, schemaregistry.Latest, true
	}
	if version, err = strconv.Atoi(v); err != nil || version < 1 {
		return "", 0, false
	}
	return subject, version, true
}

func (t *tools) addResources(s *mcp.Server) {
	s.AddResourceTemplate(&mcp.ResourceTemplate{Name: "schema", Title: "Schema of a subject version", URITemplate: schemaTemplate,
		Description: "The schema text of one version of a registry subject (version: a number or latest), as registered. Its type is in the MIME type: application/vnd.apache.avro+json, application/schema+json or text/x-protobuf."},
		t.readSchema)
}

// mimeTypes of the registry's schema types.
var mimeTypes = map[string]string{"AVRO": "application/vnd.apache.avro+json", "JSON": "application/schema+json", "PROTOBUF": "text/x-protobuf"}

func (t *tools) readSchema(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	uri := req.Params.URI
	subject, version, ok := parseSchemaURI(uri)
	if !ok {
		return nil, mcp.ResourceNotFoundError(uri)
	}
	s, err := t.Registry.Version(ctx, subject, version, false)
	if schemaregistry.ErrorCode(err)/100 == 404 {
		return nil, mcp.ResourceNotFoundError(uri)
	}
	if err != nil {
		return nil, err
	}
	return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: mimeTypes[schemaType(s.SchemaType)], Text: s.Schema}}}, nil
}
