package policy

import (
	"context"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/tester"
)

const policiesDir = "../../policies"

// TestRegoPolicies runs every test_ rule under policies/ with OPA's tester,
// against the same data document the gate uses, one Go subtest per Rego test.
func TestRegoPolicies(t *testing.T) {
	t.Parallel()
	modules, err := parseModules(policiesDir, true)
	if err != nil {
		t.Fatal(err)
	}
	store, err := loadData(policiesDir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	runner := tester.NewRunner().
		SetCompiler(ast.NewCompiler().WithDefaultRegoVersion(ast.RegoV1).WithEnablePrintStatements(true)).
		SetStore(store).
		SetModules(modules).
		CapturePrintOutput(true).
		RaiseBuiltinErrors(true)
	ch, err := runner.RunTests(ctx, nil)
	if err != nil {
		t.Fatalf("compile policies with tests: %v", err)
	}
	n := 0
	for r := range ch {
		n++
		name := strings.TrimPrefix(r.Package, "data.") + "." + r.Name
		t.Run(name, func(t *testing.T) {
			if r.Error != nil {
				t.Fatalf("%s: error: %v", r.Location, r.Error)
			}
			if r.Fail {
				t.Fatalf("%s: failed\n%s", r.Location, r.Output)
			}
		})
	}
	if n == 0 {
		t.Fatal("no Rego tests found under policies/")
	}
}

// TestVerifyPolicies is what `make verify` runs: strict compile, opa fmt and layout.
func TestVerifyPolicies(t *testing.T) {
	t.Parallel()
	if err := Verify(policiesDir); err != nil {
		t.Fatal(err)
	}
}
