package schemaregistry

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Associations (Confluent 8) bind a resource (a Kafka topic) to the subject that holds its key's
// or its value's schema, so a serializer asks the registry which subject a topic uses instead of
// deriving it from the topic's name. A STRONG association belongs to its topic (frozen, on the
// subject named after the topic, created with it and deleted with it); a WEAK one only points
// at a subject that lives on its own. The rules below are Confluent's
// (AbstractSchemaRegistry.createOrUpdateAssociation, AssociationCreateOrUpdateRequest.validate).

// Association is one resource's key or value bound to a subject.
type Association struct {
	Subject           string
	GUID              string
	ResourceName      string
	ResourceNamespace string
	ResourceID        string
	ResourceType      string
	AssociationType   string
	Lifecycle         string
	Frozen            bool
	Created, Updated  int64 // unix milliseconds
}

// Lifecycles and the values Confluent allows for the rest.
const (
	Strong          = "STRONG"
	Weak            = "WEAK"
	topicResource   = "topic"
	keyAssociation  = "key"
	valueAssocation = "value"
	// AnyNamespace asks for associations in every namespace (and, as a resource name, for every
	// resource of the namespace): Confluent's "-".
	AnyNamespace = "-"
)

// Codes of the association answers.
const (
	CodeAssociationNotFound         = 40410
	CodeAssociationExists           = 40903
	CodeAssociationForSubjectExists = 40904
	CodeStrongAssociationExists     = 40905
	CodeNoActiveSubjectVersion      = 40907
	CodeAssociationFrozen           = 40908
	CodeInvalidAssociation          = 42212
)

// maxAssociationNameLength bounds resource names and ids, as Confluent's RestValidation.
const maxAssociationNameLength = 256

// AssociationRequest creates or updates the associations of one resource.
type AssociationRequest struct {
	ResourceName      string
	ResourceNamespace string
	ResourceID        string
	ResourceType      string // "" means topic
	Associations      []AssociationChange
}

// AssociationChange is what a request says of one association type; empty fields are left to
// Confluent's defaults or, on an update, as they are.
type AssociationChange struct {
	Subject         string
	AssociationType string // "" means value
	Lifecycle       string
	Frozen          *bool
	Schema          *NewSchema // registered under Subject with the association (STRONG only)
	Normalize       bool
}

// AssociationResult is what a create or update answers: the resource and its associations as
// written, with the schemas registered alongside.
type AssociationResult struct {
	ResourceName, ResourceNamespace, ResourceID, ResourceType string
	Associations                                              []AssociationOutcome
}

// AssociationOutcome is one association written, with the schema registered for it, if any.
type AssociationOutcome struct {
	Subject, AssociationType, Lifecycle string
	Frozen                              bool
	Schema                              *Schema
}

// AssociationFilter narrows a listing: a resource type ("" means topic), association types
// (none: all) and a lifecycle ("": any).
type AssociationFilter struct {
	ResourceType     string
	AssociationTypes []string
	Lifecycle        string
}

// associationKey selects stored associations: by subject, by resource id, or by resource name
// and namespace (a namespace of AnyNamespace: any); the empty fields select nothing.
type associationKey struct {
	subject, resourceID, resourceName, resourceNamespace string
}

func (f AssociationFilter) keeps(a Association) bool {
	typ := f.ResourceType
	if typ == "" {
		typ = topicResource
	}
	return a.ResourceType == typ &&
		(len(f.AssociationTypes) == 0 || slices.Contains(f.AssociationTypes, a.AssociationType)) &&
		(f.Lifecycle == "" || strings.EqualFold(f.Lifecycle, a.Lifecycle))
}

