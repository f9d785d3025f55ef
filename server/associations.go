package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/eventlens/eventlens/schemaregistry"
)

// The associations API of Confluent 8 (AssociationsResource): which subject holds a topic's key
// or value schema. confluent-kafka-go v2.14 asks it before each registration or lookup the
// serializer has not cached, and falls back to <topic>-value when nothing is associated.

// associationJSON is Confluent's Association entity.
type associationJSON struct {
	Subject           string `json:"subject,omitempty"`
	GUID              string `json:"guid,omitempty"`
	ResourceName      string `json:"resourceName,omitempty"`
	ResourceNamespace string `json:"resourceNamespace,omitempty"`
	ResourceID        string `json:"resourceId,omitempty"`
	ResourceType      string `json:"resourceType,omitempty"`
	AssociationType   string `json:"associationType,omitempty"`
	Lifecycle         string `json:"lifecycle,omitempty"`
	Frozen            bool   `json:"frozen"`
	CreateTimestamp   int64  `json:"createTs,omitempty"`
	UpdateTimestamp   int64  `json:"updateTs,omitempty"`
}

// associationRequestJSON is Confluent's AssociationCreateOrUpdateRequest.
type associationRequestJSON struct {
	ResourceName      string `json:"resourceName"`
	ResourceNamespace string `json:"resourceNamespace"`
	ResourceID        string `json:"resourceId"`
	ResourceType      string `json:"resourceType"`
	Associations      []struct {
		Subject         string         `json:"subject"`
		AssociationType string         `json:"associationType"`
		Lifecycle       string         `json:"lifecycle"`
		Frozen          *bool          `json:"frozen"`
		Schema          *schemaRequest `json:"schema"`
		Normalize       bool           `json:"normalize"`
	} `json:"associations"`
}

// associationResponseJSON is Confluent's AssociationResponse.
type associationResponseJSON struct {
	ResourceName      string                `json:"resourceName,omitempty"`
	ResourceNamespace string                `json:"resourceNamespace,omitempty"`
	ResourceID        string                `json:"resourceId,omitempty"`
	ResourceType      string                `json:"resourceType,omitempty"`
	Associations      []associationInfoJSON `json:"associations,omitempty"`
}

// associationInfoJSON is Confluent's AssociationInfo: one association written.
type associationInfoJSON struct {
	Subject         string      `json:"subject,omitempty"`
	AssociationType string      `json:"associationType,omitempty"`
	Lifecycle       string      `json:"lifecycle,omitempty"`
	Frozen          bool        `json:"frozen"`
	Schema          *schemaJSON `json:"schema,omitempty"`
}

func associationFilter(c echo.Context) schemaregistry.AssociationFilter {
	return schemaregistry.AssociationFilter{ResourceType: c.QueryParam("resourceType"),
		AssociationTypes: c.QueryParams()["associationType"], Lifecycle: c.QueryParam("lifecycle")}
}

// answerAssociations writes the page of list that offset and limit select.
func answerAssociations(c echo.Context, list []schemaregistry.Association, err error) error {
	if err != nil {
		return err
	}
	list = schemaregistry.Page(list, intQuery(c, "offset"), intQuery(c, "limit"))
	out := make([]associationJSON, len(list))
	for i, a := range list {
		out[i] = associationJSON{Subject: a.Subject, GUID: a.GUID, ResourceName: a.ResourceName, ResourceNamespace: a.ResourceNamespace,
			ResourceID: a.ResourceID, ResourceType: a.ResourceType, AssociationType: a.AssociationType, Lifecycle: a.Lifecycle,
			Frozen: a.Frozen, CreateTimestamp: a.Created, UpdateTimestamp: a.Updated}
	}
	return answer(c, http.StatusOK, out)
}

func (a registryAPI) associationsBySubject(c echo.Context) error {
	list, err := a.reg.AssociationsBySubject(c.Request().Context(), subjectParam(c), associationFilter(c))
	return answerAssociations(c, list, err)
}

func (a registryAPI) associationsByResourceID(c echo.Context) error {
	list, err := a.reg.AssociationsByResourceID(c.Request().Context(), c.Param("id"), associationFilter(c))
	return answerAssociations(c, list, err)
}

// associationsByResourceName is GET /associations/resources/{namespace}/{name}; "-" as the
// namespace (what clients send without a cluster id) matches every namespace.
func (a registryAPI) associationsByResourceName(c echo.Context) error {
	list, err := a.reg.AssociationsByResourceName(c.Request().Context(), c.Param("name"), c.Param("namespace"), associationFilter(c))
	return answerAssociations(c, list, err)
}

// createAssociations is POST /associations (create) and PUT /associations/resources/{id}
// (create or update).
func (a registryAPI) createAssociations(c echo.Context) error {
	var req associationRequestJSON
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	create := c.Request().Method == http.MethodPost
	if id := c.Param("id"); !create {
		switch {
		case req.ResourceID == "":
			req.ResourceID = id
		case req.ResourceID != id:
			return &schemaregistry.Error{Code: schemaregistry.CodeInvalidAssociation,
				Message: "The association specified an invalid value for property: 'resourceId', detail: Resource ID in the path parameter does not match the resource ID in the request body"}
		}
	}
	in := schemaregistry.AssociationRequest{ResourceName: req.ResourceName, ResourceNamespace: req.ResourceNamespace,
		ResourceID: req.ResourceID, ResourceType: req.ResourceType}
	for _, info := range req.Associations {
		change := schemaregistry.AssociationChange{Subject: info.Subject, AssociationType: info.AssociationType,
			Lifecycle: info.Lifecycle, Frozen: info.Frozen, Normalize: info.Normalize}
		if info.Schema != nil {
			s := info.Schema.newSchema()
			change.Schema = &s
		}
		in.Associations = append(in.Associations, change)
	}
	res, err := a.reg.CreateAssociations(c.Request().Context(), in, create)
	if err != nil {
		return err
	}
	out := associationResponseJSON{ResourceName: res.ResourceName, ResourceNamespace: res.ResourceNamespace, ResourceID: res.ResourceID, ResourceType: res.ResourceType}
	for _, o := range res.Associations {
		var s *schemaJSON
		if o.Schema != nil {
			j := toJSON(*o.Schema)
			s = &j
		}
		out.Associations = append(out.Associations, associationInfoJSON{o.Subject, o.AssociationType, o.Lifecycle, o.Frozen, s})
	}
	return answer(c, http.StatusOK, out)
}

// deleteAssociations is DELETE /associations/resources/{id}: 204, as Confluent answers.
func (a registryAPI) deleteAssociations(c echo.Context) error {
	err := a.reg.DeleteAssociations(c.Request().Context(), c.Param("id"), associationFilter(c), boolQuery(c, "cascadeLifecycle"))
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
