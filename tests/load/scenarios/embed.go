// Package scenarios holds the load scenario files that `platform load`
// and the k6 scripts read by path; the demo's is embedded too, so `make
// demo` and `platform demo` run the same closed loop from anywhere.
package scenarios

import _ "embed"

// Demo is demo.json.
//
//go:embed demo.json
var Demo []byte