// associations lists what key selects and f keeps, in Confluent's order (resource name,
// namespace, type, association type, subject).
func (r *Registry) associations(ctx context.Context, key associationKey, f AssociationFilter) ([]Association, error) {
	if unstorable(key.subject + key.resourceID + key.resourceName + key.resourceNamespace) {
		return []Association{}, nil
	}
	all, err := r.store.associations(ctx, key)
	if err != nil {
		return nil, storeError("read associations", err)
	}
	out := []Association{}
	for _, a := range all {
		if f.keeps(a) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b Association) int {
		for _, c := range [][2]string{{a.ResourceName, b.ResourceName}, {a.ResourceNamespace, b.ResourceNamespace},
			{a.ResourceType, b.ResourceType}, {a.AssociationType, b.AssociationType}, {a.Subject, b.Subject}} {
			if n := strings.Compare(c[0], c[1]); n != 0 {
				return n
			}
		}
		return 0
	})
	return out, nil
}

// AssociationsBySubject lists the associations of subject.
func (r *Registry) AssociationsBySubject(ctx context.Context, subject string, f AssociationFilter) ([]Association, error) {
	return r.associations(ctx, associationKey{subject: subject}, f)
}

// AssociationsByResourceID lists the associations of the resource with id.
func (r *Registry) AssociationsByResourceID(ctx context.Context, id string, f AssociationFilter) ([]Association, error) {
	return r.associations(ctx, associationKey{resourceID: id}, f)
}

// AssociationsByResourceName lists the associations of the resources named name in namespace;
// AnyNamespace as namespace matches every namespace, as name every resource of namespace.
func (r *Registry) AssociationsByResourceName(ctx context.Context, name, namespace string, f AssociationFilter) ([]Association, error) {
	if name == AnyNamespace {
		if namespace == AnyNamespace {
			return r.associations(ctx, associationKey{resourceNamespace: AnyNamespace, resourceName: AnyNamespace}, f)
		}
		return r.associations(ctx, associationKey{resourceNamespace: namespace, resourceName: AnyNamespace}, f)
	}
	return r.associations(ctx, associationKey{resourceName: name, resourceNamespace: namespace}, f)
}

func errInvalidAssociation(property, format string, args ...any) *Error {
	return newError(CodeInvalidAssociation, "The association specified an invalid value for property: '%s', detail: %s", property, fmt.Sprintf(format, args...))
}

// checkName is Confluent's RestValidation.checkName: letters, digits, _ and -, 1 to 256 of them.
func checkName(name, property string) error {
	if name == "" {
		return errInvalidAssociation(property, "cannot be null or empty")
	}
	if utf8.RuneCountInString(name) > maxAssociationNameLength {
		return errInvalidAssociation(property, "exceeds max length of %d", maxAssociationNameLength)
	}
	for _, c := range name {
		if !unicode.IsLetter(c) && !unicode.IsDigit(c) && c != '_' && c != '-' {
			return errInvalidAssociation(property, "illegal character '%c'", c)
		}
	}
	return nil
}

// defaultSubject is the subject a STRONG association of typ uses: the topic's own, qualified
// with its namespace (Confluent's context).
func (req *AssociationRequest) defaultSubject(typ string) string {
	return ":." + req.ResourceNamespace + ":" + req.ResourceName + "-" + typ
}

