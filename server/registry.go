package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/eventlens/eventlens/buildinfo"
	"github.com/eventlens/eventlens/schemaregistry"
)

// registryAPI is the Confluent Schema Registry REST surface over the registry service.
type registryAPI struct {
	reg      *schemaregistry.Registry
	byID     *answerCache  // GET /schemas/ids/{id}'s answers
	requests *requestCache // decoded schema request bodies
}

// The content types registry clients send and accept, in Confluent's order of preference.
const (
	contentTypeV1      = "application/vnd.schemaregistry.v1+json"
	contentTypeDefault = "application/vnd.schemaregistry+json"
	contentTypeJSON    = "application/json"
)

// negotiate picks the answer's content type from Accept: the first registry type the client
// names, else the v1 type.
func negotiate(accept string) string {
	for _, t := range []string{contentTypeV1, contentTypeDefault, contentTypeJSON} {
		if strings.Contains(accept, t) {
			return t
		}
	}
	return contentTypeV1
}

// answer writes v as JSON in the content type the client asked for.
func answer(c echo.Context, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.Blob(status, negotiate(c.Request().Header.Get(echo.HeaderAccept)), b)
}

// subjectParam is the subject from the path, percent-decoded (echo routes on the raw path when
// it holds escapes such as %2F, and then leaves the parameter escaped), and normalized as
// Confluent reads qualified names (":.:orders" is "orders", ":.staging" ":.staging:").
func subjectParam(c echo.Context) string {
	p := c.Param("subject")
	if c.Request().URL.RawPath != "" {
		if u, err := url.PathUnescape(p); err == nil {
			p = u
		}
	}
	return schemaregistry.NormalizeSubject(p)
}

// subject is the subject a request under /subjects/{subject} acts on: the one in the path, or
// the alias its config names.
func (a registryAPI) subject(c echo.Context) (string, error) {
	return a.reg.Aliased(c.Request().Context(), subjectParam(c))
}

func boolQuery(c echo.Context, name string) bool {
	if c.Request().URL.RawQuery == "" { // most requests: parsing no query still makes a map
		return false
	}
	v := c.QueryParam(name)
	if v == "" { // skip ParseBool's error, an allocation
		return false
	}
	b, _ := strconv.ParseBool(v)
	return b
}

func intQuery(c echo.Context, name string) int {
	n, _ := strconv.Atoi(c.QueryParam(name))
	return n
}

// bodyError is a request body that is not the JSON the endpoint expects. Confluent (Jackson)
// answers syntax errors with 400 and well-formed JSON of the wrong shape with 422.
func bodyError(err error) error {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return err // the body limit's 413
	}
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return echo.NewHTTPError(http.StatusBadRequest, "Malformed JSON request body: "+err.Error())
	}
	return echo.NewHTTPError(http.StatusUnprocessableEntity, "Unprocessable JSON request body: "+err.Error())
}

func decodeBody(c echo.Context, v any) error {
	return decode(c, v, false)
}

// decodeOptionalBody is decodeBody where an empty body leaves v as it is.
func decodeOptionalBody(c echo.Context, v any) error {
	return decode(c, v, true)
}

func decode(c echo.Context, v any, emptyOK bool) error {
	b, err := readBody(c, nil)
	if err != nil {
		return err
	}
	if len(b) == 0 && emptyOK {
		return nil
	}
	return unmarshalBody(b, v)
}

// readBody reads the request body into buf (a new buffer when nil), grown at once to the size
// the request announces (up to 1 MiB; the body limit has refused larger announcements), and
// returns nil for one that is blank.
func readBody(c echo.Context, buf *bytes.Buffer) ([]byte, error) {
	r := c.Request()
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	buf.Grow(int(min(max(r.ContentLength, 0), 1<<20)) + bytes.MinRead)
	if _, err := buf.ReadFrom(r.Body); err != nil {
		return nil, bodyError(err)
	}
	if len(bytes.TrimSpace(buf.Bytes())) == 0 {
		return nil, nil
	}
	return buf.Bytes(), nil
}

