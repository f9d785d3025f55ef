package demo

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
)

//go:embed asyncapi/*.yaml
var documents embed.FS

// documentOrder is the order the shop imports its documents in: each producer before its consumers.
var documentOrder = []string{"orders", "payments", "inventory", "shipping", "notifications"}

// Document is one of the shop's AsyncAPI 3.0 documents: one per service, named after it.
type Document struct {
	Service string // the document's info.title, which is also the service.name of its spans
	YAML    []byte
}

// Documents returns the shop's AsyncAPI documents in the order the demo imports them.
func Documents() []Document {
	docs := make([]Document, 0, len(documentOrder))
	for _, name := range documentOrder {
		b, err := documents.ReadFile(path.Join("asyncapi", name+".yaml"))
		if err != nil {
			panic(err) // embedded at build time
		}
		docs = append(docs, Document{Service: name, YAML: b})
	}
	return docs
}

// schemaRef is the registry's id and version of a schema, as the span attributes
// messaging.message.schema.{id,version} carry them; the zero value is no schema.
type schemaRef struct {
	ID      int `json:"id"`
	Version int `json:"version"`
}

// attrs are eventlens' span attributes naming the schema: none when the registry did not take
// it, rather than a schema that does not describe the message.
func (r schemaRef) attrs() []attribute.KeyValue {
	if r.ID == 0 {
		return nil
	}
	attrs := []attribute.KeyValue{attribute.String("messaging.message.schema.id", strconv.Itoa(r.ID))}
	if r.Version != 0 {
		attrs = append(attrs, attribute.String("messaging.message.schema.version", strconv.Itoa(r.Version)))
	}
	return attrs
}

// client speaks eventlens' REST APIs (the catalog import, the registry), with the API key when
// there is one.
type client struct {
	base   string
	keyID  string
	secret string
	http   *http.Client
}

// importAnswer is the part of POST /api/catalog/asyncapi's answer the shop reads.
type importAnswer struct {
	Document string `json:"document"`
	Version  int    `json:"version"`
	Schemas  []struct {
		Subject string `json:"subject"`
		Channel string `json:"channel"`
		Message string `json:"message"`
		Status  string `json:"status"` // registered, unchanged or refused
		ID      int    `json:"id"`
		Version int    `json:"version"`
		Reason  string `json:"reason"`
	} `json:"schemas"`
}

// answerError is an answer of eventlens other than 200: its status and what it said.
type answerError struct {
	status  string
	code    int
	message string
}

func (e *answerError) Error() string { return e.status + ": " + e.message }

// permanent tells whether err is an answer that trying again will not change: a 4xx but 429.
func permanent(err error) bool {
	var e *answerError
	return errors.As(err, &e) && e.code < 500 && e.code != http.StatusTooManyRequests
}

// post sends body to path and decodes a 200 answer into answer.
func (c *client) post(ctx context.Context, path, contentType string, body []byte, answer any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", contentType)
	if c.keyID != "" {
		req.SetBasicAuth(c.keyID, c.secret)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		// eventlens' errors are Confluent's {"error_code", "message"}: the message says it all.
		e := &answerError{status: resp.Status, code: resp.StatusCode, message: string(bytes.TrimSpace(out))}
		var body struct{ Message string }
		if json.Unmarshal(out, &body) == nil && body.Message != "" {
			e.message = body.Message
		}
		return e
	}
	if err := json.Unmarshal(out, answer); err != nil {
		return fmt.Errorf("read the answer: %w", err)
	}
	return nil
}

// importDocument imports one document into the catalog, which registers its payloads.
func (c *client) importDocument(ctx context.Context, doc Document) (importAnswer, error) {
	var answer importAnswer
	err := c.post(ctx, "/api/catalog/asyncapi", "application/yaml", doc.YAML, &answer)
	return answer, err
}

// register registers an Avro schema under subject with the Confluent REST API, as a producer's
// serializer or its team's CI would.
func (c *client) register(ctx context.Context, subject, schema string) (schemaRef, error) {
	return c.postSchema(ctx, "/subjects/"+url.PathEscape(subject)+"/versions", schema)
}

// lookup finds an Avro schema among subject's versions (an error when it is none of them).
func (c *client) lookup(ctx context.Context, subject, schema string) (schemaRef, error) {
	return c.postSchema(ctx, "/subjects/"+url.PathEscape(subject), schema)
}

// postSchema sends a schema to one of the registry's endpoints that answer with its id and version.
func (c *client) postSchema(ctx context.Context, path, schema string) (schemaRef, error) {
	body, err := json.Marshal(map[string]string{"schema": schema})
	if err != nil {
		return schemaRef{}, err
	}
	var ref schemaRef
	err = c.post(ctx, path, "application/vnd.schemaregistry.v1+json", body, &ref)
	return ref, err
}

// retry calls f again while it fails in a way that may pass, for a few seconds: the server may
// still be starting, or briefly busy.
func retry(ctx context.Context, f func() error) error {
	for attempt := 0; ; attempt++ {
		err := f()
		if err == nil || permanent(err) || attempt == 20 || !sleep(ctx, 250*time.Millisecond) {
			return err
		}
	}
}

// describe imports the shop's documents and returns, per channel, the schema its messages are
// written with.
func (s *shop) describe(ctx context.Context, c *client) (map[string]schemaRef, error) {
	schemas := map[string]schemaRef{}
	var errs error
	for _, doc := range Documents() {
		var answer importAnswer
		err := retry(ctx, func() (err error) {
			answer, err = c.importDocument(ctx, doc)
			return err
		})
		if ctx.Err() != nil {
			return schemas, ctx.Err()
		}
		if err != nil {
			// The other documents may still import (and a refused key refuses them all).
			errs = errors.Join(errs, fmt.Errorf("import the AsyncAPI document of %s: %w", doc.Service, err))
			if !permanent(err) {
				break // eventlens is not answering
			}
			continue
		}
		for _, sc := range answer.Schemas {
			if sc.Status == "refused" {
				// The registry keeps what it had; spans of this channel then carry no schema
				// rather than one that does not describe what the shop writes.
				s.opt.Logger.Warn("demo payload schema refused by the registry", "subject", sc.Subject, "message", sc.Message, "reason", sc.Reason)
				continue
			}
			schemas[sc.Channel] = schemaRef{ID: sc.ID, Version: sc.Version}
		}
		s.opt.Logger.Debug("demo document imported", "service", doc.Service, "document", answer.Document, "version", answer.Version)
	}
	return schemas, errs
}

// endpointURL joins the eventlens base URL and a path.
func endpointURL(base, p string) (string, error) {
	u, err := url.Parse(base)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("demo endpoint %q: want a URL such as http://127.0.0.1:8080", base)
	}
	return u.JoinPath(p).String(), nil
}
