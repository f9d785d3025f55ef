// Package schemacheck answers the question a CI pipeline asks before a merge: do these schema
// files break anyone? It maps files to registry subjects, checks them against a registry or
// against older files offline, and reports every incompatibility in text, JSON, GitHub or JUnit.
package schemacheck
