package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/eventlens/eventlens/catalog"
	"github.com/eventlens/eventlens/schemaregistry"
	"github.com/eventlens/eventlens/web/textdiff"
)

// schemasPerPage is how many subjects /schemas lists on one page.
const schemasPerPage = 50

// refusalsShown is how many refused registrations a subject's page and /drift show.
const refusalsShown = 10

// schemaListView is /schemas: one page of subjects.
type schemaListView struct {
	Subjects    []schemaregistry.SubjectSummary
	Total       int
	Query       string // the prefix filter
	Sort        string
	Descending  bool
	Page, Pages int
	GlobalLevel string
	BaseURL     string
}

// Schemas lists the registry's subjects, a page at a time, sorted and filtered on the server.
func (p *Pages) Schemas(c echo.Context) error {
	ctx := c.Request().Context()
	v := schemaListView{Query: c.QueryParam("q"), Sort: c.QueryParam("sort"), BaseURL: baseURL(c)}
	switch v.Sort {
	case schemaregistry.SortByName, schemaregistry.SortByType, schemaregistry.SortByVersion, schemaregistry.SortByChanged:
	default:
		v.Sort = schemaregistry.SortByName
	}
	v.Descending = c.QueryParam("order") == "desc"
	v.Page, _ = strconv.Atoi(c.QueryParam("page"))
	v.Page = max(v.Page, 1)
	subjects, total, err := p.Registry.SubjectSummaries(ctx, schemaregistry.SummaryQuery{
		Prefix: v.Query, Sort: v.Sort, Descending: v.Descending,
		Offset: (v.Page - 1) * schemasPerPage, Limit: schemasPerPage,
	})
	if err != nil {
		return err
	}
	global, err := p.Registry.GlobalConfig(ctx)
	if err != nil {
		return err
	}
	v.Subjects, v.Total, v.GlobalLevel = subjects, total, global.CompatibilityLevel
	v.Pages = max(1, (total+schemasPerPage-1)/schemasPerPage)
	return render(c, http.StatusOK, schemaListPage(v))
}

// listURL is the URL of this listing with some parameters changed; it keeps the others, so
// every page, order and filter has its own stable address.
func (v schemaListView) listURL(page int, sort string, desc bool) string {
	q := url.Values{}
	if v.Query != "" {
		q.Set("q", v.Query)
	}
	if sort != schemaregistry.SortByName {
		q.Set("sort", sort)
	}
	if desc {
		q.Set("order", "desc")
	}
	if page > 1 {
		q.Set("page", strconv.Itoa(page))
	}
	if len(q) == 0 {
		return "/schemas"
	}
	return "/schemas?" + q.Encode()
}

// sortURL is the address a column header links to: its column ascending, or descending when
// it is the column sorted ascending now. Sorting starts again at page 1.
func (v schemaListView) sortURL(column string) string {
	return v.listURL(1, column, column == v.Sort && !v.Descending)
}

// ariaSort is the aria-sort value of a column header.
func (v schemaListView) ariaSort(column string) string {
	switch {
	case column != v.Sort:
		return "none"
	case v.Descending:
		return "descending"
	}
	return "ascending"
}

func (v schemaListView) first() int { return min((v.Page-1)*schemasPerPage+1, v.Total) }
func (v schemaListView) last() int  { return min(v.Page*schemasPerPage, v.Total) }

func versionURL(subject string, version int) string {
	return subjectPath(subject) + "?version=" + strconv.Itoa(version)
}

// subjectParam is the subject from the path, percent-decoded (echo routes on the raw path when
// it holds escapes such as %2F, and then leaves the parameter escaped), normalized as the
// registry API reads it (":.:orders" is "orders").
func subjectParam(c echo.Context) string {
	p := c.Param("subject")
	if c.Request().URL.RawPath != "" {
		if u, err := url.PathUnescape(p); err == nil {
			p = u
		}
	}
	return schemaregistry.NormalizeSubject(p)
}

// formatMillis shows a registration time in UTC, to the minute.
func formatMillis(ms int64) string {
	if ms <= 0 {
		return "—"
	}
	return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04 UTC")
}