// validate is Confluent's AssociationCreateOrUpdateRequest.validate: it fills the defaults of a
// create and refuses what may never be.
func (req *AssociationRequest) validate(create bool) error {
	if err := checkName(req.ResourceName, "resourceName"); err != nil {
		return err
	}
	if err := checkName(req.ResourceNamespace, "resourceNamespace"); err != nil {
		return err
	}
	if req.ResourceID == "" {
		return errInvalidAssociation("resourceId", "cannot be null or empty")
	}
	if !utf8.ValidString(req.ResourceID) || len(req.ResourceID) > maxAssociationNameLength {
		return errInvalidAssociation("resourceId", "must be UTF-8 text of at most %d bytes", maxAssociationNameLength)
	}
	switch req.ResourceType {
	case "":
		req.ResourceType = topicResource
	case topicResource:
	default:
		return errInvalidAssociation("resourceType", "must be '%s'", topicResource)
	}
	if len(req.Associations) == 0 {
		return errInvalidAssociation("associations", "cannot be null or empty")
	}
	seen := map[string]bool{}
	for i := range req.Associations {
		info := &req.Associations[i]
		if info.Subject != "" && validSubject(info.Subject) != nil {
			return errInvalidAssociation("subject", "must not be empty")
		}
		if create {
			if err := info.applyDefaults(true); err != nil {
				return err
			}
		}
		switch info.AssociationType {
		case "":
			info.AssociationType = valueAssocation
		case keyAssociation, valueAssocation:
		default:
			return errInvalidAssociation("associationType", "must be either '%s' or '%s'", keyAssociation, valueAssocation)
		}
		if seen[info.AssociationType] {
			return errInvalidAssociation("associationType", "may only appear once per request, but '%s' appears more than once", info.AssociationType)
		}
		seen[info.AssociationType] = true
		if info.Lifecycle != "" && info.Lifecycle != Strong && info.Lifecycle != Weak {
			return errInvalidAssociation("lifecycle", "must be STRONG or WEAK")
		}
		if info.Lifecycle == Weak {
			switch {
			case info.Schema != nil:
				return errInvalidAssociation("lifecycle", "cannot be WEAK when schema is provided")
			case info.Frozen != nil && *info.Frozen:
				return errInvalidAssociation("frozen", "association with lifecycle of WEAK cannot be frozen")
			case create && info.Subject == "":
				return errInvalidAssociation("subject", "must be provided for WEAK associations")
			}
		}
		if create {
			def := req.defaultSubject(info.AssociationType)
			if info.Subject == "" {
				info.Subject = def
			}
			if *info.Frozen && info.Subject != def {
				return errInvalidAssociation("subject", "frozen associations must use subject '%s'", def)
			}
			if info.Lifecycle == Weak && info.Subject == def {
				return errInvalidAssociation("subject", "WEAK associations cannot use subject '%s'", def)
			}
		}
	}
	return nil
}

// applyDefaults is Confluent's AssociationCreateOrUpdateInfo.applyDefaults: with a schema the
// association is STRONG, else WEAK unless it says; frozen exactly when STRONG.
func (info *AssociationChange) applyDefaults(create bool) error {
	if !create && info.Schema != nil {
		return errInvalidAssociation("schema", "cannot be provided when adding an association to an existing topic; an association with a schema must be created with the topic")
	}
	if info.Schema != nil {
		if info.Lifecycle == Weak {
			return errInvalidAssociation("lifecycle", "cannot be WEAK when schema is provided")
		}
		if info.Frozen != nil && !*info.Frozen {
			return errInvalidAssociation("frozen", "cannot be false when a schema is provided")
		}
		info.Lifecycle = Strong
	} else if info.Lifecycle == "" {
		info.Lifecycle = Weak
	}
	frozen := info.Lifecycle == Strong
	if info.Frozen != nil && *info.Frozen != frozen {
		return errInvalidAssociation("frozen", "association with lifecycle of %s cannot be frozen=%v", info.Lifecycle, *info.Frozen)
	}
	info.Frozen = &frozen
	return nil
}

// equivalent reports whether info asks for what a already is.
func (a Association) equivalent(info AssociationChange) bool {
	return a.Subject == info.Subject && a.AssociationType == info.AssociationType &&
		(info.Lifecycle == "" || a.Lifecycle == info.Lifecycle) && (info.Frozen == nil || a.Frozen == *info.Frozen)
}

