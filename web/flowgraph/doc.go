// Package flowgraph lays out and draws the event flow graph: services and channels as nodes,
// produce and consume as edges, in a layered (Sugiyama) layout rendered as SVG: left to right,
// or top down when left to right would be wider than the page.
//
// It is pure Go — no HTTP, no database — so pages and tests can hand it plain values and get
// the same drawing back for the same input.
package flowgraph
