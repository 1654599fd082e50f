package api

import (
	"bytes"
	"fmt"
	"io/fs"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

var (
	schemasMu sync.Mutex
	compiled  = map[string]*jsonschema.Schema{}
)

// Validate checks doc against the JSON Schema (2020-12, formats asserted) at
// path in Files, e.g. "schemas/OrderRequest.schema.json" or
// "events/OrderPlaced.schema.json", so every client of the contract (the
// tests, the k6 scripts' checks) reads the shapes from these documents.
func Validate(path string, doc []byte) error {
	s, err := schema(path)
	if err != nil {
		return err
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("%s: not JSON: %w", path, err)
	}
	return s.Validate(v)
}

func schema(path string) (*jsonschema.Schema, error) {
	schemasMu.Lock()
	defer schemasMu.Unlock()
	if s, ok := compiled[path]; ok {
		return s, nil
	}
	raw, err := fs.ReadFile(Files, path)
	if err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(path, doc); err != nil {
		return nil, err
	}
	s, err := c.Compile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	compiled[path] = s
	return s, nil
}