// CreateAssociations creates a resource's associations (POST /associations) or, when not
// create, creates or updates them (PUT /associations/resources/{id}); schemas given with STRONG
// associations are registered under their subjects first. An association that is already as
// asked is left alone.
func (r *Registry) CreateAssociations(ctx context.Context, req AssociationRequest, create bool) (AssociationResult, error) {
	if err := req.validate(create); err != nil {
		return AssociationResult{}, err
	}
	existing, err := r.AssociationsByResourceID(ctx, req.ResourceID, AssociationFilter{ResourceType: req.ResourceType})
	if err != nil {
		return AssociationResult{}, err
	}
	byType := map[string]Association{}
	for _, a := range existing {
		byType[a.AssociationType] = a
	}
	skip := map[string]bool{}
	for i := range req.Associations {
		info := &req.Associations[i]
		old, found := byType[info.AssociationType]
		if s, err := r.checkAssociation(ctx, &req, info, old, found, create); err != nil {
			return AssociationResult{}, err
		} else if s {
			skip[info.AssociationType] = true
		}
	}
	if err := checkUniformLifecycle(req, byType); err != nil {
		return AssociationResult{}, err
	}
	for _, info := range req.Associations {
		if err := r.checkSubjectAssociations(ctx, req, info, byType); err != nil {
			return AssociationResult{}, err
		}
	}

	result := AssociationResult{ResourceName: req.ResourceName, ResourceNamespace: req.ResourceNamespace, ResourceID: req.ResourceID, ResourceType: req.ResourceType}
	registered := map[string]*Schema{}
	for _, info := range req.Associations {
		if info.Schema == nil || skip[info.AssociationType] {
			continue
		}
		s, err := r.Register(ctx, info.Subject, *info.Schema, RegisterOptions{Normalize: info.Normalize})
		if err != nil {
			return AssociationResult{}, err
		}
		registered[info.AssociationType] = &s
	}

	now := r.now().UnixMilli()
	var written []Association
	for _, info := range req.Associations {
		a, found := byType[info.AssociationType]
		if skip[info.AssociationType] {
			written = append(written, a)
			continue
		}
		if !found {
			a = Association{GUID: newGUID(), ResourceName: req.ResourceName, ResourceNamespace: req.ResourceNamespace,
				ResourceID: req.ResourceID, ResourceType: req.ResourceType, AssociationType: info.AssociationType, Created: now}
		}
		a.Subject, a.Updated = info.Subject, now
		if info.Lifecycle != "" {
			a.Lifecycle = info.Lifecycle
		}
		if info.Frozen != nil {
			a.Frozen = *info.Frozen
		}
		written = append(written, a)
	}
	err = r.write(ctx, "write associations", func(tx storeTx) (invalidation, error) {
		for _, a := range written {
			if err := tx.putAssociation(ctx, a); err != nil {
				return invalidation{}, err
			}
		}
		return invalidation{}, nil
	})
	if err != nil {
		return AssociationResult{}, err
	}
	for _, a := range written {
		result.Associations = append(result.Associations, AssociationOutcome{Subject: a.Subject, AssociationType: a.AssociationType,
			Lifecycle: a.Lifecycle, Frozen: a.Frozen, Schema: registered[a.AssociationType]})
	}
	return result, nil
}

