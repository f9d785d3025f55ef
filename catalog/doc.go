// Package catalog is eventlens' map of the event landscape: domains, services, channels, messages
// and owners, filled from AsyncAPI 2.x and 3.0 documents and edited through the API, and how the
// documented picture compares with the registry and the observed flows.
package catalog
