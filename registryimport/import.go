package registryimport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/eventlens/eventlens/registryclient"
	"github.com/eventlens/eventlens/schemaregistry"
)

// Options say what to copy, from where to where.
type Options struct {
	// Source is the registry copied from, only read; Target the eventlens copied into. An answer
	// longer than a client reads refuses its item.
	Source, Target *registryclient.Client
	// SubjectPrefix copies only the subjects whose names start with it, and the versions of other
	// subjects that theirs reference. The global config and mode are copied only without it.
	SubjectPrefix string
	// Progress, when set, is called as subjects are listed and after each version.
	Progress func(Progress)
}

// Progress is how far a copy has come.
type Progress struct {
	Listing         bool // still listing the source's subjects and versions
	SubjectsDone    int
	Subjects        int
	VersionsDone    int // versions copied, found in the target already, or refused
	Versions        int
	Copied, Refused int
}

// Report says what a copy did.
type Report struct {
	Subjects    int       `json:"subjects"`    // subjects looked at
	Copied      int       `json:"copied"`      // versions registered in the target
	Present     int       `json:"present"`     // versions the target held already (from an earlier run)
	SoftDeleted int       `json:"softDeleted"` // copied versions soft-deleted in the target, as they are in the source
	Configs     int       `json:"configs"`     // configs set, subjects' and global
	Modes       int       `json:"modes"`       // modes set, subjects' and global
	Refused     []Refusal `json:"refused"`
}

// Refusal is an item not copied, and why.
type Refusal struct {
	Item   string `json:"item"` // `subject "orders-value" version 3`, `config of "orders-value"`…
	Reason string `json:"reason"`
}

// Import copies the source registry into the target eventlens. It returns an error, with what it
// did so far, when it cannot go on: a registry unreachable or failing (5xx) after retries, a
// subject list that is not one, the context ending. Running it again resumes.
func Import(ctx context.Context, o Options) (Report, error) {
	im := &importer{src: source{o.Source}, dst: target{o.Target}, opt: o, subjects: map[string]*subjectState{}, versions: map[versionKey]*versionState{}, ids: map[idKey]*idState{}}
	err := im.run(ctx)
	return im.report, err
}

type versionKey struct {
	subject string
	version int
}

// subjectState is what the copy knows of one subject.
type subjectState struct {
	all, live map[int]bool // the source's versions, with soft-deleted ones and without
	order     []int        // all, ascending
	dstAll    map[int]bool // the target's, read when the subject is first written
	dstLive   map[int]bool
	dstRead   bool
	importing bool // its mode is IMPORT in the target, set by this run
	finished  bool
	refused   bool // the source's listing of it was refused: nothing of it is copied
}

type versionState struct {
	done, active bool
	refused      string
}

// idKey is a schema id in a context (".", ".staging"): each context has ids of its own.
type idKey struct {
	context string
	id      int
}

// idState is the source's schema under one id, as /schemas/ids/{id} answers it.
type idState struct {
	schema  *wireSchema
	refused string
}

// wireSchema is a schema as the registry API carries it. Metadata and rule sets are passed on
// unread, so whatever the source's data contracts hold reaches the target.
type wireSchema struct {
	Subject    string                     `json:"subject,omitempty"`
	Version    int                        `json:"version,omitempty"`
	ID         int                        `json:"id,omitempty"`
	SchemaType string                     `json:"schemaType,omitempty"`
	Schema     string                     `json:"schema"`
	References []schemaregistry.Reference `json:"references,omitempty"`
	Metadata   json.RawMessage            `json:"metadata,omitempty"`
	RuleSet    json.RawMessage            `json:"ruleSet,omitempty"`
	Deleted    bool                       `json:"deleted,omitempty"`
}

type importer struct {
	src      source
	dst      target
	opt      Options
	report   Report
	progress Progress
	subjects map[string]*subjectState
	names    []string // subjects to copy, in order
	versions map[versionKey]*versionState
	ids      map[idKey]*idState
}