// checkAssociation decides on one association of a request, old being the stored one when
// found. It fills what the request leaves to the stored association and says whether the
// association is already as asked (skip).
func (r *Registry) checkAssociation(ctx context.Context, req *AssociationRequest, info *AssociationChange, old Association, found, create bool) (skip bool, err error) {
	if !found && !create {
		if err := info.applyDefaults(false); err != nil {
			return false, err
		}
	}
	def := req.defaultSubject(info.AssociationType)
	if info.Subject == "" {
		switch {
		case found:
			info.Subject = old.Subject
		case info.Lifecycle == Strong:
			info.Subject = def
		default:
			return false, errInvalidAssociation("subject", "must be provided for WEAK associations")
		}
	}
	lifecycle := info.Lifecycle
	if lifecycle == "" && found {
		lifecycle = old.Lifecycle
	}
	if lifecycle == "" {
		return false, errInvalidAssociation("lifecycle", "lifecycle must be set")
	}
	if lifecycle == Weak && info.Schema != nil {
		return false, errInvalidAssociation("lifecycle", "cannot be WEAK when schema is provided")
	}
	if lifecycle == Weak && info.Subject == def {
		return false, errInvalidAssociation("subject", "WEAK associations cannot use subject '%s'", def)
	}
	frozen := found && old.Frozen || !found && info.Frozen != nil && *info.Frozen
	requested := frozen
	if info.Frozen != nil {
		requested = *info.Frozen
	}
	if requested != (lifecycle == Strong) {
		return false, errInvalidAssociation("frozen", "association with lifecycle of %s cannot be frozen=%v", lifecycle, requested)
	}
	if frozen && info.Subject != def {
		return false, errInvalidAssociation("subject", "frozen associations must use subject '%s'", def)
	}
	mode, err := r.effectiveMode(ctx, info.Subject)
	if err != nil {
		return false, err
	}
	if mode == ReadOnly || mode == ReadOnlyOverride {
		return false, errReadOnly(info.Subject)
	}
	if !found {
		if !create && lifecycle == Strong && mode != Import {
			return false, errInvalidAssociation("lifecycle", "cannot be STRONG when creating an association; STRONG associations must be created with the topic")
		}
		if info.Frozen != nil && *info.Frozen && mode != Import {
			if create && info.Schema == nil {
				return false, errInvalidAssociation("schema", "schema must be provided when creating a frozen association")
			}
			rows, err := r.versions(ctx, info.Subject)
			if err != nil {
				return false, err
			}
			if latest, err := findVersion(info.Subject, rows, Latest, false); err == nil {
				_, lookErr := r.Lookup(ctx, info.Subject, *info.Schema, info.Normalize, false)
				if latest.version != 1 || lookErr != nil {
					return false, errInvalidAssociation("frozen", "cannot create a frozen association when schemas already exist in the subject")
				}
			}
		}
		return false, nil
	}
	if old.equivalent(*info) {
		if create && info.Schema != nil {
			if _, err := r.Lookup(ctx, info.Subject, *info.Schema, info.Normalize, false); err != nil {
				return false, newError(CodeAssociationExists, "An association of type '%s' already exists for resource '%s'", old.AssociationType, old.ResourceName)
			}
		}
		return true, nil
	}
	switch {
	case create:
		return false, newError(CodeAssociationExists, "An association of type '%s' already exists for resource '%s'", old.AssociationType, old.ResourceName)
	case info.Lifecycle == "" && info.Schema == nil:
		return false, errInvalidAssociation("lifecycle", "at least lifecycle or schema must be provided for update")
	case old.Subject != info.Subject:
		return false, errInvalidAssociation("subject", "subject of association cannot be changed from '%s' to '%s'", old.Subject, info.Subject)
	case old.Lifecycle == Strong && info.Lifecycle == Weak && old.Subject == def:
		return false, errInvalidAssociation("lifecycle", "cannot change to WEAK when subject matches default format '%s'", def)
	case info.Frozen != nil && old.Frozen != *info.Frozen:
		return false, errInvalidAssociation("frozen", "frozen attribute of association cannot be changed")
	case old.Frozen:
		return false, newError(CodeAssociationFrozen, "The association of type  '%s' is frozen for subject '%s'", old.AssociationType, old.Subject)
	}
	return false, nil
}

// checkUniformLifecycle refuses a request that would leave a resource with STRONG and WEAK
// associations at once.
func checkUniformLifecycle(req AssociationRequest, stored map[string]Association) error {
	byType := map[string]string{}
	for t, a := range stored {
		byType[t] = a.Lifecycle
	}
	for _, info := range req.Associations {
		if info.Lifecycle != "" {
			byType[info.AssociationType] = info.Lifecycle
		}
	}
	lifecycles := map[string]bool{}
	var detail []string
	for _, t := range sortedKeys(byType) {
		lifecycles[byType[t]] = true
		detail = append(detail, t+"="+byType[t])
	}
	if len(lifecycles) > 1 {
		return errInvalidAssociation("lifecycle", "all associations for a resource must have the same lifecycle, but got %s", strings.Join(detail, ", "))
	}
	return nil
}

