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

// schemaRef is the registry's id and version of the payload schema a channel's messages are
// written with, as the span attributes messaging.message.schema.{id,version} carry them.
type schemaRef struct {
	ID, Version int
}

// client speaks eventlens' REST API: the catalog import, with the API key when there is one.
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

// errPermanent marks an answer that trying again will not change (a 4xx).
var errPermanent = errors.New("permanent")

// importDocument imports one document into the catalog, which registers its payloads.
func (c *client) importDocument(ctx context.Context, doc Document) (importAnswer, error) {
	var answer importAnswer
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/api/catalog/asyncapi", bytes.NewReader(doc.YAML))
	if err != nil {
		return answer, err
	}
	req.Header.Set("Content-Type", "application/yaml")
	if c.keyID != "" {
		req.SetBasicAuth(c.keyID, c.secret)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return answer, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return answer, err
	}
	if resp.StatusCode != http.StatusOK {
		err := fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(body))
		if resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
			err = fmt.Errorf("%w: %w", errPermanent, err)
		}
		return answer, err
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		return answer, fmt.Errorf("read the answer: %w", err)
	}
	return answer, nil
}

// describe imports the shop's documents and returns, per channel, the schema its messages are
// written with. The server may still be starting, so failures that may pass are tried again for
// a few seconds.
func (s *shop) describe(ctx context.Context, c *client) (map[string]schemaRef, error) {
	schemas := map[string]schemaRef{}
	var errs error
	for _, doc := range Documents() {
		var answer importAnswer
		var err error
		for attempt := 0; ; attempt++ {
			if answer, err = c.importDocument(ctx, doc); err == nil || errors.Is(err, errPermanent) || attempt == 20 || !sleep(ctx, 250*time.Millisecond) {
				break
			}
		}
		if ctx.Err() != nil {
			return schemas, ctx.Err()
		}
		if err != nil {
			// The other documents may still import (and a refused key refuses them all).
			errs = errors.Join(errs, fmt.Errorf("import the AsyncAPI document of %s: %w", doc.Service, err))
			if !errors.Is(err, errPermanent) {
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

// schemaAttrs are eventlens' span attributes for the schema of a channel's messages, or none
// when the registry did not take it.
func (s *shop) schemaAttrs(channel string) []attribute.KeyValue {
	ref, ok := s.schemas[channel]
	if !ok {
		return nil
	}
	return []attribute.KeyValue{
		attribute.String("messaging.message.schema.id", strconv.Itoa(ref.ID)),
		attribute.String("messaging.message.schema.version", strconv.Itoa(ref.Version)),
	}
}
