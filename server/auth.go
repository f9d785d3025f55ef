package server

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/eventlens/eventlens/apikeys"
)

// errUnauthorized and errForbidden are the two ways a request is refused: no valid key (401),
// or a key whose role is too weak for the route (403).
var (
	errUnauthorized = echo.NewHTTPError(http.StatusUnauthorized, "this request needs an API key: send it as HTTP Basic (key id and secret) or as a Bearer token")
	errForbidden    = echo.NewHTTPError(http.StatusForbidden, "the role of this API key or session does not allow this request")
)

// authorize lets a request through when the route needs no role, when neither API keys nor
// single sign-on exist (the server then listens on loopback only), or when the request carries
// a valid key, or a session, whose role is at least need.
func (s *Server) authorize(need apikeys.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if need == apikeys.RoleNone {
				return next(c)
			}
			ctx := c.Request().Context()
			enforced, err := s.enforced(ctx)
			if err != nil {
				return err
			}
			if !enforced {
				return next(c)
			}
			key, signedIn := c.Get(keyContext).(apikeys.Key)
			if id, secret, ok := credentials(c.Request()); ok {
				key, err = s.svc.Keys.Verify(ctx, id, secret)
				if errors.Is(err, apikeys.ErrUnknownKey) {
					return challenge(c)
				}
				if err != nil {
					return err
				}
			} else if !signedIn {
				return challenge(c)
			}
			if key.Role < need {
				return errForbidden
			}
			c.Set(keyContext, key)
			return next(c)
		}
	}
}

// enforced reports whether requests need a key or a session: once single sign-on is on or a
// key exists.
func (s *Server) enforced(ctx context.Context) (bool, error) {
	if s.svc.OIDC != nil {
		return true, nil
	}
	return s.svc.Keys.Any(ctx)
}

// challenge sends a browser asking for a page to the sign-in page, and answers any other
// client 401 with the header that asks for credentials.
func challenge(c echo.Context) error {
	if c.Request().Method == http.MethodGet && !wantsJSON(c) {
		return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
	}
	c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Basic realm="eventlens", charset="UTF-8"`)
	return errUnauthorized
}

// credentials reads HTTP Basic (key id as user, secret as password: what registry clients send)
// or a Bearer token (the secret: what OTLP exporters send through headers).
func credentials(r *http.Request) (id, secret string, ok bool) {
	return parseAuthorization(r.Header.Get(echo.HeaderAuthorization))
}

// parseAuthorization reads the value of an Authorization header (HTTP) or of the authorization
// metadata (gRPC): "Basic base64(id:secret)" or "Bearer secret". The schemes are case-insensitive,
// as RFC 9110 says.
func parseAuthorization(header string) (id, secret string, ok bool) {
	scheme, rest, found := strings.Cut(strings.TrimSpace(header), " ")
	if !found {
		return "", "", false
	}
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(scheme) {
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return "", "", false
		}
		id, secret, found = strings.Cut(string(raw), ":")
		return id, secret, found && secret != ""
	case "bearer":
		return "", rest, rest != ""
	}
	return "", "", false
}