// isoMillis is the same time for a <time datetime> attribute.
func isoMillis(ms int64) string {
	return time.UnixMilli(ms).UTC().Format(time.RFC3339)
}

// levelOf is the compatibility level that applies to a subject and where it comes from.
type levelOf struct {
	Level  string
	Global bool // the subject has no level of its own
}

// subjectView is /schemas/{subject}: its versions and one of them in full.
type subjectView struct {
	Subject    string
	Level      levelOf
	Versions   []schemaregistry.Schema // oldest first, soft-deleted ones included
	Selected   schemaregistry.Schema
	Lines      []codeLine
	References []schemaregistry.Reference
	Referrers  []schemaregistry.Referrer
	Consumers  []catalog.SubjectConsumer
	Refusals   []schemaregistry.Refusal // newest first
	DiffFrom   int                      // what the diff form proposes
	DiffTo     int
	Now        time.Time
}

func (v subjectView) liveCount() int {
	n := 0
	for _, s := range v.Versions {
		if !s.Deleted {
			n++
		}
	}
	return n
}

// Subject shows one subject: every version, the selected one (?version=, latest by default)
// pretty-printed, its references both ways, and a form to compare two versions.
func (p *Pages) Subject(c echo.Context) error {
	ctx := c.Request().Context()
	subject := subjectParam(c)
	history, err := p.Registry.History(ctx, subject)
	if err != nil {
		return err
	}
	selected, err := pickVersion(history, c.QueryParam("version"))
	if err != nil {
		return err
	}
	level, err := p.levelOf(c, subject)
	if err != nil {
		return err
	}
	referrers, err := p.Registry.Referrers(ctx, subject, selected.Version)
	if err != nil {
		return err
	}
	edges, err := p.Tracing.FlowEdges(ctx, time.Time{})
	if err != nil {
		return err
	}
	consumers := catalog.SubjectConsumers(edges, subject, history)
	refusals, err := p.Registry.Refusals(ctx, subject, refusalsShown)
	if err != nil {
		return err
	}
	v := subjectView{
		Subject: subject, Level: level, Versions: history, Selected: selected,
		Lines:      highlight(selected.SchemaType, prettySchema(selected.SchemaType, selected.Schema)),
		References: referencedSubjects(subject, selected.References), Referrers: referrers, Consumers: consumers, Refusals: refusals,
		DiffFrom: selected.Version, DiffTo: selected.Version, Now: p.now(),
	}
	// Propose comparing the selected version with the one before it, or the one after.
	for i, s := range history {
		if s.Version == selected.Version {
			if i > 0 {
				v.DiffFrom = history[i-1].Version
			} else if i+1 < len(history) {
				v.DiffTo = history[i+1].Version
			}
		}
	}
	return render(c, http.StatusOK, subjectPage(v))
}

// referencedSubjects is refs naming the subjects they reference from subject: a reference that
// names no context is to a subject of subject's context.
func referencedSubjects(subject string, refs []schemaregistry.Reference) []schemaregistry.Reference {
	out := make([]schemaregistry.Reference, len(refs))
	for i, r := range refs {
		out[i] = r
		out[i].Subject = schemaregistry.ReferencedSubject(subject, r.Subject)
	}
	return out
}

// pickVersion finds the version a query asks for: a number or "latest" (the newest live
// version, or the newest of all when every version is soft-deleted).
func pickVersion(history []schemaregistry.Schema, param string) (schemaregistry.Schema, error) {
	want := schemaregistry.Latest
	if param != "" {
		v, err := schemaregistry.ParseVersion(param)
		if err != nil {
			return schemaregistry.Schema{}, err
		}
		want = v
	}
	if want == schemaregistry.Latest {
		for i := len(history) - 1; i >= 0; i-- {
			if !history[i].Deleted {
				return history[i], nil
			}
		}
		return history[len(history)-1], nil
	}
	for _, s := range history {
		if s.Version == want {
			return s, nil
		}
	}
	return schemaregistry.Schema{}, echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("Subject %q has no version %d", history[0].Subject, want))
}