func (im *importer) run(ctx context.Context) error {
	if err := im.list(ctx); err != nil {
		return err
	}
	im.progress.Listing = false
	for _, name := range im.names {
		st := im.subjects[name]
		if !st.refused {
			for _, v := range st.order {
				if _, err := im.ensure(ctx, name, v); err != nil {
					return err
				}
			}
		}
		im.progress.SubjectsDone++
		im.tell()
	}
	// Subjects outside the prefix that references pulled in, then every subject's settings,
	// now that their versions are written (a subject's READONLY would refuse them).
	for _, name := range im.sortedSubjects() {
		if err := im.finish(ctx, name); err != nil {
			return err
		}
	}
	if im.opt.SubjectPrefix == "" {
		return im.copyGlobal(ctx)
	}
	return nil
}

func (im *importer) tell() {
	if im.opt.Progress != nil {
		im.progress.Copied, im.progress.Refused = im.report.Copied, len(im.report.Refused)
		im.opt.Progress(im.progress)
	}
}

func (im *importer) refuse(item, format string, args ...any) {
	im.report.Refused = append(im.report.Refused, Refusal{Item: item, Reason: fmt.Sprintf(format, args...)})
}

// refusable tells an error that refuses one item (the registry answered it with a client error,
// or with something malformed or too large) from one that stops the copy.
func refusable(err error) bool {
	if status := registryclient.Status(err); status != 0 {
		return status/100 == 4 && status != http.StatusTooManyRequests && status != http.StatusUnauthorized && status != http.StatusForbidden
	}
	var me registryclient.MalformedError
	return errors.As(err, &me) || errors.Is(err, registryclient.ErrOversized)
}

func notFound(err error) bool {
	return registryclient.Status(err) == http.StatusNotFound
}

