package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/eventlens/eventlens/catalog"
)

const searchPerPage = 25

var searchKinds = []string{catalog.HitService, catalog.HitChannel, catalog.HitMessage, catalog.HitDomain, catalog.HitSubject, catalog.HitField}

type searchView struct {
	page
	Query    string
	Kind     string
	Result   catalog.SearchResult
	Observed []catalog.SearchHit // services and channels seen in traces that the catalog lacks
	List     listState
}

// Search is the search page: /search?q=&kind=&page=.
func (p *Pages) Search(c echo.Context) error {
	ctx := c.Request().Context()
	v := searchView{page: page{Title: "Search", Nav: "search"}, Query: strings.TrimSpace(c.QueryParam("q"))}
	if k := c.QueryParam("kind"); slices.Contains(searchKinds, k) {
		v.Kind = k
	}
	v.List = readList(c, "/search", searchPerPage, false, "rank")
	if v.Query == "" {
		return render(c, http.StatusOK, searchPage(v))
	}
	res, err := p.Catalog.Search(ctx, v.Query, v.Kind, (v.List.Page-1)*searchPerPage, searchPerPage)
	if err != nil {
		return err
	}
	v.Result = res
	v.List.Total = res.Total
	if v.List.Page == 1 && (v.Kind == "" || v.Kind == catalog.HitService || v.Kind == catalog.HitChannel) {
		v.Observed, err = p.observedHits(c, v.Query, v.Kind, res.Hits)
		if err != nil {
			return err
		}
	}
	return render(c, http.StatusOK, searchPage(v))
}

// observedHits are the services and channels traces have shown whose names contain every word
// of the query, unless the catalog's hits already name them.
func (p *Pages) observedHits(c echo.Context, q, kind string, have []catalog.SearchHit) ([]catalog.SearchHit, error) {
	names, err := p.Tracing.Names(c.Request().Context())
	if err != nil {
		return nil, err
	}
	words := strings.Fields(strings.ToLower(q))
	matches := func(name string) bool {
		n := strings.ToLower(name)
		for _, w := range words {
			if !strings.Contains(n, w) {
				return false
			}
		}
		return true
	}
	seen := map[string]bool{}
	for _, h := range have {
		seen[h.Kind+"\x00"+h.Name] = true
	}
	var out []catalog.SearchHit
	add := func(k, name string) {
		if (kind == "" || kind == k) && !seen[k+"\x00"+name] && matches(name) && len(out) < 20 {
			seen[k+"\x00"+name] = true
			out = append(out, catalog.SearchHit{Kind: k, Name: name})
		}
	}
	for _, s := range names.Services {
		add(catalog.HitService, s)
	}
	for _, ch := range names.Channels {
		add(catalog.HitChannel, ch.Destination)
	}
	return out, nil
}

// hitHref is where a hit leads.
func hitHref(h catalog.SearchHit) string {
	switch h.Kind {
	case catalog.HitService:
		return servicePath(h.Name)
	case catalog.HitChannel:
		return channelPath(h.Name)
	case catalog.HitSubject, catalog.HitField:
		return subjectPath(h.Name)
	case catalog.HitMessage:
		return messagePath(h.Name)
	case catalog.HitDomain:
		return domainPath(h.Name)
	default:
		return "/search?" + url.Values{"q": {h.Name}}.Encode()
	}
}

func (v searchView) kindHref(kind string) string {
	q := url.Values{"q": {v.Query}}
	if kind != "" {
		q.Set("kind", kind)
	}
	return "/search?" + q.Encode()
}