func unmarshalBody(b []byte, v any) error {
	if len(b) == 0 {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, "The request body is empty; send a JSON object")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return bodyError(err)
	}
	return nil
}

// schemaRequest is Confluent's RegisterSchemaRequest.
type schemaRequest struct {
	Schema     string                     `json:"schema"`
	SchemaType string                     `json:"schemaType"`
	References []schemaregistry.Reference `json:"references"`
	Metadata   *schemaregistry.Metadata   `json:"metadata"`
	RuleSet    *schemaregistry.RuleSet    `json:"ruleSet"`
	ID         int                        `json:"id"`
	Version    int                        `json:"version"`
}

// readSchemaRequest decodes the body of a register, lookup or compatibility request, or finds
// it decoded before. The body is read into a pooled buffer, which goes back to the pool unless
// the request cache keeps the bytes.
func (a registryAPI) readSchemaRequest(c echo.Context) (schemaregistry.NewSchema, error) {
	buf := bodyBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	b, err := readBody(c, buf)
	if err != nil {
		return schemaregistry.NewSchema{}, err
	}
	req, ok := a.requests.get(b)
	kept := false
	if !ok {
		if err := unmarshalBody(b, &req); err != nil {
			return schemaregistry.NewSchema{}, err
		}
		kept = a.requests.put(b, req)
	}
	if !kept && buf.Cap() <= 1<<20 {
		bodyBuffers.Put(buf)
	}
	return req.newSchema(), nil
}

// bodyBuffers are buffers for schema request bodies, which are often tens of kilobytes.
var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (req schemaRequest) newSchema() schemaregistry.NewSchema {
	return schemaregistry.NewSchema{
		Schema: req.Schema, SchemaType: req.SchemaType, References: req.References,
		Metadata: req.Metadata, RuleSet: req.RuleSet, ID: req.ID, Version: req.Version,
	}
}

// schemaJSON is Confluent's Schema entity; AVRO, the default, is left out as Confluent does.
type schemaJSON struct {
	Subject    string                     `json:"subject,omitempty"`
	Version    int                        `json:"version,omitempty"`
	ID         int                        `json:"id,omitempty"`
	GUID       string                     `json:"guid,omitempty"`
	SchemaType string                     `json:"schemaType,omitempty"`
	References []schemaregistry.Reference `json:"references,omitempty"`
	Metadata   *schemaregistry.Metadata   `json:"metadata,omitempty"`
	RuleSet    *schemaregistry.RuleSet    `json:"ruleSet,omitempty"`
	Schema     string                     `json:"schema"`
	MaxID      int                        `json:"maxId,omitempty"`
	Timestamp  int64                      `json:"ts,omitempty"`
	Deleted    bool                       `json:"deleted,omitempty"`
}

func toJSON(s schemaregistry.Schema) schemaJSON {
	typ := s.SchemaType
	if typ == "AVRO" {
		typ = ""
	}
	return schemaJSON{
		Subject: s.Subject, Version: s.Version, ID: s.ID, GUID: s.GUID, SchemaType: typ,
		References: s.References, Metadata: s.Metadata, RuleSet: s.RuleSet, Schema: s.Schema,
		Timestamp: s.Timestamp, Deleted: s.Deleted,
	}
}

// byID is GET /schemas/ids/{id}: the schema text alone, as Confluent's SchemaString.
func byID(s schemaregistry.Schema) schemaJSON {
	j := toJSON(s)
	j.ID, j.GUID, j.Timestamp, j.Deleted = 0, "", 0, false
	return j
}

func idParam(c echo.Context) (int, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 32)
	if err != nil || id < 1 {
		return 0, &schemaregistry.Error{Code: schemaregistry.CodeSchemaNotFound, Message: "Schema " + c.Param("id") + " not found: ids are whole numbers from 1"}
	}
	return int(id), nil
}

