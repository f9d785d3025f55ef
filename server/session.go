package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/eventlens/eventlens/apikeys"
	"github.com/eventlens/eventlens/oidcauth"
	"github.com/eventlens/eventlens/web"
)

const (
	sessionCookie = "eventlens_session"
	csrfCookie    = "eventlens_csrf"
	sessionTTL    = 12 * time.Hour
	keyContext    = "eventlens.apikey" // the echo context key of the session's API key
)

// browserSession reads the session cookie and, for pages, makes sure the CSRF cookie exists and
// puts the viewer (name, CSRF token) in the request context for the templates. API answers carry
// no cookie: no registry client wants one, and minting it was a tenth of a lookup by id.
func (s *Server) browserSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		v := web.Viewer{}
		if cookie, err := c.Cookie(sessionCookie); err == nil {
			key, err := s.session(ctx, cookie.Value)
			switch {
			case err == nil:
				c.Set(keyContext, key)
				v.Name = key.Name
			case errors.Is(err, oidcauth.ErrProvider):
				// The session needs a refresh the provider does not answer: the request goes on
				// signed out (the sign-in page and static assets still load), and the session
				// works again once the provider answers.
				s.log.WarnContext(ctx, "single sign-on session not refreshed", "error", err)
			case !errors.Is(err, apikeys.ErrBadSession) && !errors.Is(err, oidcauth.ErrBadSession):
				return err
			}
		}
		if isAPIPath(c) {
			return next(c)
		}
		if rendersPage(c) {
			nonce := ""
			if cookie, err := c.Cookie(csrfCookie); err == nil && len(cookie.Value) == 43 {
				nonce = cookie.Value
			} else {
				b := make([]byte, 32)
				if _, err := rand.Read(b); err != nil {
					return err
				}
				nonce = base64.RawURLEncoding.EncodeToString(b)
				setCookie(c, csrfCookie, nonce, 0)
				c.Request().AddCookie(&http.Cookie{Name: csrfCookie, Value: nonce})
			}
			token, err := s.svc.Keys.MAC(ctx, "csrf|"+nonce)
			if err != nil {
				return err
			}
			v.CSRF = token
		}
		c.SetRequest(c.Request().WithContext(web.WithViewer(ctx, v)))
		return next(c)
	}
}

// session returns the key a session cookie stands for: an API key's, or the identity of a
// single sign-on (refreshed at the provider when its tokens have expired).
func (s *Server) session(ctx context.Context, cookie string) (apikeys.Key, error) {
	if s.svc.OIDC != nil && strings.HasPrefix(cookie, oidcauth.CookiePrefix) {
		id, err := s.svc.OIDC.Session(ctx, cookie)
		return oidcKey(id), err
	}
	return s.svc.Keys.Session(ctx, cookie)
}

// rendersPage: what a browser asks for when it loads a page (Accept with text/html) or an htmx
// fragment of one. A path that is a page or an API (GET /schemas, GET /) answers registry
// clients, which accept JSON, from the API.
func rendersPage(c echo.Context) bool {
	h := c.Request().Header
	return strings.Contains(h.Get(echo.HeaderAccept), "text/html") || h.Get("HX-Request") != ""
}

// checkCSRF refuses state-changing requests from a browser (a page path, or any path with a
// session cookie) that lack the CSRF token of their CSRF cookie. Clients that send their key
// with each request are not browsers riding on a cookie, so they need no token.
func (s *Server) checkCSRF(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		_, hasSession := c.Get(keyContext).(apikeys.Key)
		if _, _, sentKey := credentials(c.Request()); sentKey || (!hasSession && isAPIPath(c)) {
			return next(c)
		}
		token := c.Request().Header.Get("X-CSRF-Token")
		if token == "" {
			token = c.FormValue("_csrf")
		}
		nonce, err := c.Cookie(csrfCookie)
		if err != nil || token == "" || !s.svc.Keys.ValidMAC(c.Request().Context(), "csrf|"+nonce.Value, token) {
			return echo.NewHTTPError(http.StatusForbidden, "this form has expired or did not come from eventlens: reload the page and try again")
		}
		return next(c)
	}
}

