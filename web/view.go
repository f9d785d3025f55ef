package web

import (
	"cmp"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/eventlens/eventlens/tracing"
	"github.com/eventlens/eventlens/web/flowgraph"
)

// Shared pieces of the flow, service, channel, health, trace and search pages' view models:
// time windows, number formats, health, sorting and paging.

// window is a time window a page looks at.
type window struct {
	Key   string
	Label string
	D     time.Duration
}

var windows = []window{
	{"15m", "15 min", 15 * time.Minute},
	{"1h", "1 hour", time.Hour},
	{"24h", "24 hours", 24 * time.Hour},
	{"7d", "7 days", 7 * 24 * time.Hour},
}

// parseWindow reads ?window=, defaulting to one hour.
func parseWindow(s string) window {
	for _, w := range windows {
		if w.Key == s {
			return w
		}
	}
	return windows[1]
}

// perMin writes a rate per second as messages per minute.
func perMin(perSecond float64) string {
	m := perSecond * 60
	switch {
	case m == 0:
		return "0/min"
	case m < 0.1:
		return "<0.1/min"
	case m < 10:
		return strconv.FormatFloat(m, 'f', 1, 64) + "/min"
	default:
		return strconv.FormatFloat(math.Round(m), 'f', 0, 64) + "/min"
	}
}

// messages writes a number of messages for people: 950, 12.4k, 3.1M.
func messages(n int64) string {
	switch {
	case n < 10_000:
		return strconv.FormatInt(n, 10)
	case n < 1_000_000:
		return strconv.FormatFloat(float64(n)/1e3, 'f', 1, 64) + "k"
	default:
		return strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64) + "M"
	}
}

// channelOfKey is the destination in a channel key ("kafka/orders.DLT" → "orders.DLT"), which
// the channel pages are named by.
func channelOfKey(key string) string {
	if _, dest, ok := strings.Cut(key, "/"); ok {
		return dest
	}
	return key
}

// percent writes a rate (0.021) as "2.1%".
func percent(r float64) string {
	switch {
	case r == 0:
		return "0%"
	case r < 0.001:
		return "<0.1%"
	case r >= 0.1:
		return strconv.FormatFloat(100*r, 'f', 0, 64) + "%"
	default:
		return strconv.FormatFloat(100*r, 'f', 1, 64) + "%"
	}
}

// millis writes milliseconds for people: "35ms", "1.8s", "2.5min".
func millis(ms float64) string {
	switch {
	case ms <= 0:
		return "0ms"
	case ms < 1:
		return strconv.FormatFloat(ms, 'f', 2, 64) + "ms"
	case ms < 1000:
		return strconv.FormatFloat(ms, 'f', 0, 64) + "ms"
	case ms < 60_000:
		return strconv.FormatFloat(ms/1000, 'f', 1, 64) + "s"
	case ms < 3_600_000:
		return strings.TrimSuffix(strconv.FormatFloat(ms/60_000, 'f', 1, 64), ".0") + " min"
	default:
		return strings.TrimSuffix(strconv.FormatFloat(ms/3_600_000, 'f', 1, 64), ".0") + " h"
	}
}

func optMillis(ms *float64) string {
	if ms == nil {
		return "—"
	}
	return millis(*ms)
}

func duration(d time.Duration) string { return millis(float64(d.Microseconds()) / 1000) }

// ago writes how long before now t was: "12s ago", "5 min ago", "3 h ago", "2 d ago".
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", max(int(d.Seconds()), 0))
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	default:
		return fmt.Sprintf("%d d ago", int(d.Hours()/24))
	}
}

func itoa(n int) string           { return strconv.Itoa(n) }
func statusClass(s string) string { return "status status-" + s }

// Health of a flow over a window, by the same thresholds consumer health uses by default.
func flowHealth(f tracing.Flow) flowgraph.Health {
	switch {
	case f.Messages == 0:
		return flowgraph.Silent
	case f.ErrorRate >= 0.25:
		return flowgraph.Failing
	case f.ErrorRate >= 0.05 || f.ProcessingMs.P95 >= 1000 || (f.DelayP95Ms != nil && *f.DelayP95Ms >= 60_000):
		return flowgraph.Degraded
	default:
		return flowgraph.Healthy
	}
}

// statusRank orders consumer statuses from worst to best.
func statusRank(s string) int {
	switch s {
	case tracing.StatusFailing:
		return 0
	case tracing.StatusSilent:
		return 1
	case tracing.StatusDegraded:
		return 2
	case tracing.StatusHealthy:
		return 3
	default:
		return 4
	}
}

// worstStatus is each service's worst consumer status in a health report: the status the
// services and domains lists show. Services that consume nothing are absent.
func worstStatus(report tracing.HealthReport) map[string]string {
	worst := map[string]string{}
	for _, h := range report.Consumers {
		worst[h.Service] = worseStatus(worst[h.Service], h.Status)
	}
	return worst
}