func versionParam(c echo.Context) (int, error) {
	return schemaregistry.ParseVersion(c.Param("version"))
}

func (a registryAPI) root(c echo.Context) error { return answer(c, http.StatusOK, struct{}{}) }

func (a registryAPI) types(c echo.Context) error { return answer(c, http.StatusOK, a.reg.Types()) }

// filter is a listing's query; a subjectPrefix that is absent is all, as Confluent's
// /subjects takes it (":*:", every context); an empty one the default context's subjects.
func filter(c echo.Context, all bool) schemaregistry.SubjectFilter {
	prefix := c.QueryParam("subjectPrefix")
	if prefix == "" && (!all || c.QueryParams().Has("subjectPrefix")) {
		prefix = ":.:"
	}
	return schemaregistry.SubjectFilter{
		Prefix: prefix, Deleted: boolQuery(c, "deleted"), DeletedOnly: boolQuery(c, "deletedOnly"),
		Offset: intQuery(c, "offset"), Limit: intQuery(c, "limit"),
	}
}

// listSchemas is GET /schemas: without subjectPrefix the default context's, as Confluent's.
func (a registryAPI) listSchemas(c echo.Context) error {
	list, err := a.reg.Schemas(c.Request().Context(), filter(c, false), boolQuery(c, "latestOnly"))
	if err != nil {
		return err
	}
	out := make([]schemaJSON, len(list))
	for i, s := range list {
		out[i] = toJSON(s)
	}
	return answer(c, http.StatusOK, out)
}

func (a registryAPI) schemaByID(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	s, err := a.reg.SchemaFor(c.Request().Context(), id, c.QueryParam("subject"))
	if err != nil {
		return err
	}
	if boolQuery(c, "fetchMaxId") {
		out := byID(s)
		if out.MaxID, err = a.reg.MaxID(c.Request().Context(), c.QueryParam("subject")); err != nil {
			return err
		}
		return answer(c, http.StatusOK, out)
	}
	body, ok := a.byID.get(id, s.GUID) // by id and guid: in two contexts one id is two schemas
	if !ok {
		if body, err = json.Marshal(byID(s)); err != nil {
			return err
		}
		a.byID.put(id, s.GUID, body)
	}
	return c.Blob(http.StatusOK, negotiate(c.Request().Header.Get(echo.HeaderAccept)), body)
}

func (a registryAPI) schemaTextByID(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	s, err := a.reg.SchemaFor(c.Request().Context(), id, c.QueryParam("subject"))
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, negotiate(c.Request().Header.Get(echo.HeaderAccept)), []byte(s.Schema))
}

func (a registryAPI) subjectsByID(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	subjects, err := a.reg.SubjectsForID(c.Request().Context(), id, c.QueryParam("subject"), boolQuery(c, "deleted"))
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, schemaregistry.Page(subjects, intQuery(c, "offset"), intQuery(c, "limit")))
}

func (a registryAPI) versionsByID(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	versions, err := a.reg.VersionsForID(c.Request().Context(), id, c.QueryParam("subject"), boolQuery(c, "deleted"))
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, schemaregistry.Page(versions, intQuery(c, "offset"), intQuery(c, "limit")))
}

func (a registryAPI) schemaByGUID(c echo.Context) error {
	s, err := a.reg.SchemaByGUID(c.Request().Context(), c.Param("guid"))
	if err != nil {
		return err
	}
	out := byID(s)
	out.GUID = s.GUID
	return answer(c, http.StatusOK, out)
}

// idsByGUID answers the id a GUID has in each context that holds it.
func (a registryAPI) idsByGUID(c echo.Context) error {
	ids, err := a.reg.IDsByGUID(c.Request().Context(), c.Param("guid"))
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, ids)
}