// setCookie sets a SameSite=Strict cookie for the whole site; maxAge < 0 deletes it.
func setCookie(c echo.Context, name, value string, maxAge int) {
	writeCookie(c, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, SameSite: http.SameSiteStrictMode})
}

// writeCookie sets cookie HttpOnly, and Secure except on plain HTTP to a non-loopback host,
// where a browser would drop it.
func writeCookie(c echo.Context, cookie *http.Cookie) {
	host, _, err := net.SplitHostPort(c.Request().Host)
	if err != nil {
		host = c.Request().Host
	}
	ip := net.ParseIP(host)
	cookie.HttpOnly = true
	cookie.Secure = c.Scheme() == "https" || host == "localhost" || (ip != nil && ip.IsLoopback())
	c.SetCookie(cookie)
}

func (s *Server) loginPage(c echo.Context) error {
	return web.RenderLogin(c, http.StatusOK, localPath(c.QueryParam("next")), "", s.svc.OIDC != nil)
}

func (s *Server) login(c echo.Context) error {
	next := localPath(c.FormValue("next"))
	key, err := s.svc.Keys.Verify(c.Request().Context(), strings.TrimSpace(c.FormValue("id")), strings.TrimSpace(c.FormValue("secret")))
	if errors.Is(err, apikeys.ErrUnknownKey) {
		return web.RenderLogin(c, http.StatusUnauthorized, next, "That key id and secret do not match a valid API key.", s.svc.OIDC != nil)
	}
	if err != nil {
		return err
	}
	cookie, err := s.svc.Keys.NewSession(c.Request().Context(), key.ID, sessionTTL)
	if err != nil {
		return err
	}
	setCookie(c, sessionCookie, cookie, int(sessionTTL.Seconds()))
	return c.Redirect(http.StatusSeeOther, next)
}

// logout ends the session. A single sign-on's is deleted, and the browser goes on to the
// provider's logout, which ends the provider's session too and comes back to /login.
func (s *Server) logout(c echo.Context) error {
	setCookie(c, sessionCookie, "", -1)
	if cookie, err := c.Cookie(sessionCookie); err == nil && s.svc.OIDC != nil {
		to, err := s.svc.OIDC.End(c.Request().Context(), cookie.Value)
		if err != nil {
			return err
		}
		if to != "" {
			return web.RenderSignedOut(c, to)
		}
	}
	return c.Redirect(http.StatusSeeOther, "/")
}

// localPath keeps a redirect target on this site: a path, never another host.
func localPath(p string) string {
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.Contains(p, "\\") {
		return "/"
	}
	return p
}

// securityHeaders are sent with every answer. The content security policy allows only this
// origin's own scripts and styles, so an injected tag can neither run nor load anything.
// API answers (JSON, never rendered, framed or navigated to) get the two that matter for them:
// nosniff and a policy that allows nothing. The values are shared by every answer (set, never
// appended to), so no request allocates them.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		headers := pageSecurityHeaders
		if isAPIPath(c) {
			headers = apiSecurityHeaders
		}
		for _, kv := range headers {
			h[kv.key] = kv.value
		}
		return next(c)
	}
}

type headerValue struct {
	key   string // canonical
	value []string
}

var apiSecurityHeaders = []headerValue{
	{"Content-Security-Policy", []string{"default-src 'none'; frame-ancestors 'none'"}},
	{"X-Content-Type-Options", []string{"nosniff"}},
}

var pageSecurityHeaders = []headerValue{
	{"Content-Security-Policy", []string{"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"}},
	{"X-Content-Type-Options", []string{"nosniff"}},
	{"X-Frame-Options", []string{"DENY"}},
	{"Referrer-Policy", []string{"same-origin"}},
	{"Cross-Origin-Opener-Policy", []string{"same-origin"}},
}
