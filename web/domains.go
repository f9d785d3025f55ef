package web

import (
	"cmp"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/eventlens/eventlens/catalog"
)

// domainRow is one line of the domains list.
type domainRow struct {
	catalog.Domain
	Services int
	Status   string // the worst consumer status of its services, "" when they consume nothing
}

type domainsView struct {
	page
	Rows []domainRow
	List listState
}

// Domains lists every domain: /domains?sort=&order=&page=.
func (p *Pages) Domains(c echo.Context) error {
	ctx := c.Request().Context()
	domains, err := p.Catalog.Domains(ctx)
	if err != nil {
		return err
	}
	services, err := p.Catalog.Services(ctx)
	if err != nil {
		return err
	}
	report, err := p.Tracing.Health(ctx)
	if err != nil {
		return err
	}
	worst := worstStatus(report)
	rows := make([]domainRow, len(domains))
	index := map[string]int{}
	for i, d := range domains {
		rows[i].Domain = d
		index[d.Name] = i
	}
	for _, s := range services {
		i, ok := index[s.Domain]
		if !ok {
			continue
		}
		rows[i].Services++
		rows[i].Status = worseStatus(rows[i].Status, worst[s.Name])
	}
	v := domainsView{page: page{Title: "Domains", Nav: "catalog"}}
	v.List = readList(c, "/domains", 50, false, "name", "owner", "services", "status")
	slices.SortFunc(rows, func(a, b domainRow) int {
		var c int
		switch v.List.Sort {
		case "name":
			c = strings.Compare(a.Name, b.Name)
		case "owner":
			c = strings.Compare(a.Owner, b.Owner)
		case "services":
			c = cmp.Compare(a.Services, b.Services)
		case "status":
			c = cmp.Compare(statusRank(b.Status), statusRank(a.Status))
		}
		return v.List.order(c, strings.Compare(a.Name, b.Name))
	})
	lo, hi := v.List.bounds(len(rows))
	v.Rows = rows[lo:hi]
	return render(c, http.StatusOK, domainsPage(v))
}

// domainService is one service of a domain with its consumers' worst status.
type domainService struct {
	Name, Status string
}

// sentMessage is a message a domain's services send, and which of them send it.
type sentMessage struct {
	Name     string
	Services []string
}

type domainView struct {
	page
	Domain   catalog.Domain
	Services []domainService
	Messages []sentMessage
}

// Domain is one domain's page: /domains/{name}.
func (p *Pages) Domain(c echo.Context) error {
	ctx := c.Request().Context()
	name, err := nameParam(c)
	if err != nil {
		return err
	}
	d, err := p.Catalog.Domain(ctx, name)
	if errors.Is(err, catalog.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound, "No domain is called "+name+" in the catalog.")
	}
	if err != nil {
		return err
	}
	report, err := p.Tracing.Health(ctx)
	if err != nil {
		return err
	}
	ops, err := p.Catalog.Operations(ctx)
	if err != nil {
		return err
	}
	v := domainView{page: page{Title: name, Nav: "catalog"}, Domain: d}
	worst := worstStatus(report)
	for _, s := range d.Services {
		v.Services = append(v.Services, domainService{Name: s, Status: worst[s]})
	}
	senders, _ := carriers(ops)
	for message, services := range senders {
		var ours []string
		for _, s := range services {
			if slices.Contains(d.Services, s) {
				ours = append(ours, s)
			}
		}
		if len(ours) > 0 {
			v.Messages = append(v.Messages, sentMessage{Name: message, Services: ours})
		}
	}
	slices.SortFunc(v.Messages, func(a, b sentMessage) int { return strings.Compare(a.Name, b.Name) })
	return render(c, http.StatusOK, domainPage(v))
}
