// Package web renders eventlens' console: server-side HTML pages built from templ components,
// and the static assets they use. Handlers prepare a view model and render it; no logic lives here.
package web

import (
	"bytes"
	"net/http"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/eventlens/eventlens/alerts"
	"github.com/eventlens/eventlens/brokers"
	"github.com/eventlens/eventlens/catalog"
	"github.com/eventlens/eventlens/schemaregistry"
	"github.com/eventlens/eventlens/tracing"
)

// Pages serves the console's pages.
type Pages struct {
	Catalog  *catalog.Catalog
	Registry *schemaregistry.Registry
	Tracing  *tracing.Ingester
	Brokers  brokers.Sources // the brokers polled, for the sources page
	// AlertRules are the alerts of the alerts file, for /alerts; nil shows that none are set.
	AlertRules *alerts.Alerts
	Now        func() time.Time // the clock for time windows; nil means time.Now
}

func (p *Pages) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// Home is the landing page: what the store holds and how to feed it.
func (p *Pages) Home(c echo.Context) error {
	v, err := p.homeView(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, homePage(v))
}

// RenderError writes the HTML error page; the server's error handler calls it for browser requests.
func RenderError(c echo.Context, status int, message string) error {
	return render(c, status, errorPage(status, message))
}

// render renders into a buffer first, so a failing component yields an error page rather than
// half a page under a 200.
func render(c echo.Context, status int, component templ.Component) error {
	var buf bytes.Buffer
	if err := component.Render(c.Request().Context(), &buf); err != nil {
		return err
	}
	return c.HTMLBlob(status, buf.Bytes())
}

func baseURL(c echo.Context) string {
	return c.Scheme() + "://" + c.Request().Host
}

// RenderLogin writes the sign-in page; status is 200, or 401 after a failed attempt. With sso
// it offers single sign-on beside the API key form.
func RenderLogin(c echo.Context, status int, next, problem string, sso bool) error {
	return render(c, status, loginPage(loginView{Next: next, Problem: problem, SSO: sso}))
}

// RenderSignedIn ends a single sign-on at next, a local path. The provider's redirect to the
// callback is a cross-site navigation, and a browser keeps treating the redirects that follow
// it as cross-site, so the SameSite=Strict session cookie would not go with a redirect to next;
// this page's own navigation is same-site, and it does.
func RenderSignedIn(c echo.Context, name, next string) error {
	return render(c, http.StatusOK, signedInPage(name, next))
}

// RenderSignedOut sends the browser on to the identity provider's logout URL. A redirect would
// not do: the sign-out form's answer may only redirect to this site (form-action 'self').
func RenderSignedOut(c echo.Context, providerLogout string) error {
	return render(c, http.StatusOK, signedOutPage(providerLogout))
}