// contexts is GET /contexts: the default context, then the others, sorted.
func (a registryAPI) contexts(c echo.Context) error {
	out, err := a.reg.Contexts(c.Request().Context(), schemaregistry.ContextFilter{
		Prefix: c.QueryParam("contextPrefix"), Offset: intQuery(c, "offset"), Limit: intQuery(c, "limit")})
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, out)
}

// deleteContext is DELETE /contexts/{context}: 204, or 42211 while it holds subjects.
func (a registryAPI) deleteContext(c echo.Context) error {
	name := c.Param("context")
	if c.Request().URL.RawPath != "" {
		if u, err := url.PathUnescape(name); err == nil {
			name = u
		}
	}
	if err := a.reg.DeleteContext(c.Request().Context(), name); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// clusterID is what Confluent answers for its Kafka and registry clusters; eventlens stands
// alone, so it names no Kafka cluster.
func (a registryAPI) clusterID(c echo.Context) error {
	return answer(c, http.StatusOK, map[string]any{"scope": map[string]any{
		"path": []string{}, "clusters": map[string]string{"kafka-cluster": "", "schema-registry-cluster": "eventlens"}}})
}

func (a registryAPI) serverVersion(c echo.Context) error {
	return answer(c, http.StatusOK, map[string]string{"version": buildinfo.Version(), "commitId": buildinfo.Commit()})
}

// deployment says what kind of registry this is; clients tell Confluent Cloud apart by it.
func (a registryAPI) deployment(c echo.Context) error {
	return answer(c, http.StatusOK, map[string][]string{"attributes": {"opensource"}})
}

// latestWithMetadata answers the newest version whose metadata properties hold each key=value
// pair given as repeated key and value parameters.
func (a registryAPI) latestWithMetadata(c echo.Context) error {
	subject, err := a.subject(c)
	if err != nil {
		return err
	}
	keys, values := c.QueryParams()["key"], c.QueryParams()["value"]
	if len(keys) != len(values) {
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("%d metadata keys but %d values: give one value per key", len(keys), len(values)))
	}
	props := map[string]string{}
	for i, k := range keys {
		props[k] = values[i]
	}
	s, err := a.reg.LatestWithMetadata(c.Request().Context(), subject, props, boolQuery(c, "deleted"))
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, toJSON(s))
}

func (a registryAPI) subjects(c echo.Context) error {
	list, err := a.reg.Subjects(c.Request().Context(), filter(c, true))
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, list)
}

func (a registryAPI) lookup(c echo.Context) error {
	subject, err := a.subject(c)
	if err != nil {
		return err
	}
	in, err := a.readSchemaRequest(c)
	if err != nil {
		return err
	}
	s, err := a.reg.Lookup(c.Request().Context(), subject, in, boolQuery(c, "normalize"), boolQuery(c, "deleted"))
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, toJSON(s))
}

func (a registryAPI) deleteSubject(c echo.Context) error {
	subject, err := a.subject(c)
	if err != nil {
		return err
	}
	versions, err := a.reg.DeleteSubject(c.Request().Context(), subject, boolQuery(c, "permanent"))
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, versions)
}

func (a registryAPI) versions(c echo.Context) error {
	subject, err := a.subject(c)
	if err != nil {
		return err
	}
	versions, err := a.reg.Versions(c.Request().Context(), subject, filter(c, true))
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, versions)
}

func (a registryAPI) register(c echo.Context) error {
	subject, err := a.subject(c)
	if err != nil {
		return err
	}
	in, err := a.readSchemaRequest(c)
	if err != nil {
		return err
	}
	s, err := a.reg.Register(c.Request().Context(), subject, in, schemaregistry.RegisterOptions{
		Normalize: boolQuery(c, "normalize"), Force: boolQuery(c, "force"),
	})
	if err != nil {
		return err
	}
	out := toJSON(s)
	out.Subject, out.Timestamp = "", 0
	return answer(c, http.StatusOK, out)
}

