// Package registryclient talks to a Confluent-compatible schema registry (eventlens or
// Confluent's own) over its REST API. It is the one client of eventlens check, register and
// registry import: credentials, a CA to trust, retries with backoff, a cap on what it reads, and
// the registry's error body as an error.
package registryclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

const contentType = "application/vnd.schemaregistry.v1+json"

// DefaultMaxAnswer: eventlens and Confluent accept schemas up to 8 MiB, which JSON escaping may
// double, in an answer with a little more around it.
const DefaultMaxAnswer = 20 << 20

// Options configure New.
type Options struct {
	BasicAuth string        // "user:password", sent as HTTP Basic (for eventlens: key id and secret)
	Token     string        // sent as "Authorization: Bearer" instead
	CAFile    string        // PEM certificates to trust for an https registry
	Timeout   time.Duration // of each request; zero: none
	Retries   int           // further attempts after a 429, a 5xx or a broken connection
	MaxAnswer int64         // longest answer read; a longer one is ErrOversized. Zero: DefaultMaxAnswer
}

// Client sends requests to one registry. Every request it sends is safe to repeat (reads, and
// registrations, which answer the same id again), so it retries them all.
type Client struct {
	base      string
	http      *http.Client
	basicAuth string
	token     string
	retries   int
	maxAnswer int64
	// Backoff is the first wait before a retry, doubled after each; a Retry-After of up to a
	// minute replaces it.
	Backoff time.Duration
}

// New returns a client for the registry at baseURL (http(s)://host[:port][/prefix]).
func New(baseURL string, o Options) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("registry URL %q: want http(s)://host[:port]", baseURL)
	}
	if o.BasicAuth != "" && !strings.Contains(o.BasicAuth, ":") {
		return nil, errors.New("basic auth: want user:password")
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s: no PEM certificates in it", o.CAFile)
		}
		transport.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	if o.MaxAnswer <= 0 {
		o.MaxAnswer = DefaultMaxAnswer
	}
	return &Client{
		base:      strings.TrimRight(baseURL, "/"),
		http:      &http.Client{Transport: transport, Timeout: o.Timeout},
		basicAuth: o.BasicAuth,
		token:     o.Token,
		retries:   o.Retries,
		maxAnswer: o.MaxAnswer,
		Backoff:   500 * time.Millisecond,
	}, nil
}

// APIError is an error answer of the registry.
type APIError struct {
	Status  int
	Code    int    `json:"error_code"`
	Message string `json:"message"`
}

func (e *APIError) Error() string {
	return fmt.Sprintf("registry answered %d (error code %d): %s", e.Status, e.Code, e.Message)
}

// ErrOversized: an answer longer than the client reads.
var ErrOversized = errors.New("answer too large")

// MalformedError wraps a 2xx answer that is not the JSON expected.
type MalformedError struct{ Err error }

func (e MalformedError) Error() string { return "malformed answer: " + e.Err.Error() }
func (e MalformedError) Unwrap() error { return e.Err }

// IsCode reports whether err is a registry answer with one of codes.
func IsCode(err error, codes ...int) bool {
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	for _, c := range codes {
		if ae.Code == c {
			return true
		}
	}
	return false
}

// Status is the HTTP status of a registry answer err, or 0 when err is no answer.
func Status(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

// SubjectPath is prefix/{subject}rest with the subject escaped as one path segment:
// SubjectPath("/subjects", "a/b", "/versions") is "/subjects/a%2Fb/versions".
func SubjectPath(prefix, subject, rest string) string {
	return prefix + "/" + url.PathEscape(subject) + rest
}

// Do sends one request with body as JSON, retrying 429, 5xx and broken connections, and decodes
// a 2xx answer into out (unless out is nil).
func (c *Client) Do(ctx context.Context, method, path string, body, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	wait := c.Backoff
	for attempt := 0; ; attempt++ {
		retryAfter, err := c.once(ctx, method, path, payload, out)
		var ue *url.Error
		broken := errors.As(err, &ue) && ctx.Err() == nil
		status := Status(err)
		if !(broken || status == http.StatusTooManyRequests || status >= 500) || attempt >= c.retries {
			switch {
			case err == nil:
				return nil
			case broken:
				return fmt.Errorf("%s %s: registry unreachable: %w", method, path, err)
			default:
				return fmt.Errorf("%s %s: %w", method, path, err)
			}
		}
		if retryAfter >= 0 {
			wait = retryAfter
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return fmt.Errorf("%s %s: %w", method, path, ctx.Err())
		}
		wait *= 2
	}
}

// once sends the request once. retryAfter is the answer's Retry-After of up to a minute, or -1.
func (c *Client) once(ctx context.Context, method, path string, payload []byte, out any) (retryAfter time.Duration, err error) {
	retryAfter = -1
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(payload))
	if err != nil {
		return retryAfter, err
	}
	req.Header.Set("Accept", contentType)
	if payload != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if c.basicAuth != "" {
		user, pass, _ := strings.Cut(c.basicAuth, ":")
		req.SetBasicAuth(user, pass)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return retryAfter, err
	}
	defer resp.Body.Close()
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 && s <= 60 {
		retryAfter = time.Duration(s) * time.Second
	}
	if resp.ContentLength > c.maxAnswer {
		return retryAfter, fmt.Errorf("%w: %d bytes, more than the %d read", ErrOversized, resp.ContentLength, c.maxAnswer)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, c.maxAnswer+1))
	if err != nil {
		return retryAfter, err
	}
	if int64(len(b)) > c.maxAnswer {
		return retryAfter, fmt.Errorf("%w: more than the %d bytes read", ErrOversized, c.maxAnswer)
	}
	if resp.StatusCode/100 != 2 {
		ae := &APIError{Status: resp.StatusCode}
		if json.Unmarshal(b, ae) != nil || ae.Message == "" {
			ae.Message = strings.TrimSpace(string(b))
			if len(ae.Message) > 200 {
				ae.Message = ae.Message[:200] + "…"
			}
		}
		return retryAfter, ae
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return retryAfter, MalformedError{err}
		}
	}
	return retryAfter, nil
}
