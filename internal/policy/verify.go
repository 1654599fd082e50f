package policy

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"
)

// Verify is the static check of the policy tree that `make verify` and
// `make lint` run: every .rego file (tests included) parses as Rego v1 and
// is formatted the way `opa fmt` would write it, the whole tree compiles in
// strict mode (unused variables, imports and arguments are errors), and each
// policy follows the layout: <area>/<policy>/<policy>.rego with package
// METADATA, <policy>_test.rego in package <area>.<policy>_test, and
// testdata/ with allowed and disallowed samples. It returns every problem.
func Verify(dir string) error {
	var problems []string
	files, err := regoFiles(dir)
	if err != nil {
		return err
	}
	modules := map[string]*ast.Module{}
	popts := ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		m, err := ast.ParseModuleWithOpts(f, string(src), popts)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		modules[f] = m
		formatted, err := format.SourceWithOpts(f, src, format.Opts{RegoVersion: ast.RegoV1, ParserOptions: &popts})
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: format: %v", f, err))
		} else if !bytes.Equal(formatted, src) {
			problems = append(problems, fmt.Sprintf("%s: not formatted (opa fmt -w %s)", f, f))
		}
	}
	if len(modules) == len(files) { // everything parsed: compile and check the layout
		compiler := ast.NewCompiler().WithStrict(true).WithDefaultRegoVersion(ast.RegoV1)
		compiler.Compile(modules)
		for _, e := range compiler.Errors {
			problems = append(problems, e.Error())
		}
		if _, _, err := discoverRules(withoutTests(modules)); err != nil {
			problems = append(problems, err.Error())
		}
		problems = append(problems, checkLayout(dir, modules)...)
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return errors.New(strings.Join(problems, "\n"))
	}
	return nil
}

func regoFiles(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".rego") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list policies under %s: %w", dir, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no .rego files under %s", dir)
	}
	sort.Strings(files)
	return files, nil
}

func withoutTests(modules map[string]*ast.Module) map[string]*ast.Module {
	out := map[string]*ast.Module{}
	for f, m := range modules {
		if !strings.HasSuffix(f, "_test.rego") {
			out[f] = m
		}
	}
	return out
}

// PolicyDirs lists the folders that hold one policy each:
// <dir>/<area>/<policy>/<policy>.rego (lib/ and data/ are not policies).
func PolicyDirs(dir string) ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(dir, "*", "*", "*.rego"))
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, m := range matches {
		pd := filepath.Dir(m)
		area := filepath.Base(filepath.Dir(pd))
		if area == "lib" || area == "data" || seen[pd] {
			continue
		}
		seen[pd] = true
		out = append(out, pd)
	}
	sort.Strings(out)
	return out, nil
}

func checkLayout(dir string, modules map[string]*ast.Module) []string {
	var problems []string
	dirs, err := PolicyDirs(dir)
	if err != nil {
		return []string{err.Error()}
	}
	for _, pd := range dirs {
		name := filepath.Base(pd)
		area := filepath.Base(filepath.Dir(pd))
		pkg := "data." + area + "." + name
		main := filepath.Join(pd, name+".rego")
		test := filepath.Join(pd, name+"_test.rego")
		if m, ok := modules[main]; !ok {
			problems = append(problems, fmt.Sprintf("%s: policy folder needs %s", pd, main))
		} else if m.Package.Path.String() != pkg {
			problems = append(problems, fmt.Sprintf("%s: package is %s, want %s (folder layout)", main, m.Package.Path, strings.TrimPrefix(pkg, "data.")))
		}
		if m, ok := modules[test]; !ok {
			problems = append(problems, fmt.Sprintf("%s: policy folder needs tests in %s", pd, test))
		} else if m.Package.Path.String() != pkg+"_test" {
			problems = append(problems, fmt.Sprintf("%s: package is %s, want %s_test", test, m.Package.Path, strings.TrimPrefix(pkg, "data.")))
		}
		for _, want := range []string{"allowed", "disallowed"} {
			samples, _ := filepath.Glob(filepath.Join(pd, "testdata", want+"*"))
			if len(samples) == 0 {
				problems = append(problems, fmt.Sprintf("%s: needs testdata/%s.yaml or .json samples", pd, want))
			}
		}
	}
	return problems
}