func (a registryAPI) version(c echo.Context) error {
	subject, err := a.subject(c)
	if err != nil {
		return err
	}
	v, err := versionParam(c)
	if err != nil {
		return err
	}
	s, err := a.reg.Version(c.Request().Context(), subject, v, boolQuery(c, "deleted"))
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, toJSON(s))
}

func (a registryAPI) versionText(c echo.Context) error {
	subject, err := a.subject(c)
	if err != nil {
		return err
	}
	v, err := versionParam(c)
	if err != nil {
		return err
	}
	s, err := a.reg.Version(c.Request().Context(), subject, v, boolQuery(c, "deleted"))
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, negotiate(c.Request().Header.Get(echo.HeaderAccept)), []byte(s.Schema))
}

func (a registryAPI) referencedBy(c echo.Context) error {
	subject, err := a.subject(c)
	if err != nil {
		return err
	}
	v, err := versionParam(c)
	if err != nil {
		return err
	}
	ids, err := a.reg.ReferencedBy(c.Request().Context(), subject, v)
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, ids)
}

func (a registryAPI) deleteVersion(c echo.Context) error {
	subject, err := a.subject(c)
	if err != nil {
		return err
	}
	v, err := versionParam(c)
	if err != nil {
		return err
	}
	deleted, err := a.reg.DeleteVersion(c.Request().Context(), subject, v, boolQuery(c, "permanent"))
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, deleted)
}

type compatibilityJSON struct {
	IsCompatible bool     `json:"is_compatible"`
	Messages     []string `json:"messages,omitempty"`
}

// compatibility is POST /compatibility/subjects/{s}/versions[/{v}]: against one version, or
// against all live versions when the route has no version.
func (a registryAPI) compatibility(c echo.Context) error {
	subject, err := a.subject(c)
	if err != nil {
		return err
	}
	all := c.Param("version") == ""
	v := 0
	if !all {
		var err error
		if v, err = versionParam(c); err != nil {
			return err
		}
	}
	in, err := a.readSchemaRequest(c)
	if err != nil {
		return err
	}
	verbose := boolQuery(c, "verbose")
	msgs, err := a.reg.CheckCompatibility(c.Request().Context(), subject, v, all, in, schemaregistry.CheckOptions{Normalize: boolQuery(c, "normalize")})
	if err != nil {
		if !verbose || schemaregistry.ErrorCode(err) != schemaregistry.CodeInvalidSchema {
			return err
		}
		msgs = []string{err.Error()}
	}
	out := compatibilityJSON{IsCompatible: len(msgs) == 0}
	if verbose {
		out.Messages = append([]string{}, msgs...)
	}
	return answer(c, http.StatusOK, out)
}

// configJSON is Confluent's Config entity, as GET /config answers it.
type configJSON struct {
	CompatibilityLevel  string `json:"compatibilityLevel,omitempty"`
	CompatibilityPolicy string `json:"compatibilityPolicy,omitempty"`
	Normalize           *bool  `json:"normalize,omitempty"`
	schemaregistry.Contract
}

func toConfigJSON(cfg schemaregistry.Config) configJSON {
	return configJSON{CompatibilityLevel: cfg.CompatibilityLevel, CompatibilityPolicy: cfg.CompatibilityPolicy, Normalize: cfg.Normalize, Contract: cfg.Contract}
}

// configUpdateJSON is Confluent's ConfigUpdateRequest: PUT /config's body, where a member left
// out keeps its value and null clears it, and its answer, the config as it now is.
type configUpdateJSON struct {
	Compatibility       schemaregistry.Setting[string]                  `json:"compatibility"`
	CompatibilityPolicy schemaregistry.Setting[string]                  `json:"compatibilityPolicy"`
	Normalize           schemaregistry.Setting[bool]                    `json:"normalize"`
	Alias               schemaregistry.Setting[string]                  `json:"alias"`
	ValidateFields      schemaregistry.Setting[bool]                    `json:"validateFields"`
	CompatibilityGroup  schemaregistry.Setting[string]                  `json:"compatibilityGroup"`
	DefaultMetadata     schemaregistry.Setting[schemaregistry.Metadata] `json:"defaultMetadata"`
	OverrideMetadata    schemaregistry.Setting[schemaregistry.Metadata] `json:"overrideMetadata"`
	DefaultRuleSet      schemaregistry.Setting[schemaregistry.RuleSet]  `json:"defaultRuleSet"`
	OverrideRuleSet     schemaregistry.Setting[schemaregistry.RuleSet]  `json:"overrideRuleSet"`
}

