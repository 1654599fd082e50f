package tfdocs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestModuleREADMEsAreCurrent fails when a module's variables or outputs changed
// without `go run ./cmd/tfdocs` (in terraform/test).
func TestModuleREADMEsAreCurrent(t *testing.T) {
	dirs, err := filepath.Glob("../../modules/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no modules found: %v", err)
	}
	for _, d := range dirs {
		stale, err := Update(d, true)
		if err != nil {
			t.Errorf("%s: %v", d, err)
			continue
		}
		if stale {
			t.Errorf("%s/README.md is stale: run go run ./cmd/tfdocs in terraform/test", d)
		}
	}
}

func TestRenderRejectsUndocumentedVariables(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("outputs.tf", "")
	write("variables.tf", "variable \"x\" {\n  type = string\n}\n")
	if _, err := Render(dir); err == nil || !strings.Contains(err.Error(), `variable "x" has no description`) {
		t.Errorf("want an error naming the undocumented variable, got %v", err)
	}
	write("variables.tf", "variable \"x\" {\n  description = \"an x\"\n  type = number\n  default = 3\n  validation {\n    condition = var.x > 0\n    error_message = \"positive\"\n  }\n}\n")
	got, err := Render(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, "| `x` | an x (validated: 1 rule) | `number` | `3` | no |") {
		t.Errorf("unexpected table:\n%s", got)
	}
}
