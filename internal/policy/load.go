package policy

// Loading: the Rego modules and the data documents under policies/.

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
)

// parseModules reads every .rego file under dir. Test files (_test.rego) are
// included only when withTests is set: the gate does not need them.
func parseModules(dir string, withTests bool) (map[string]*ast.Module, error) {
	modules := map[string]*ast.Module{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".rego") {
			return nil
		}
		if !withTests && strings.HasSuffix(path, "_test.rego") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		m, err := ast.ParseModuleWithOpts(path, string(src), ast.ParserOptions{
			ProcessAnnotation: true,
			RegoVersion:       ast.RegoV1,
		})
		if err != nil {
			return err
		}
		modules[path] = m
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load policies from %s: %w", dir, err)
	}
	if len(modules) == 0 {
		return nil, fmt.Errorf("load policies: no .rego files under %s", dir)
	}
	return modules, nil
}

// loadData merges every JSON file in <dir>/data into the root of the data
// document, the way `conftest --data <file>` does (metric_catalog.json holds
// {"metric_catalog": ...} and so becomes data.metric_catalog).
func loadData(dir string) (storage.Store, error) {
	root := map[string]any{}
	files, err := filepath.Glob(filepath.Join(dir, "data", "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read policy data: %w", err)
		}
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			return nil, fmt.Errorf("policy data %s: %w", f, err)
		}
		for k, v := range doc {
			if _, dup := root[k]; dup {
				return nil, fmt.Errorf("policy data %s: key %q is defined twice", f, k)
			}
			root[k] = v
		}
	}
	// Keep the data as AST values: policies read data.platform and
	// data.metric_catalog on every evaluation, and converting them from Go
	// values on each read dominated the cost of the metric catalog policy.
	return inmem.NewFromObjectWithOpts(root, inmem.OptReturnASTValuesOnRead(true)), nil
}
