package schemacheck

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

const registryContentType = "application/vnd.schemaregistry.v1+json"

// Client talks to a Confluent-compatible schema registry (eventlens or Confluent's own).
type Client struct {
	BaseURL   string
	HTTP      *http.Client
	BasicAuth string // "user:password", sent as HTTP Basic
	Token     string // sent as "Authorization: Bearer"
	Retries   int    // further attempts after a 429 or 5xx answer
	Backoff   time.Duration
}

// ClientOptions configure NewClient.
type ClientOptions struct {
	BasicAuth, Token, CAFile string
	Timeout                  time.Duration
	Retries                  int
}

// NewClient returns a client for the registry at baseURL.
func NewClient(baseURL string, o ClientOptions) (*Client, error) {
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
	return &Client{
		BaseURL:   strings.TrimRight(baseURL, "/"),
		HTTP:      &http.Client{Transport: transport, Timeout: o.Timeout},
		BasicAuth: o.BasicAuth,
		Token:     o.Token,
		Retries:   o.Retries,
		Backoff:   500 * time.Millisecond,
	}, nil
}

// APIError is an error answer from the registry.
type APIError struct {
	Status  int
	Code    int    `json:"error_code"`
	Message string `json:"message"`
}

func (e *APIError) Error() string {
	return fmt.Sprintf("registry answered %d (error code %d): %s", e.Status, e.Code, e.Message)
}

// schemaRequest is the body of register, lookup and compatibility requests.
type schemaRequest struct {
	Schema     string      `json:"schema"`
	SchemaType string      `json:"schemaType,omitempty"`
	References []Reference `json:"references,omitempty"`
}

func requestFor(f File) schemaRequest {
	r := schemaRequest{Schema: f.Text, References: f.References}
	if f.SchemaType != "AVRO" { // Avro is the default; most clients leave it out
		r.SchemaType = f.SchemaType
	}
	return r
}

// do sends one request, retrying 429 and 5xx answers with exponential backoff (or the server's
// Retry-After), and decodes a 2xx body into out.
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return err
		}
	}
	wait := c.Backoff
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, bytes.NewReader(payload))
		if err != nil {
			return err
		}
		req.Header.Set("Accept", registryContentType)
		if body != nil {
			req.Header.Set("Content-Type", registryContentType)
		}
		if c.BasicAuth != "" {
			user, pass, _ := strings.Cut(c.BasicAuth, ":")
			req.SetBasicAuth(user, pass)
		}
		if c.Token != "" {
			req.Header.Set("Authorization", "Bearer "+c.Token)
		}
		resp, err := c.HTTP.Do(req)
		if err != nil {
			return fmt.Errorf("registry unreachable: %w", err)
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		retryable := resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
		if retryable && attempt < c.Retries {
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 && s <= 60 {
				wait = time.Duration(s) * time.Second
			}
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return ctx.Err()
			}
			wait *= 2
			continue
		}
		if resp.StatusCode/100 != 2 {
			apiErr := &APIError{Status: resp.StatusCode}
			if json.Unmarshal(b, apiErr) != nil || apiErr.Message == "" {
				apiErr.Message = strings.TrimSpace(string(b))
				if len(apiErr.Message) > 200 {
					apiErr.Message = apiErr.Message[:200] + "…"
				}
			}
			return apiErr
		}
		if out == nil {
			return nil
		}
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: unexpected answer: %w", method, path, err)
		}
		return nil
	}
}

func subjectPath(subject string) string {
	return "/subjects/" + url.PathEscape(subject)
}

// isCode reports whether err is a registry answer with one of codes.
func isCode(err error, codes ...int) bool {
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	for _, c := range codes {
		if apiErr.Code == c {
			return true
		}
	}
	return false
}

// Compatibility asks whether f may become the next version of its subject under the subject's
// own level, with the registry's verbose messages. A subject the registry does not know is
// compatible: it has nothing to break.
func (c *Client) Compatibility(ctx context.Context, f File) (known, compatible bool, messages []string, err error) {
	var out struct {
		IsCompatible bool     `json:"is_compatible"`
		Messages     []string `json:"messages"`
	}
	err = c.do(ctx, http.MethodPost, "/compatibility"+subjectPath(f.Subject)+"/versions?verbose=true", requestFor(f), &out)
	if isCode(err, 40401) {
		return false, true, nil, nil
	}
	if err != nil {
		return false, false, nil, fmt.Errorf("check %s: %w", f.Subject, err)
	}
	return true, out.IsCompatible, out.Messages, nil
}

// Lookup finds the version of f's subject that holds exactly f's schema.
func (c *Client) Lookup(ctx context.Context, f File) (version, id int, found bool, err error) {
	var out struct {
		Version int `json:"version"`
		ID      int `json:"id"`
	}
	err = c.do(ctx, http.MethodPost, subjectPath(f.Subject), requestFor(f), &out)
	if isCode(err, 40401, 40403) {
		return 0, 0, false, nil
	}
	if err != nil {
		return 0, 0, false, fmt.Errorf("look up %s: %w", f.Subject, err)
	}
	return out.Version, out.ID, true, nil
}

// Register registers f under its subject and returns the schema id.
func (c *Client) Register(ctx context.Context, f File) (int, error) {
	var out struct {
		ID int `json:"id"`
	}
	if err := c.do(ctx, http.MethodPost, subjectPath(f.Subject)+"/versions", requestFor(f), &out); err != nil {
		return 0, fmt.Errorf("register %s: %w", f.Subject, err)
	}
	return out.ID, nil
}

// Version is one stored version of a subject.
type Version struct {
	Subject    string      `json:"subject"`
	Version    int         `json:"version"`
	ID         int         `json:"id"`
	SchemaType string      `json:"schemaType"`
	Schema     string      `json:"schema"`
	References []Reference `json:"references"`
}

// file is the version as a schema file to check against.
func (v Version) file() File {
	return File{Path: fmt.Sprintf("%s version %d", v.Subject, v.Version), Subject: v.Subject, SchemaType: v.SchemaType, References: v.References, Text: v.Schema}
}

// Versions returns the live versions of subject, newest first; none if the subject is unknown.
func (c *Client) Versions(ctx context.Context, subject string) ([]Version, error) {
	var numbers []int
	err := c.do(ctx, http.MethodGet, subjectPath(subject)+"/versions", nil, &numbers)
	if isCode(err, 40401) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list versions of %s: %w", subject, err)
	}
	versions := make([]Version, 0, len(numbers))
	for i := len(numbers) - 1; i >= 0; i-- {
		v, err := c.Version(ctx, subject, numbers[i])
		if err != nil {
			return nil, err
		}
		versions = append(versions, v)
	}
	return versions, nil
}

// Version fetches one version of subject.
func (c *Client) Version(ctx context.Context, subject string, version int) (Version, error) {
	var v Version
	path := subjectPath(subject) + "/versions/" + strconv.Itoa(version)
	if err := c.do(ctx, http.MethodGet, path, nil, &v); err != nil {
		return v, fmt.Errorf("get %s version %d: %w", subject, version, err)
	}
	if v.SchemaType == "" {
		v.SchemaType = "AVRO"
	}
	return v, nil
}
