package server

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/eventlens/eventlens/catalog"
)

// Catalog API: /api/catalog/… lists and gets domains, services, channels, messages, servers and owners,
// patches what people know better than documents, and imports AsyncAPI documents.

// listOf answers GET with everything list returns.
func listOf[T any](list func(context.Context) ([]T, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		items, err := list(c.Request().Context())
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, items)
	}
}

// oneOf answers GET …/<name> with what get returns. Names may hold slashes (channel
// addresses such as comment/liked), so routes end in a wildcard.
func oneOf[T any](get func(context.Context, string) (T, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		name, err := nameParam(c)
		if err != nil {
			return err
		}
		item, err := get(c.Request().Context(), name)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, item)
	}
}

func nameParam(c echo.Context) (string, error) {
	name, err := url.PathUnescape(c.Param("*"))
	if err != nil || name == "" {
		return "", echo.NewHTTPError(http.StatusBadRequest, "the path must end in a name")
	}
	return name, nil
}

// patchEntity answers PATCH /api/catalog/<kind>s/<name> with a catalog.Patch body.
func patchEntity(cat *catalog.Catalog, kind string, get func(context.Context, string) (any, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		name, err := nameParam(c)
		if err != nil {
			return err
		}
		var p catalog.Patch
		if err := c.Bind(&p); err != nil {
			return err
		}
		if err := cat.Update(c.Request().Context(), kind, name, p); err != nil {
			return err
		}
		item, err := get(c.Request().Context(), name)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, item)
	}
}

// anyGetter adapts a typed get to patchEntity's.
func anyGetter[T any](get func(context.Context, string) (T, error)) func(context.Context, string) (any, error) {
	return func(ctx context.Context, name string) (any, error) { return get(ctx, name) }
}

// patchOwner answers PATCH /api/catalog/owners/<name> with a catalog.OwnerPatch body.
func patchOwner(cat *catalog.Catalog) echo.HandlerFunc {
	return func(c echo.Context) error {
		name, err := nameParam(c)
		if err != nil {
			return err
		}
		var p catalog.OwnerPatch
		if err := c.Bind(&p); err != nil {
			return err
		}
		if err := cat.UpdateOwner(c.Request().Context(), name, p); err != nil {
			return err
		}
		o, err := cat.Owner(c.Request().Context(), name)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, o)
	}
}

// importAsyncAPI answers POST /api/catalog/asyncapi: the body is an AsyncAPI document in YAML
// or JSON, with $refs inside itself only. ?reversePubSub=true reads 2.x publish/subscribe the
// other way. A document over maxBytes gets 413.
func importAsyncAPI(cat *catalog.Catalog, maxBytes int) echo.HandlerFunc {
	return func(c echo.Context) error {
		opts := catalog.ImportOptions{MaxBytes: maxBytes}
		if v := c.QueryParam("reversePubSub"); v != "" {
			reverse, err := strconv.ParseBool(v)
			if err != nil {
				return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("reversePubSub=%q: want true or false", v))
			}
			opts.ReversePubSub = reverse
		}
		// One byte over the limit is enough for the import to refuse it (ErrDocumentTooLarge: 413).
		body, err := io.ReadAll(io.LimitReader(c.Request().Body, int64(maxBytes)+1))
		if err != nil {
			return err
		}
		res, err := cat.ImportDocument(c.Request().Context(), body, opts)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, res)
	}
}

// exportAsyncAPI answers GET /api/catalog/asyncapi?service=…&format=yaml|json: the service (or,
// without service, the whole catalog) as an AsyncAPI 3.0 document, YAML by default.
func exportAsyncAPI(cat *catalog.Catalog) echo.HandlerFunc {
	return func(c echo.Context) error {
		service := c.QueryParam("service")
		if c.QueryParams().Has("service") && service == "" {
			return echo.NewHTTPError(http.StatusBadRequest, "service=: name a service, or leave service out for the whole catalog")
		}
		var (
			out         []byte
			err         error
			contentType string
		)
		switch format := c.QueryParam("format"); format {
		case "", "yaml":
			out, err = cat.Export(c.Request().Context(), service)
			contentType = "application/yaml"
		case "json":
			out, err = cat.ExportJSON(c.Request().Context(), service)
			contentType = echo.MIMEApplicationJSON
		default:
			return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("format=%q: want yaml or json", format))
		}
		if err != nil {
			return err
		}
		return c.Blob(http.StatusOK, contentType, out)
	}
}

// driftResponse is the body of GET /api/catalog/drift.
type driftResponse struct {
	At              time.Time              `json:"at"`
	Since           time.Time              `json:"since"`
	NotObservedDays float64                `json:"notObservedDays"`
	Findings        []catalog.DriftFinding `json:"findings"`
}

// apiDrift answers GET /api/catalog/drift?since=…&notObservedDays=…&kind=…: where the documents
// and the traces disagree. since takes what /api/flows takes (default: notObservedDays ago);
// notObservedDays is a positive number of days (7); kind, repeated or comma-separated, keeps
// those kinds only.
func (s *Server) apiDrift(c echo.Context) error {
	now := s.now()
	q := catalog.DriftQuery{At: now}
	if v := strings.TrimSpace(c.QueryParam("notObservedDays")); v != "" {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || n <= 0 || n > 3650 || math.IsNaN(n) {
			return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("notObservedDays=%q: want a number of days above 0 and at most 3650", v))
		}
		q.NotObservedFor = time.Duration(n * float64(24*time.Hour))
	}
	if q.NotObservedFor == 0 {
		q.NotObservedFor = catalog.DefaultNotObservedFor
	}
	since, err := timeParam(c, "since", now, now.Add(-q.NotObservedFor))
	if err != nil {
		return err
	}
	if since.After(now) {
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("since (%s) must not be in the future", since.Format(time.RFC3339)))
	}
	q.Since = since
	for _, v := range c.QueryParams()["kind"] {
		for k := range strings.SplitSeq(v, ",") {
			if k = strings.TrimSpace(k); k != "" {
				q.Kinds = append(q.Kinds, k)
			}
		}
	}
	findings, err := s.svc.Catalog.Drift(c.Request().Context(), q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, driftResponse{At: now.UTC(), Since: since.UTC(),
		NotObservedDays: q.NotObservedFor.Hours() / 24, Findings: findings})
}
