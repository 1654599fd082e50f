// Package api holds the machine-readable contracts of the platform's public
// interfaces: openapi.yaml (OpenAPI 3.1) for the HTTP APIs of the order and
// notification services, schemas/ for the shapes it refers to, and events/
// with one JSON Schema (2020-12) per event type. The schemas are made from
// the Go types (`go test ./api -update`); contract_test.go holds documents,
// Go types and the served routes equal in both directions.
package api

import "embed"

// Files are the documents, for tools that validate against them.
//
//go:embed openapi.yaml schemas events
var Files embed.FS