// list reads the source's subjects and each one's versions.
func (im *importer) list(ctx context.Context) error {
	im.progress.Listing = true
	q := url.Values{"deleted": {"true"}}
	if im.opt.SubjectPrefix != "" {
		q.Set("subjectPrefix", im.opt.SubjectPrefix)
	}
	var names []string
	if err := im.src.get(ctx, "/subjects?"+q.Encode(), &names); err != nil {
		return fmt.Errorf("source's subjects: %w", err)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	for _, name := range names {
		if !strings.HasPrefix(name, im.opt.SubjectPrefix) {
			continue // a source that ignores subjectPrefix
		}
		if err := checkSubject(name); err != nil {
			im.refuse(fmt.Sprintf("subject %q", name), "%v", err)
			continue
		}
		im.names = append(im.names, name)
	}
	im.progress.Subjects = len(im.names)
	for _, name := range im.names {
		if _, err := im.subject(ctx, name); err != nil {
			return err
		}
		im.progress.SubjectsDone++
		im.tell()
	}
	im.progress.SubjectsDone = 0
	return nil
}

// checkSubject refuses names no registry could hold, before they reach a URL.
func checkSubject(name string) error {
	switch {
	case name == "" || !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0:
		return errors.New("the source listed a subject name that is empty, not UTF-8 or holds control characters")
	case len(name) > 10000:
		return fmt.Errorf("the source listed a subject name of %d bytes", len(name))
	}
	return nil
}

// subject returns what the source says of subject's versions, reading it the first time.
func (im *importer) subject(ctx context.Context, name string) (*subjectState, error) {
	if st, ok := im.subjects[name]; ok {
		return st, nil
	}
	st := &subjectState{}
	im.subjects[name] = st
	item := fmt.Sprintf("subject %q", name)
	var all, live []int
	err := im.src.get(ctx, registryclient.SubjectPath("/subjects", name, "/versions?deleted=true"), &all)
	if err == nil {
		err = im.src.get(ctx, registryclient.SubjectPath("/subjects", name, "/versions"), &live)
		if notFound(err) { // every version soft-deleted
			live, err = nil, nil
		}
	}
	if err != nil {
		if !refusable(err) {
			return nil, fmt.Errorf("source's versions of %q: %w", name, err)
		}
		st.refused = true
		im.refuse(item, "the source's list of its versions: %v", err)
		return st, nil
	}
	st.all, st.live = map[int]bool{}, map[int]bool{}
	for _, v := range all {
		if v < 1 || v > math.MaxInt32 || st.all[v] {
			st.refused = true
			im.refuse(item, "the source listed version %d, which is not a version or listed twice", v)
			return st, nil
		}
		st.all[v] = true
	}
	for _, v := range live {
		if !st.all[v] {
			st.refused = true
			im.refuse(item, "the source lists version %d as live but not among all its versions", v)
			return st, nil
		}
		st.live[v] = true
	}
	st.order = slices.Sorted(func(yield func(int) bool) {
		for v := range st.all {
			if !yield(v) {
				return
			}
		}
	})
	im.progress.Versions += len(st.order)
	return st, nil
}

// ensure makes the target hold subject's version as the source does, after the versions it
// references. It answers why not when it cannot (a refusal, reported once), or an error that
// stops the copy.
func (im *importer) ensure(ctx context.Context, subject string, version int) (refused string, err error) {
	key := versionKey{subject, version}
	vs, ok := im.versions[key]
	switch {
	case ok && vs.active:
		return fmt.Sprintf("subject %q version %d references itself through other schemas", subject, version), nil
	case ok:
		return vs.refused, nil
	}
	vs = &versionState{active: true}
	im.versions[key] = vs
	refused, err = im.copy(ctx, subject, version)
	vs.active, vs.done, vs.refused = false, true, refused
	if err != nil {
		return "", err
	}
	if refused != "" {
		im.refuse(fmt.Sprintf("subject %q version %d", subject, version), "%s", refused)
	}
	im.progress.VersionsDone++
	im.tell()
	return refused, nil
}

func (im *importer) copy(ctx context.Context, subject string, version int) (string, error) {
	st, err := im.subject(ctx, subject)
	if err != nil {
		return "", err
	}
	if st.refused {
		return "its subject was refused", nil
	}
	if !st.all[version] {
		return "the source has no such version", nil
	}
	sv, why, err := im.sourceVersion(ctx, subject, version)
	if err != nil || why != "" {
		return why, err
	}
	for _, ref := range sv.References {
		why, err := im.ensure(ctx, schemaregistry.ReferencedSubject(subject, ref.Subject), ref.Version)
		if err != nil {
			return "", err
		}
		if why != "" {
			return fmt.Sprintf("its reference %q (subject %q version %d) was not copied: %s", ref.Name, ref.Subject, ref.Version, why), nil
		}
	}
	return im.write(ctx, subject, st, sv)
}

// sourceVersion reads one version from the source and checks it against the schema its id
// names there.
func (im *importer) sourceVersion(ctx context.Context, subject string, version int) (*wireSchema, string, error) {
	var sv wireSchema
	err := im.src.get(ctx, registryclient.SubjectPath("/subjects", subject, "/versions/"+strconv.Itoa(version)+"?deleted=true"), &sv)
	if err != nil {
		if refusable(err) {
			return nil, fmt.Sprintf("the source's answer: %v", err), nil
		}
		return nil, "", fmt.Errorf("source's %q version %d: %w", subject, version, err)
	}
	if why := checkVersion(&sv, subject, version); why != "" {
		return nil, why, nil
	}
	space, _ := schemaregistry.SplitSubject(subject)
	ids, ok := im.ids[idKey{space, sv.ID}]
	if !ok {
		ids = &idState{}
		im.ids[idKey{space, sv.ID}] = ids
		var s wireSchema
		path := "/schemas/ids/" + strconv.Itoa(sv.ID)
		if space != schemaregistry.DefaultContext {
			path += "?subject=" + url.QueryEscape(":"+space+":") // the id in the subject's context
		}
		err := im.src.get(ctx, path, &s)
		switch {
		case err != nil && !refusable(err):
			return nil, "", fmt.Errorf("source's schema %d: %w", sv.ID, err)
		case err != nil:
			ids.refused = fmt.Sprintf("the source's schema %d: %v", sv.ID, err)
		case s.Schema == "":
			ids.refused = fmt.Sprintf("the source's schema %d has no text", sv.ID)
		default:
			ids.schema = &s
		}
	}
	if ids.refused != "" {
		return nil, ids.refused, nil
	}
	if !sameSchema(ids.schema, &sv) {
		return nil, fmt.Sprintf("the source answered this version with id %d, but id %d is another schema there", sv.ID, sv.ID), nil
	}
	return &sv, "", nil
}

// checkVersion refuses a version answer that is not the version asked for or not a schema.
func checkVersion(sv *wireSchema, subject string, version int) string {
	switch {
	case sv.Subject != subject || sv.Version != version:
		return fmt.Sprintf("the source answered it with subject %q version %d", sv.Subject, sv.Version)
	case sv.ID < 1 || sv.ID > math.MaxInt32:
		return fmt.Sprintf("the source gave it schema id %d, which is not an id", sv.ID)
	case sv.Schema == "":
		return "the source's answer has no schema text"
	}
	switch sv.SchemaType {
	case "", "AVRO", "JSON", "PROTOBUF":
	default:
		return fmt.Sprintf("the source gave it schema type %q", sv.SchemaType)
	}
	for _, r := range sv.References {
		if r.Name == "" || checkSubject(r.Subject) != nil || r.Version < 1 {
			return fmt.Sprintf("the source gave it a reference that names no subject version: %+v", r)
		}
	}
	return ""
}

// sameSchema reports whether two answers carry one schema.
func sameSchema(a, b *wireSchema) bool {
	typ := func(t string) string {
		if t == "" {
			return "AVRO"
		}
		return t
	}
	return a.Schema == b.Schema && typ(a.SchemaType) == typ(b.SchemaType) && slices.Equal(a.References, b.References)
}

// write registers sv in the target unless it is there, then soft-deletes it as in the source.
func (im *importer) write(ctx context.Context, subject string, st *subjectState, sv *wireSchema) (string, error) {
	if err := im.readTarget(ctx, subject, st); err != nil {
		return "", err
	}
	v := sv.Version
	if st.dstAll[v] {
		var have wireSchema
		err := im.dst.get(ctx, registryclient.SubjectPath("/subjects", subject, "/versions/"+strconv.Itoa(v)+"?deleted=true"), &have)
		if err != nil {
			return "", fmt.Errorf("target's %q version %d: %w", subject, v, err)
		}
		same, err := im.targetHolds(ctx, subject, &have, sv)
		if err != nil {
			return "", err
		}
		if !same {
			return fmt.Sprintf("the target holds this version already, as another schema (id %d; the source's is %d)", have.ID, sv.ID), nil
		}
		im.report.Present++
	} else {
		if err := im.importMode(ctx, subject, st); err != nil {
			return "", err
		}
		body := *sv
		body.Subject, body.Deleted = "", false
		var got struct {
			ID int `json:"id"`
		}
		err := im.dst.send(ctx, http.MethodPost, registryclient.SubjectPath("/subjects", subject, "/versions"), body, &got)
		if err != nil {
			if refusable(err) {
				return fmt.Sprintf("the target refused it: %v", err), nil
			}
			return "", fmt.Errorf("register %q version %d in the target: %w", subject, v, err)
		}
		if got.ID != sv.ID {
			return fmt.Sprintf("the target registered it as schema id %d, not %d", got.ID, sv.ID), nil
		}
		st.dstAll[v], st.dstLive[v] = true, true
		im.report.Copied++
	}
	switch {
	case st.live[v] && !st.dstLive[v]:
		return "it is live in the source but soft-deleted in the target", nil
	case !st.live[v] && st.dstLive[v]:
		if err := im.importMode(ctx, subject, st); err != nil {
			return "", err
		}
		err := im.dst.send(ctx, http.MethodDelete, registryclient.SubjectPath("/subjects", subject, "/versions/"+strconv.Itoa(v)), nil, nil)
		if err != nil {
			if refusable(err) {
				return fmt.Sprintf("copied, but the target refused to soft-delete it as the source has: %v", err), nil
			}
			return "", fmt.Errorf("soft-delete %q version %d in the target: %w", subject, v, err)
		}
		delete(st.dstLive, v)
		im.report.SoftDeleted++
	}
	return "", nil
}

// targetHolds reports whether have, the target's version, is sv: the same id and the same schema
// (its text as the source has it, or, a source's text not being always canonical as eventlens
// writes it, one the target's lookup finds as that version).
func (im *importer) targetHolds(ctx context.Context, subject string, have, sv *wireSchema) (bool, error) {
	if have.ID != sv.ID {
		return false, nil
	}
	if sameSchema(have, sv) {
		return true, nil
	}
	var found wireSchema
	err := im.dst.send(ctx, http.MethodPost, registryclient.SubjectPath("/subjects", subject, "?deleted=true"),
		wireSchema{SchemaType: sv.SchemaType, Schema: sv.Schema, References: sv.References}, &found)
	switch {
	case err == nil:
		return found.Version == sv.Version && found.ID == sv.ID, nil
	case refusable(err):
		return false, nil
	}
	return false, fmt.Errorf("look up %q version %d in the target: %w", subject, sv.Version, err)
}

// readTarget reads which versions of subject the target holds, once.
func (im *importer) readTarget(ctx context.Context, subject string, st *subjectState) error {
	if st.dstRead {
		return nil
	}
	st.dstAll, st.dstLive = map[int]bool{}, map[int]bool{}
	for _, q := range []struct {
		path string
		into map[int]bool
	}{{"/versions?deleted=true", st.dstAll}, {"/versions", st.dstLive}} {
		var vs []int
		err := im.dst.get(ctx, registryclient.SubjectPath("/subjects", subject, q.path), &vs)
		if err != nil && !notFound(err) {
			return fmt.Errorf("target's versions of %q: %w", subject, err)
		}
		for _, v := range vs {
			q.into[v] = true
		}
	}
	st.dstRead = true
	return nil
}

// importMode puts subject in IMPORT mode in the target before this run writes to it (force: it
// may hold versions from an earlier run).
func (im *importer) importMode(ctx context.Context, subject string, st *subjectState) error {
	if st.importing {
		return nil
	}
	if err := im.dst.send(ctx, http.MethodPut, registryclient.SubjectPath("/mode", subject, "?force=true"), map[string]string{"mode": "IMPORT"}, nil); err != nil {
		return fmt.Errorf("set %q to IMPORT mode in the target: %w", subject, err)
	}
	st.importing = true
	return nil
}

// finish copies subject's own config and mode (or, if it has no mode of its own, takes away
// the IMPORT mode this run gave it).
func (im *importer) finish(ctx context.Context, subject string) error {
	st := im.subjects[subject]
	if st.finished || st.refused {
		return nil
	}
	st.finished = true
	if err := im.copyConfig(ctx, subject); err != nil {
		return err
	}
	var mode struct {
		Mode string `json:"mode"`
	}
	err := im.src.get(ctx, registryclient.SubjectPath("/mode", subject, "?defaultToGlobal=false"), &mode)
	switch {
	case notFound(err) || (err == nil && mode.Mode == ""):
		return im.leaveImport(ctx, subject, st)
	case err != nil && refusable(err):
		im.refuse(fmt.Sprintf("mode of %q", subject), "the source's answer: %v", err)
		return nil
	case err != nil:
		return fmt.Errorf("source's mode of %q: %w", subject, err)
	}
	return im.setMode(ctx, registryclient.SubjectPath("/mode", subject, "?force=true"), fmt.Sprintf("mode of %q", subject), mode.Mode)
}

// leaveImport takes away the IMPORT mode a run gave subject in the target: this one, or one that
// was stopped before it finished the subject.
func (im *importer) leaveImport(ctx context.Context, subject string, st *subjectState) error {
	if !st.importing {
		var own struct {
			Mode string `json:"mode"`
		}
		err := im.dst.get(ctx, registryclient.SubjectPath("/mode", subject, "?defaultToGlobal=false"), &own)
		if err != nil && !notFound(err) {
			return fmt.Errorf("target's mode of %q: %w", subject, err)
		}
		if own.Mode != "IMPORT" {
			return nil
		}
	}
	if err := im.dst.send(ctx, http.MethodDelete, registryclient.SubjectPath("/mode", subject, ""), nil, nil); err != nil && !notFound(err) {
		return fmt.Errorf("take %q out of IMPORT mode in the target: %w", subject, err)
	}
	return nil
}

func (im *importer) setMode(ctx context.Context, path, item, mode string) error {
	err := im.dst.send(ctx, http.MethodPut, path, map[string]string{"mode": mode}, nil)
	switch {
	case err != nil && refusable(err):
		im.refuse(item, "the target refused %q: %v", mode, err)
	case err != nil:
		return fmt.Errorf("set the %s in the target: %w", item, err)
	default:
		im.report.Modes++
	}
	return nil
}

// copyConfig copies subject's own config ("" the global one) as the source answers it. Its
// fields go on as they are, but for the level, which Confluent reads as compatibilityLevel and
// writes as compatibility.
func (im *importer) copyConfig(ctx context.Context, subject string) error {
	path, item := "/config", "global config"
	if subject != "" {
		path, item = registryclient.SubjectPath("/config", subject, ""), fmt.Sprintf("config of %q", subject)
	}
	var cfg map[string]json.RawMessage
	err := im.src.get(ctx, path+"?defaultToGlobal=false", &cfg)
	switch {
	case notFound(err) && subject != "":
		return nil // the subject has no config of its own
	case err != nil && refusable(err):
		im.refuse(item, "the source's answer: %v", err)
		return nil
	case err != nil:
		return fmt.Errorf("source's %s: %w", item, err)
	case len(cfg) == 0:
		return nil
	}
	if level, ok := cfg["compatibilityLevel"]; ok {
		delete(cfg, "compatibilityLevel")
		cfg["compatibility"] = level
	}
	err = im.dst.send(ctx, http.MethodPut, path, cfg, nil)
	switch {
	case err != nil && refusable(err):
		im.refuse(item, "the target refused it: %v", err)
	case err != nil:
		return fmt.Errorf("set the %s in the target: %w", item, err)
	default:
		im.report.Configs++
	}
	return nil
}

func (im *importer) copyGlobal(ctx context.Context) error {
	if err := im.copyConfig(ctx, ""); err != nil {
		return err
	}
	var mode struct {
		Mode string `json:"mode"`
	}
	err := im.src.get(ctx, "/mode", &mode)
	switch {
	case err != nil && refusable(err):
		im.refuse("global mode", "the source's answer: %v", err)
		return nil
	case err != nil:
		return fmt.Errorf("source's global mode: %w", err)
	case mode.Mode == "":
		return nil
	}
	return im.setMode(ctx, "/mode?force=true", "global mode", mode.Mode)
}

// sortedSubjects are every subject this run looked at (pulled-in ones too), sorted.
func (im *importer) sortedSubjects() []string {
	out := make([]string, 0, len(im.subjects))
	for name := range im.subjects {
		out = append(out, name)
	}
	slices.Sort(out)
	im.report.Subjects = len(out)
	return out
}
