package rabbitmq

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
	"unicode"
)

// client reads one broker's management HTTP API. The password never leaves it: requests carry
// it in a Basic authorization header, never in the URL, so no error can show it.
type client struct {
	base     *url.URL // the management URL without its user info
	user     string
	password string
	redacted string // the URL as logs and pages show it
	http     *http.Client
	maxBytes int64
	timeout  time.Duration // for messages only; the caller's context carries the deadline
}

func newClient(raw string, timeout time.Duration, maxBytes int64) (*client, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // url.Error repeats the URL, password and all
		}
		return nil, fmt.Errorf("RabbitMQ management URL: %w", err)
	}
	redacted := u.Redacted()
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("RabbitMQ management URL %s: want http:// or https://", redacted)
	case u.Host == "":
		return nil, fmt.Errorf("RabbitMQ management URL %s: no host", redacted)
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("RabbitMQ management URL %s: no query or fragment, please", redacted)
	case u.User == nil:
		return nil, fmt.Errorf("RabbitMQ management URL %s: no user; write http://user:password@host:15672", redacted)
	}
	password, _ := u.User.Password()
	c := &client{user: u.User.Username(), password: password, redacted: redacted, maxBytes: maxBytes, timeout: timeout,
		http: &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}}
	u.User = nil
	u.Path = strings.TrimSuffix(u.Path, "/")
	c.base = u
	return c, nil
}

// pollError is why a poll failed, in words safe to log and show, with the state it puts the
// broker in.
type pollError struct {
	state State
	msg   string
}

func (e *pollError) Error() string { return e.msg }

// get reads one API path, asking only for columns, into v. The answer may be at most maxBytes.
func (c *client) get(ctx context.Context, path string, columns []string, v any) error {
	u := *c.base
	u.Path += path
	u.RawQuery = url.Values{"columns": {strings.Join(columns, ",")}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return &pollError{StateError, fmt.Sprintf("GET %s: %v", path, err)}
	}
	req.SetBasicAuth(c.user, c.password)
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return &pollError{StateUnreachable, fmt.Sprintf("GET %s: no answer within %s", path, c.timeout)}
		}
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return &pollError{StateUnreachable, fmt.Sprintf("GET %s: %v", path, err)}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return &pollError{StateUnauthorized, fmt.Sprintf("GET %s: HTTP %d for user %q%s: wrong password, or the user lacks the monitoring tag",
			path, resp.StatusCode, c.user, excerpt(resp.Body))}
	case resp.StatusCode != http.StatusOK:
		return &pollError{StateError, fmt.Sprintf("GET %s: HTTP %d%s", path, resp.StatusCode, excerpt(resp.Body))}
	}
	body := &io.LimitedReader{R: resp.Body, N: c.maxBytes + 1}
	err = json.NewDecoder(body).Decode(v)
	if body.N <= 0 {
		return &pollError{StateError, fmt.Sprintf("GET %s: answer larger than %d bytes", path, c.maxBytes)}
	}
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return &pollError{StateUnreachable, fmt.Sprintf("GET %s: answer not complete within %s", path, c.timeout)}
		}
		return &pollError{StateError, fmt.Sprintf("GET %s: malformed answer: %v", path, err)}
	}
	return nil
}

// excerpt is the start of an error answer, such as RabbitMQ's {"error":"not_authorized",
// "reason":"Login failed"}, made safe to log: short, printable, one line.
func excerpt(r io.Reader) string {
	data, _ := io.ReadAll(io.LimitReader(r, 512))
	var answer struct{ Error, Reason string }
	if json.Unmarshal(data, &answer) == nil && answer.Error != "" {
		data = []byte(answer.Error + ": " + answer.Reason)
	}
	text := strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(string(bytes.TrimSpace(data)), ""))
	if len(text) > 160 {
		text = strings.ToValidUTF8(text[:160], "") + "…"
	}
	if text == "" {
		return ""
	}
	return " (" + text + ")"
}
