package registryimport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const contentType = "application/vnd.schemaregistry.v1+json"

// Endpoint is a registry to talk to.
type Endpoint struct {
	URL       string // http(s)://host[:port][/prefix]
	BasicAuth string // "user:password" (for eventlens: key id and secret)
	Token     string // sent as Bearer instead
	HTTP      *http.Client
}

// client sends requests to one registry. Answers larger than maxBody are refused, not read.
type client struct {
	base    string
	ep      Endpoint
	maxBody int64
	retries int
	backoff time.Duration
}

func newClient(ep Endpoint, maxBody int64) (*client, error) {
	u, err := url.Parse(ep.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("registry URL %q: want http(s)://host[:port]", ep.URL)
	}
	if ep.BasicAuth != "" && !strings.Contains(ep.BasicAuth, ":") {
		return nil, errors.New("basic auth: want user:password")
	}
	if ep.HTTP == nil {
		ep.HTTP = &http.Client{Timeout: time.Minute}
	}
	return &client{base: strings.TrimRight(ep.URL, "/"), ep: ep, maxBody: maxBody, retries: 3, backoff: 200 * time.Millisecond}, nil
}

// apiError is an error answer of a registry.
type apiError struct {
	Status  int
	Code    int    `json:"error_code"`
	Message string `json:"message"`
}

func (e *apiError) Error() string {
	return fmt.Sprintf("answered %d (error code %d): %s", e.Status, e.Code, e.Message)
}

// errOversized: an answer longer than the client reads.
var errOversized = errors.New("answer too large")

// errMalformed wraps an answer that is not the JSON expected.
type errMalformed struct{ err error }

func (e errMalformed) Error() string { return "malformed answer: " + e.err.Error() }
func (e errMalformed) Unwrap() error { return e.err }

// code is the registry error code of err, or 0.
func code(err error) int {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return 0
}

// do sends one request (retrying 429, 5xx and broken connections, all requests here being
// safe to repeat) and decodes a 2xx answer into out.
func (c *client) do(ctx context.Context, method, path string, body, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return err
		}
	}
	wait := c.backoff
	for attempt := 0; ; attempt++ {
		err := c.once(ctx, method, path, payload, out)
		var ae *apiError
		retryable := errors.As(err, &ae) && (ae.Status == http.StatusTooManyRequests || ae.Status >= 500)
		var ue *url.Error
		retryable = retryable || (errors.As(err, &ue) && ctx.Err() == nil)
		if !retryable || attempt >= c.retries {
			if err != nil {
				return fmt.Errorf("%s %s: %w", method, path, err)
			}
			return nil
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
		wait *= 2
	}
}

func (c *client) once(ctx context.Context, method, path string, payload []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(payload))
	if err != nil {
		return err
	}
	req.Header.Set("Accept", contentType)
	if payload != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if c.ep.BasicAuth != "" {
		user, pass, _ := strings.Cut(c.ep.BasicAuth, ":")
		req.SetBasicAuth(user, pass)
	}
	if c.ep.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.ep.Token)
	}
	resp, err := c.ep.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.ContentLength > c.maxBody {
		return fmt.Errorf("%w: %d bytes, more than the %d read", errOversized, resp.ContentLength, c.maxBody)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		return err
	}
	if int64(len(b)) > c.maxBody {
		return fmt.Errorf("%w: more than the %d bytes read", errOversized, c.maxBody)
	}
	if resp.StatusCode/100 != 2 {
		ae := &apiError{Status: resp.StatusCode}
		if json.Unmarshal(b, ae) != nil || ae.Message == "" {
			ae.Message = strings.TrimSpace(string(b))
			if len(ae.Message) > 200 {
				ae.Message = ae.Message[:200] + "…"
			}
		}
		return ae
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return errMalformed{err}
	}
	return nil
}

// source is the registry copied from. It has only get: the copy never changes the source.
type source struct{ c *client }

func (s source) get(ctx context.Context, path string, out any) error {
	return s.c.do(ctx, http.MethodGet, path, nil, out)
}

// target is the eventlens copied into.
type target struct{ c *client }

func (t target) get(ctx context.Context, path string, out any) error {
	return t.c.do(ctx, http.MethodGet, path, nil, out)
}

func (t target) send(ctx context.Context, method, path string, body, out any) error {
	return t.c.do(ctx, method, path, body, out)
}

// subjectPath is /prefix/{subject}/rest with the subject escaped as one path segment.
func subjectPath(prefix, subject, rest string) string {
	return prefix + "/" + url.PathEscape(subject) + rest
}
