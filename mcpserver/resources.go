package mcpserver

import (
	"context"
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

// schemaURI is the resource URI of a subject version (the subject percent-encoded).
func schemaURI(subject string, version int) string {
	return schemaPrefix + url.PathEscape(subject) + "/versions/" + strconv.Itoa(version)
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
	rest, ok := strings.CutPrefix(uri, schemaPrefix)
	if !ok {
		return nil, mcp.ResourceNotFoundError(uri)
	}
	escaped, v, ok := strings.Cut(rest, "/versions/")
	if !ok {
		return nil, mcp.ResourceNotFoundError(uri)
	}
	subject, err := url.PathUnescape(escaped)
	if err != nil || subject == "" || len(subject) > maxNameBytes {
		return nil, mcp.ResourceNotFoundError(uri)
	}
	version := schemaregistry.Latest
	if v != "latest" {
		if version, err = strconv.Atoi(v); err != nil || version < 1 {
			return nil, mcp.ResourceNotFoundError(uri)
		}
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