// configAnswerJSON is a config in ConfigUpdateRequest's words (compatibility, not
// compatibilityLevel), as PUT /config answers.
type configAnswerJSON struct {
	Compatibility       string `json:"compatibility,omitempty"`
	CompatibilityPolicy string `json:"compatibilityPolicy,omitempty"`
	Normalize           *bool  `json:"normalize,omitempty"`
	schemaregistry.Contract
}

func (a registryAPI) getConfig(c echo.Context) error {
	var cfg schemaregistry.Config
	var err error
	if subject := subjectParam(c); subject != "" {
		cfg, err = a.reg.SubjectConfig(c.Request().Context(), subject, boolQuery(c, "defaultToGlobal"))
	} else {
		cfg, err = a.reg.GlobalConfig(c.Request().Context())
	}
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, toConfigJSON(cfg))
}

// putConfig is PUT /config[/{subject}]. An empty body changes nothing and answers the config
// as it is.
func (a registryAPI) putConfig(c echo.Context) error {
	var req configUpdateJSON
	if err := decodeOptionalBody(c, &req); err != nil {
		return err
	}
	cfg, err := a.reg.SetConfig(c.Request().Context(), subjectParam(c), schemaregistry.ConfigUpdate{
		Compatibility: req.Compatibility, CompatibilityPolicy: req.CompatibilityPolicy, Normalize: req.Normalize,
		Alias: req.Alias, ValidateFields: req.ValidateFields, CompatibilityGroup: req.CompatibilityGroup,
		DefaultMetadata: req.DefaultMetadata, OverrideMetadata: req.OverrideMetadata,
		DefaultRuleSet: req.DefaultRuleSet, OverrideRuleSet: req.OverrideRuleSet,
	})
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, configAnswerJSON{Compatibility: cfg.CompatibilityLevel, CompatibilityPolicy: cfg.CompatibilityPolicy, Normalize: cfg.Normalize, Contract: cfg.Contract})
}

func (a registryAPI) deleteConfig(c echo.Context) error {
	old, err := a.reg.DeleteConfig(c.Request().Context(), subjectParam(c))
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, toConfigJSON(old))
}

type modeJSON struct {
	Mode string `json:"mode"`
}

func (a registryAPI) getMode(c echo.Context) error {
	var mode string
	var err error
	if subject := subjectParam(c); subject != "" {
		mode, err = a.reg.SubjectMode(c.Request().Context(), subject, boolQuery(c, "defaultToGlobal"))
	} else {
		mode, err = a.reg.GlobalMode(c.Request().Context())
	}
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, modeJSON{mode})
}

func (a registryAPI) putMode(c echo.Context) error {
	var req modeJSON
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	mode, err := a.reg.SetMode(c.Request().Context(), subjectParam(c), req.Mode, boolQuery(c, "force"))
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, modeJSON{mode})
}

func (a registryAPI) deleteMode(c echo.Context) error {
	old, err := a.reg.DeleteMode(c.Request().Context(), subjectParam(c))
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, modeJSON{old})
}

// pageOrAPI sends browsers (Accept with text/html) to the console page and everything else to
// the registry API: GET /schemas is both.
func pageOrAPI(page, api echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if strings.Contains(c.Request().Header.Get(echo.HeaderAccept), "text/html") {
			return page(c)
		}
		return api(c)
	}
}
