package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/eventlens/eventlens/brokers"
)

type sourcesView struct {
	page
	Sources []brokers.State
	Now     time.Time
}

// Sources is /sources: every broker eventlens polls, how its last poll went and why not.
func (p *Pages) Sources(c echo.Context) error {
	v := sourcesView{page: page{Title: "Sources", Nav: "health"}, Sources: p.Brokers.States(c.Request().Context()), Now: p.now()}
	return render(c, http.StatusOK, sourcesPage(v))
}

// sourceStatus is the badge class of a source's state: ok is healthy, pending degraded, the
// rest failing.
func sourceStatus(state string) string {
	switch state {
	case "ok":
		return "healthy"
	case "pending":
		return "degraded"
	}
	return "failing"
}
