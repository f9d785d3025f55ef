package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/eventlens/eventlens/catalog"
)

type ownersView struct {
	page
	Rows []catalog.Owner
	List listState
}

// Owners lists every team and person that owns something: /owners?sort=&order=&page=.
func (p *Pages) Owners(c echo.Context) error {
	owners, err := p.Catalog.Owners(c.Request().Context())
	if err != nil {
		return err
	}
	v := ownersView{page: page{Title: "Owners", Nav: "catalog"}}
	v.List = readList(c, "/owners", 50, false, "name", "kind")
	slices.SortFunc(owners, func(a, b catalog.Owner) int {
		c := strings.Compare(a.Name, b.Name)
		if v.List.Sort == "kind" {
			c = strings.Compare(a.Kind, b.Kind)
		}
		return v.List.order(c, strings.Compare(a.Name, b.Name))
	})
	lo, hi := v.List.bounds(len(owners))
	v.Rows = owners[lo:hi]
	return render(c, http.StatusOK, ownersPage(v))
}

type ownerView struct {
	page
	Owner catalog.Owner
}

// Owner is one owner's page, with what it owns: /owners/{name}.
func (p *Pages) Owner(c echo.Context) error {
	name, err := nameParam(c)
	if err != nil {
		return err
	}
	o, err := p.Catalog.Owner(c.Request().Context(), name)
	if errors.Is(err, catalog.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound, "No owner (team or person) is called "+name+" in the catalog.")
	}
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, ownerPage(ownerView{page: page{Title: name, Nav: "catalog"}, Owner: o}))
}

// owns writes what an owner owns, as "1 domain · 2 services · 3 messages".
func owns(n *catalog.OwnerCounts) string {
	if n == nil {
		return ""
	}
	var parts []string
	for _, c := range []struct {
		n          int
		one, other string
	}{{n.Domains, "domain", "domains"}, {n.Services, "service", "services"}, {n.Channels, "channel", "channels"}, {n.Messages, "message", "messages"}} {
		switch {
		case c.n == 1:
			parts = append(parts, "1 "+c.one)
		case c.n > 1:
			parts = append(parts, strconv.Itoa(c.n)+" "+c.other)
		}
	}
	if len(parts) == 0 {
		return "nothing yet"
	}
	return strings.Join(parts, " · ")
}
