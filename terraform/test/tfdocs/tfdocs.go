// Package tfdocs writes the Inputs and Outputs tables of a module's README.md from its
// variables.tf and outputs.tf, between the markers BEGIN_TF_DOCS and END_TF_DOCS, so
// that the README cannot drift from the code.
package tfdocs

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

const (
	begin = "<!-- BEGIN_TF_DOCS -->"
	end   = "<!-- END_TF_DOCS -->"
)

type variable struct {
	name, typ, description, def string
	required                    bool
	validations                 int
}

type output struct{ name, description string }

// Render returns the Markdown between the markers for the module in dir.
func Render(dir string) (string, error) {
	vars, err := variables(filepath.Join(dir, "variables.tf"))
	if err != nil {
		return "", err
	}
	outs, err := outputs(filepath.Join(dir, "outputs.tf"))
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("## Inputs\n\n| Name | Description | Type | Default | Required |\n|------|-------------|------|---------|:--------:|\n")
	for _, v := range vars {
		def := "n/a"
		if !v.required {
			def = "`" + oneLine(v.def) + "`"
		}
		req := "no"
		if v.required {
			req = "yes"
		}
		desc := v.description
		if v.validations > 0 {
			desc += fmt.Sprintf(" (validated: %d rule%s)", v.validations, plural(v.validations))
		}
		fmt.Fprintf(&b, "| `%s` | %s | `%s` | %s | %s |\n", v.name, cell(desc), cell(oneLine(v.typ)), cell(def), req)
	}
	b.WriteString("\n## Outputs\n\n| Name | Description |\n|------|-------------|\n")
	for _, o := range outs {
		fmt.Fprintf(&b, "| `%s` | %s |\n", o.name, cell(o.description))
	}
	return b.String(), nil
}

// Update rewrites the marked part of dir/README.md; with check it only reports
// whether the README is stale.
func Update(dir string, check bool) (stale bool, err error) {
	readme := filepath.Join(dir, "README.md")
	old, err := os.ReadFile(readme)
	if err != nil {
		return false, err
	}
	i, j := bytes.Index(old, []byte(begin)), bytes.Index(old, []byte(end))
	if i < 0 || j < i {
		return false, fmt.Errorf("%s: no %s ... %s markers", readme, begin, end)
	}
	body, err := Render(dir)
	if err != nil {
		return false, err
	}
	updated := string(old[:i]) + begin + "\n" + body + end + string(old[j+len(end):])
	if updated == string(old) {
		return false, nil
	}
	if check {
		return true, nil
	}
	return true, os.WriteFile(readme, []byte(updated), 0o644)
}

func parse(path string) (*hclsyntax.Body, []byte, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	f, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, nil, fmt.Errorf("%s: %s", path, diags.Error())
	}
	return f.Body.(*hclsyntax.Body), src, nil
}

func text(src []byte, e hclsyntax.Expression) string {
	r := e.Range()
	return strings.TrimSpace(string(src[r.Start.Byte:r.End.Byte]))
}

// str is the value of a literal string expression, or its source text otherwise.
func str(src []byte, e hclsyntax.Expression) string {
	v, diags := e.Value(nil)
	if diags.HasErrors() || v.IsNull() || !v.IsKnown() || !v.Type().Equals(cty.String) {
		return text(src, e)
	}
	return v.AsString()
}

func variables(path string) ([]variable, error) {
	body, src, err := parse(path)
	if err != nil {
		return nil, err
	}
	var out []variable
	for _, blk := range body.Blocks {
		if blk.Type != "variable" || len(blk.Labels) != 1 {
			continue
		}
		v := variable{name: blk.Labels[0], required: true}
		if a, ok := blk.Body.Attributes["type"]; ok {
			v.typ = text(src, a.Expr)
		} else {
			return nil, fmt.Errorf("%s: variable %q has no type", path, v.name)
		}
		if a, ok := blk.Body.Attributes["description"]; ok {
			v.description = str(src, a.Expr)
		} else {
			return nil, fmt.Errorf("%s: variable %q has no description", path, v.name)
		}
		if a, ok := blk.Body.Attributes["default"]; ok {
			v.required = false
			v.def = text(src, a.Expr)
		}
		for _, nb := range blk.Body.Blocks {
			if nb.Type == "validation" {
				v.validations++
			}
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

func outputs(path string) ([]output, error) {
	body, src, err := parse(path)
	if err != nil {
		return nil, err
	}
	var out []output
	for _, blk := range body.Blocks {
		if blk.Type != "output" || len(blk.Labels) != 1 {
			continue
		}
		o := output{name: blk.Labels[0]}
		a, ok := blk.Body.Attributes["description"]
		if !ok {
			return nil, fmt.Errorf("%s: output %q has no description", path, o.name)
		}
		o.description = str(src, a.Expr)
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func cell(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", "\\|"), "\n", " ") }

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
