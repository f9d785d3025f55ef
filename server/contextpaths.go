package server

import (
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/eventlens/eventlens/schemaregistry"
)

// contextPaths serves the registry API under /contexts/{context}/… as Confluent's ContextFilter
// does, so a client whose base URL is http://host/contexts/.staging (franz-go's sr.InContext)
// works in that context unchanged: the subject after /subjects/, /config/ and /mode/ is
// qualified with the context (unless it names one), /config and /mode alone are the context's
// own, /schemas/ids/… looks ids up in the context (?subject=), and /subjects and /schemas list
// it (?subjectPrefix=). /contexts/{context} alone is DELETE /contexts/{context}.
func contextPaths(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := c.Request().URL
		if strings.HasPrefix(u.Path, "/contexts/") {
			if err := inContext(u); err != nil {
				return err
			}
		}
		return next(c)
	}
}

// inContext rewrites u, a path under /contexts/{context}/, to the path it stands for.
func inContext(u *url.URL) error {
	segs := strings.Split(strings.TrimPrefix(u.EscapedPath(), "/contexts/"), "/")
	rest := segs[1:]
	if len(rest) == 0 || rest[0] == "" {
		return nil // /contexts/{context}: the context itself
	}
	raw, err := url.PathUnescape(segs[0])
	if err != nil {
		return nil // not a path echo routes either: its 404
	}
	name, err := schemaregistry.ParseContext(raw)
	if err != nil {
		return err
	}
	prefix := ":" + name + ":"
	if name == schemaregistry.DefaultContext {
		prefix = ""
	}
	qualify := func(seg string) string {
		s, err := url.PathUnescape(seg)
		if err != nil || namesContext(s) {
			return seg
		}
		return url.PathEscape(prefix + s)
	}
	root := rest[0] == "config" || rest[0] == "mode"
	for i := range rest {
		if i > 0 && (rest[i-1] == "subjects" || (root && i == 1)) {
			rest[i] = qualify(rest[i])
		}
	}
	if root && (len(rest) == 1 || rest[1] == "") && prefix != "" {
		rest = append(rest[:1], url.PathEscape(prefix))
	}

	q := u.Query()
	switch path := strings.TrimSuffix(strings.Join(rest, "/"), "/"); {
	case strings.HasPrefix(path, "schemas/ids"):
		if s := q.Get("subject"); !namesContext(s) {
			q.Set("subject", prefix+s)
		}
	case path == "schemas" || path == "subjects":
		prefixes := q["subjectPrefix"]
		if len(prefixes) == 0 {
			prefixes = []string{""}
		}
		for i, p := range prefixes {
			if !namesContext(p) {
				prefixes[i] = prefix + p
			}
		}
		q["subjectPrefix"] = prefixes
	}
	escaped := "/" + strings.Join(rest, "/")
	path, err := url.PathUnescape(escaped)
	if err != nil {
		return nil
	}
	u.Path, u.RawPath, u.RawQuery = path, escaped, q.Encode()
	if u.EscapedPath() != escaped {
		u.RawPath = "" // the plain path says it all
	}
	return nil
}

// namesContext reports whether a subject or prefix names its context itself (":.other:x",
// ":.:x" for the default one, or the ":*:" wildcard), and so is left as the client wrote it.
func namesContext(s string) bool {
	return strings.HasPrefix(s, ":.") || strings.HasPrefix(s, schemaregistry.ContextWildcard)
}