// worseStatus returns the worse of two consumer statuses; "" (none) counts as best.
func worseStatus(a, b string) string {
	if statusRank(b) < statusRank(a) {
		return b
	}
	return a
}

// worse returns the worse of two healths (Unknown counts as best).
func worse(a, b flowgraph.Health) flowgraph.Health {
	rank := func(h flowgraph.Health) int {
		switch h {
		case flowgraph.Failing:
			return 4
		case flowgraph.Degraded:
			return 3
		case flowgraph.Silent:
			return 2
		case flowgraph.Healthy:
			return 1
		}
		return 0
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// Paths of the pages, escaped: names may hold '/', '.', spaces or markup.
func servicePath(name string) string { return "/services/" + pathEscape(name) }
func channelPath(name string) string { return "/channels/" + pathEscape(name) }
func messagePath(name string) string { return "/messages/" + pathEscape(name) }
func domainPath(name string) string  { return "/domains/" + pathEscape(name) }
func ownerPath(name string) string   { return "/owners/" + pathEscape(name) }
func subjectPath(name string) string { return "/schemas/" + url.PathEscape(name) }
func tracePath(id tracing.TraceID) string {
	return "/traces/" + id.String()
}

// pathEscape escapes each segment of a name, keeping its slashes as path separators, so
// /channels/comment/liked reads as it is written.
func pathEscape(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

// nameParam reads the name at the end of a wildcard route.
func nameParam(c echo.Context) (string, error) {
	name, err := url.PathUnescape(c.Param("*"))
	if err != nil || name == "" {
		return "", echo.NewHTTPError(400, "the path must end in a name")
	}
	return name, nil
}

// listState is how a list is sorted and which page of it is shown, read from ?sort=&order=&page=.
type listState struct {
	Path   string     // the page's path
	Query  url.Values // the page's other parameters, kept in every link
	Sort   string
	Desc   bool
	Page   int // from 1
	Per    int
	Total  int
	Fields []string // the sort keys the list accepts; the first is the default
}

func readList(c echo.Context, path string, per int, defaultDesc bool, fields ...string) listState {
	q := url.Values{}
	for k, v := range c.QueryParams() {
		if k != "sort" && k != "order" && k != "page" && len(v) > 0 && v[0] != "" {
			q.Set(k, v[0])
		}
	}
	l := listState{Path: path, Query: q, Sort: fields[0], Desc: defaultDesc, Page: 1, Per: per, Fields: fields}
	for _, f := range fields {
		if c.QueryParam("sort") == f {
			l.Sort = f
		}
	}
	switch c.QueryParam("order") {
	case "asc":
		l.Desc = false
	case "desc":
		l.Desc = true
	}
	if p, err := strconv.Atoi(c.QueryParam("page")); err == nil && p > 1 {
		l.Page = p
	}
	return l
}

// href is the list's URL with sort, order and page changed.
func (l listState) href(sort string, desc bool, page int) string {
	q := url.Values{}
	for k, v := range l.Query {
		q[k] = v
	}
	q.Set("sort", sort)
	if desc {
		q.Set("order", "desc")
	} else {
		q.Set("order", "asc")
	}
	if page > 1 {
		q.Set("page", strconv.Itoa(page))
	}
	return l.Path + "?" + q.Encode()
}

// filterHref is the list's URL with the filter key set to value (removed when value is ""),
// from the first page.
func (l listState) filterHref(key, value string) string {
	l.Query = cloneValues(l.Query)
	if value == "" {
		l.Query.Del(key)
	} else {
		l.Query.Set(key, value)
	}
	return l.href(l.Sort, l.Desc, 1)
}

// sortHref is the link of a column header: the column ascending, or flipped when it is the
// current sort.
func (l listState) sortHref(field string) string {
	if l.Sort == field {
		return l.href(field, !l.Desc, 1)
	}
	return l.href(field, false, 1)
}

func (l listState) ariaSort(field string) string {
	switch {
	case l.Sort != field:
		return "none"
	case l.Desc:
		return "descending"
	default:
		return "ascending"
	}
}

func (l listState) pages() int { return max((l.Total+l.Per-1)/l.Per, 1) }

// bounds clamps the page and returns the slice bounds of its rows.
func (l *listState) bounds(total int) (int, int) {
	l.Total = total
	l.Page = min(l.Page, l.pages())
	from := (l.Page - 1) * l.Per
	return from, min(from+l.Per, total)
}

// order applies the list's direction to a comparison, with a stable tie-break.
func (l listState) order(c, tie int) int {
	if l.Desc {
		c = -c
	}
	return cmp.Or(c, tie)
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}