func (p *Pages) levelOf(c echo.Context, subject string) (levelOf, error) {
	ctx := c.Request().Context()
	own, err := p.Registry.OwnLevel(ctx, subject)
	if err != nil || own != "" {
		return levelOf{Level: own}, err
	}
	global, err := p.Registry.SubjectConfig(ctx, subject, true) // the global level, or its context's
	return levelOf{Level: global.CompatibilityLevel, Global: true}, err
}

// diffView is /schemas/{subject}/diff: two versions side by side, the verdict, the changes.
type diffView struct {
	Subject    string
	Level      levelOf
	Versions   []schemaregistry.Schema // for the form that picks two others
	Comparison schemaregistry.Comparison
	Old, New   []codeLine
	Rows       []textdiff.Row
	Added      int // lines only in the new version
	Removed    int // lines only in the old version
}

// SchemaDiff compares two versions of a subject (?from=, ?to=): side by side with the changed
// lines marked, whether to may follow from at the subject's level, and every named difference.
func (p *Pages) SchemaDiff(c echo.Context) error {
	ctx := c.Request().Context()
	subject := subjectParam(c)
	history, err := p.Registry.History(ctx, subject)
	if err != nil {
		return err
	}
	to, err := pickVersion(history, c.QueryParam("to"))
	if err != nil {
		return err
	}
	var from schemaregistry.Schema
	if c.QueryParam("from") != "" {
		if from, err = pickVersion(history, c.QueryParam("from")); err != nil {
			return err
		}
	} else {
		from = to // the version before to, if there is one
		for i, s := range history {
			if s.Version == to.Version && i > 0 {
				from = history[i-1]
			}
		}
	}
	cmp, err := p.Registry.Compare(ctx, subject, from.Version, to.Version)
	if err != nil {
		return err
	}
	level, err := p.levelOf(c, subject)
	if err != nil {
		return err
	}
	oldText := prettySchema(from.SchemaType, from.Schema)
	newText := prettySchema(to.SchemaType, to.Schema)
	v := diffView{
		Subject: subject, Level: level, Versions: history, Comparison: cmp,
		Old: highlight(from.SchemaType, oldText), New: highlight(to.SchemaType, newText),
	}
	v.Rows = textdiff.SideBySide(textdiff.Lines(textdiff.Split(oldText), textdiff.Split(newText)))
	for _, r := range v.Rows {
		if r.Changed && r.Old >= 0 {
			v.Removed++
		}
		if r.Changed && r.New >= 0 {
			v.Added++
		}
	}
	return render(c, http.StatusOK, diffPage(v))
}

// line returns line i of a highlighted text, or nothing for the empty side of a row.
func line(lines []codeLine, i int) codeLine {
	if i < 0 || i >= len(lines) {
		return nil
	}
	return lines[i]
}

func lineNumber(i int) string {
	if i < 0 {
		return ""
	}
	return strconv.Itoa(i + 1)
}

func sideTestID(side string, changed bool) string {
	if changed {
		return side + "-changed"
	}
	return side
}

// changeVerdict is a change's verdict at the subject's level, for tests to read.
func changeVerdict(c schemaregistry.Change) string {
	if c.Compatible {
		return "compatible"
	}
	return "breaking"
}

// directionWords says which readers a breaking change fails.
func directionWords(direction string) string {
	switch direction {
	case schemaregistry.Backward:
		return "new can't read old"
	case schemaregistry.Forward:
		return "old can't read new"
	case schemaregistry.Full:
		return "neither reads the other"
	}
	return direction
}

// levelMeaning explains a compatibility level in a sentence.
func levelMeaning(level string) string {
	switch level {
	case schemaregistry.None:
		return ": the subject checks nothing."
	case schemaregistry.Backward, schemaregistry.BackwardTransitive:
		return ": consumers on the new version read data written with the old."
	case schemaregistry.Forward, schemaregistry.ForwardTransitive:
		return ": consumers on the old version read data written with the new."
	case schemaregistry.Full, schemaregistry.FullTransitive:
		return ": each version reads data written with the other."
	}
	return "."
}
