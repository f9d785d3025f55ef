package server

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/eventlens/eventlens/apikeys"
	"github.com/eventlens/eventlens/oidcauth"
	"github.com/eventlens/eventlens/web"
)

// oidcStateCookie holds a single sign-on's state from the redirect to the provider until its
// callback. It is SameSite=Lax, unlike the others: the callback is a navigation from the
// provider's site, which a Strict cookie would not go with.
const oidcStateCookie = "eventlens_oidc_state"

// oidcLogin begins a single sign-on and sends the browser to the provider.
func (s *Server) oidcLogin(c echo.Context) error {
	if s.svc.OIDC == nil {
		return echo.NewHTTPError(http.StatusNotFound, "single sign-on is not configured: start eventlens with --oidc-issuer")
	}
	login, err := s.svc.OIDC.Begin(c.Request().Context(), localPath(c.QueryParam("next")))
	if err != nil {
		return err
	}
	writeCookie(c, &http.Cookie{Name: oidcStateCookie, Value: login.State, Path: "/auth/oidc/", MaxAge: 600, SameSite: http.SameSiteLaxMode})
	return c.Redirect(http.StatusSeeOther, login.URL)
}

// oidcCallback completes the sign-in the provider redirected back with: a session cookie as
// an API key's sign-in gets, with the role the person's groups map to.
func (s *Server) oidcCallback(c echo.Context) error {
	if s.svc.OIDC == nil {
		return echo.NewHTTPError(http.StatusNotFound, "single sign-on is not configured: start eventlens with --oidc-issuer")
	}
	state := ""
	if cookie, err := c.Cookie(oidcStateCookie); err == nil {
		state = cookie.Value
	}
	// The state is used once, whatever happens next.
	writeCookie(c, &http.Cookie{Name: oidcStateCookie, Path: "/auth/oidc/", MaxAge: -1, SameSite: http.SameSiteLaxMode})
	session, err := s.svc.OIDC.Finish(c.Request().Context(), state, c.QueryParams())
	if err != nil {
		return err
	}
	setCookie(c, sessionCookie, session.Cookie, int(sessionTTL.Seconds()))
	return web.RenderSignedIn(c, session.Name, session.Next)
}

// oidcKey is the key-shaped identity of a single sign-on session, so that every route's role
// check treats it as it treats an API key's session.
func oidcKey(id oidcauth.Identity) apikeys.Key {
	return apikeys.Key{ID: "oidc:" + id.Subject, Name: id.Name, Role: id.Role}
}

// oidcStatus maps the sign-in's errors to statuses, for classify.
func oidcStatus(err error) (int, bool) {
	switch {
	case errors.Is(err, oidcauth.ErrBadCallback):
		return http.StatusBadRequest, true
	case errors.Is(err, oidcauth.ErrRefused):
		return http.StatusUnauthorized, true
	case errors.Is(err, oidcauth.ErrNoRole):
		return http.StatusForbidden, true
	case errors.Is(err, oidcauth.ErrProvider):
		return http.StatusBadGateway, true
	}
	return 0, false
}