// checkSubjectAssociations applies what one subject may be bound to: a STRONG association is
// its subject's only one and the subject is referenced by no schema; a WEAK one may not join a
// STRONG one. The subject needs a live version, or a schema to register.
func (r *Registry) checkSubjectAssociations(ctx context.Context, req AssociationRequest, info AssociationChange, stored map[string]Association) error {
	mode, err := r.effectiveMode(ctx, info.Subject)
	if err != nil {
		return err
	}
	if info.Schema != nil && mode == Import {
		return errInvalidAssociation("schema", "cannot be provided while subject '%s' is in IMPORT mode", info.Subject)
	}
	if info.Schema == nil {
		rows, err := r.versions(ctx, info.Subject)
		if err != nil {
			return err
		}
		if _, err := findVersion(info.Subject, rows, Latest, false); err != nil {
			return newError(CodeNoActiveSubjectVersion, "No active (non-deleted) version exists for subject '%s'", info.Subject)
		}
	}
	others, err := r.AssociationsBySubject(ctx, info.Subject, AssociationFilter{ResourceType: req.ResourceType})
	if err != nil {
		return err
	}
	old, found := stored[info.AssociationType]
	others = slices.DeleteFunc(others, func(a Association) bool {
		return found && a.ResourceID == old.ResourceID && a.ResourceType == old.ResourceType && a.AssociationType == old.AssociationType
	})
	lifecycle := info.Lifecycle
	if lifecycle == "" {
		lifecycle = old.Lifecycle
	}
	switch lifecycle {
	case Strong:
		if len(others) > 0 {
			return newError(CodeAssociationForSubjectExists, "An association already exists for subject '%s'", info.Subject)
		}
		rows, err := r.versions(ctx, info.Subject)
		if err != nil {
			return err
		}
		for _, v := range rows {
			refs, err := r.store.referrers(ctx, info.Subject, v.version, true)
			if err != nil {
				return storeError("read references", err)
			}
			if len(refs) > 0 {
				return newError(CodeReferenceExists, "Subject '%s' is referenced by other schemas and cannot have a STRONG association", info.Subject)
			}
		}
	case Weak:
		if slices.ContainsFunc(others, func(a Association) bool { return a.Lifecycle == Strong }) {
			return newError(CodeStrongAssociationExists, "A strong association already exists for subject '%s'", info.Subject)
		}
	}
	return nil
}

// DeleteAssociations removes a resource's associations (of the given types; none: all) and,
// with cascade, the subjects of its STRONG ones, soft then hard, as Confluent does when a topic
// goes. A frozen association goes only with cascade.
func (r *Registry) DeleteAssociations(ctx context.Context, resourceID string, f AssociationFilter, cascade bool) error {
	list, err := r.AssociationsByResourceID(ctx, resourceID, f)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return newError(CodeAssociationNotFound, "Association for '%s' not found.", resourceID)
	}
	for _, a := range list {
		mode, err := r.effectiveMode(ctx, a.Subject)
		if err != nil {
			return err
		}
		if mode == ReadOnly || mode == ReadOnlyOverride {
			return errReadOnly(a.Subject)
		}
		if !cascade && a.Frozen {
			return newError(CodeAssociationFrozen, "The association of type  '%s' is frozen for subject '%s'", a.AssociationType, a.Subject)
		}
	}
	err = r.write(ctx, "delete associations", func(tx storeTx) (invalidation, error) {
		for _, a := range list {
			if err := tx.deleteAssociation(ctx, a); err != nil {
				return invalidation{}, err
			}
		}
		return invalidation{}, nil
	})
	if err != nil {
		return err
	}
	for _, a := range list {
		mode, err := r.effectiveMode(ctx, a.Subject)
		if err != nil {
			return err
		}
		if !cascade || a.Lifecycle != Strong || mode == Import {
			continue
		}
		for _, permanent := range []bool{false, true} {
			if _, err := r.DeleteSubject(ctx, a.Subject, permanent); err != nil && ErrorCode(err) != CodeSubjectNotFound {
				return err
			}
		}
	}
	return nil
}

// newGUID is a random UUID (version 4), an association's own id.
func newGUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand never fails on the platforms Go supports
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return uuid(b)
}
