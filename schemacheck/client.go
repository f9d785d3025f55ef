package schemacheck

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/eventlens/eventlens/registryclient"
)

// Registry asks a schema registry (eventlens or any Confluent-compatible one) about schema files.
type Registry struct{ *registryclient.Client }

// schemaRequest is the body of register, lookup and compatibility requests.
type schemaRequest struct {
	Schema     string      `json:"schema"`
	SchemaType string      `json:"schemaType,omitempty"`
	References []Reference `json:"references,omitempty"`
}

func requestFor(f File) schemaRequest {
	r := schemaRequest{Schema: f.Text, References: f.References}
	if f.SchemaType != "AVRO" { // Avro is the default; most clients leave it out
		r.SchemaType = f.SchemaType
	}
	return r
}

func subjectPath(subject string) string {
	return registryclient.SubjectPath("/subjects", subject, "")
}

// Compatibility asks whether f may become the next version of its subject under the subject's
// own level, with the registry's verbose messages. A subject the registry does not know is
// compatible: it has nothing to break.
func (c Registry) Compatibility(ctx context.Context, f File) (known, compatible bool, messages []string, err error) {
	var out struct {
		IsCompatible bool     `json:"is_compatible"`
		Messages     []string `json:"messages"`
	}
	err = c.Do(ctx, http.MethodPost, "/compatibility"+subjectPath(f.Subject)+"/versions?verbose=true", requestFor(f), &out)
	if registryclient.IsCode(err, 40401) {
		return false, true, nil, nil
	}
	if err != nil {
		return false, false, nil, fmt.Errorf("check %s: %w", f.Subject, err)
	}
	return true, out.IsCompatible, out.Messages, nil
}

// Lookup finds the version of f's subject that holds exactly f's schema.
func (c Registry) Lookup(ctx context.Context, f File) (version, id int, found bool, err error) {
	var out struct {
		Version int `json:"version"`
		ID      int `json:"id"`
	}
	err = c.Do(ctx, http.MethodPost, subjectPath(f.Subject), requestFor(f), &out)
	if registryclient.IsCode(err, 40401, 40403) {
		return 0, 0, false, nil
	}
	if err != nil {
		return 0, 0, false, fmt.Errorf("look up %s: %w", f.Subject, err)
	}
	return out.Version, out.ID, true, nil
}

// Register registers f under its subject and returns the schema id.
func (c Registry) Register(ctx context.Context, f File) (int, error) {
	var out struct {
		ID int `json:"id"`
	}
	if err := c.Do(ctx, http.MethodPost, subjectPath(f.Subject)+"/versions", requestFor(f), &out); err != nil {
		return 0, fmt.Errorf("register %s: %w", f.Subject, err)
	}
	return out.ID, nil
}

// Version is one stored version of a subject.
type Version struct {
	Subject    string      `json:"subject"`
	Version    int         `json:"version"`
	ID         int         `json:"id"`
	SchemaType string      `json:"schemaType"`
	Schema     string      `json:"schema"`
	References []Reference `json:"references"`
}

// file is the version as a schema file to check against.
func (v Version) file() File {
	return File{Path: fmt.Sprintf("%s version %d", v.Subject, v.Version), Subject: v.Subject, SchemaType: v.SchemaType, References: v.References, Text: v.Schema}
}

// Versions returns the live versions of subject, newest first; none if the subject is unknown.
func (c Registry) Versions(ctx context.Context, subject string) ([]Version, error) {
	var numbers []int
	err := c.Do(ctx, http.MethodGet, subjectPath(subject)+"/versions", nil, &numbers)
	if registryclient.IsCode(err, 40401) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list versions of %s: %w", subject, err)
	}
	versions := make([]Version, 0, len(numbers))
	for i := len(numbers) - 1; i >= 0; i-- {
		v, err := c.Version(ctx, subject, numbers[i])
		if err != nil {
			return nil, err
		}
		versions = append(versions, v)
	}
	return versions, nil
}

// Version fetches one version of subject.
func (c Registry) Version(ctx context.Context, subject string, version int) (Version, error) {
	var v Version
	path := subjectPath(subject) + "/versions/" + strconv.Itoa(version)
	if err := c.Do(ctx, http.MethodGet, path, nil, &v); err != nil {
		return v, fmt.Errorf("get %s version %d: %w", subject, version, err)
	}
	if v.SchemaType == "" {
		v.SchemaType = "AVRO"
	}
	return v, nil
}
