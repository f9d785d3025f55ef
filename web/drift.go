package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/eventlens/eventlens/catalog"
	"github.com/eventlens/eventlens/schemaregistry"
)

type driftView struct {
	page
	Findings []catalog.DriftFinding
	Refusals []schemaregistry.Refusal // the registry's newest, across subjects
	Now      time.Time
}

// driftKinds names each kind of drift for people.
var driftKinds = map[string]string{
	catalog.DriftUndocumentedProducer: "undocumented producer",
	catalog.DriftUndocumentedConsumer: "undocumented consumer",
	catalog.DriftNotObserved:          "not observed",
	catalog.DriftChannelWithoutSchema: "channel without schema",
	catalog.DriftStaleConsumerSchema:  "stale consumer schema",
}

// Drift lists where the documents and the traces disagree, and the registrations the registry
// refused lately: /drift.
func (p *Pages) Drift(c echo.Context) error {
	now := p.now()
	findings, err := p.Catalog.Drift(c.Request().Context(), catalog.DriftQuery{At: now})
	if err != nil {
		return err
	}
	refusals, err := p.Registry.Refusals(c.Request().Context(), "", refusalsShown)
	if err != nil {
		return err
	}
	v := driftView{page: page{Title: "Drift", Nav: "drift"}, Findings: findings, Refusals: refusals, Now: now}
	return render(c, http.StatusOK, driftPage(v))
}
