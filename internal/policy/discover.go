package policy

// Discovery: each policy's METADATA becomes a Rule and a query to prepare.

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// discoverRules finds every package that defines deny or warn, reads its
// package METADATA and returns the rules plus the refs to query.
func discoverRules(modules map[string]*ast.Module) (map[string]*Rule, []ruleRef, error) {
	rules := map[string]*Rule{}
	var refs []ruleRef
	var problems []string
	paths := make([]string, 0, len(modules))
	for p := range modules {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, file := range paths {
		m := modules[file]
		levels := map[string]bool{}
		for _, r := range m.Rules {
			name := r.Head.Ref()[0].Value.String()
			if name == LevelDeny || name == LevelWarn {
				levels[name] = true
			}
		}
		if len(levels) == 0 {
			continue
		}
		id := strings.TrimPrefix(m.Package.Path.String(), "data.")
		if prev, dup := rules[id]; dup {
			problems = append(problems, fmt.Sprintf("%s: package %s is also defined in %s; one file per policy", file, id, prev.File))
			continue
		}
		rule := &Rule{ID: id, File: file}
		var ann *ast.Annotations
		for _, a := range m.Annotations {
			if a.Scope == "package" {
				ann = a
			}
		}
		if ann == nil {
			problems = append(problems, fmt.Sprintf("%s: policy %s has no package METADATA", file, id))
			continue
		}
		rule.Title = ann.Title
		rule.Description = strings.TrimSpace(ann.Description)
		rule.Severity, _ = ann.Custom["severity"].(string)
		rule.Remediation, _ = ann.Custom["remediation"].(string)
		rule.Remediation = strings.TrimSpace(rule.Remediation)
		rule.Combined, _ = ann.Custom["combine"].(bool)
		if kinds, ok := ann.Custom["kinds"].([]any); ok {
			for _, k := range kinds {
				if ks, ok := k.(string); ok && ks != "" {
					rule.Kinds = append(rule.Kinds, ks)
				} else {
					problems = append(problems, fmt.Sprintf("%s: METADATA of %s: custom.kinds must list kind names", file, id))
				}
			}
		} else if ann.Custom["kinds"] != nil {
			problems = append(problems, fmt.Sprintf("%s: METADATA of %s: custom.kinds must be a list", file, id))
		}
		switch {
		case rule.Title == "":
			problems = append(problems, fmt.Sprintf("%s: METADATA of %s lacks title", file, id))
		case rule.Description == "":
			problems = append(problems, fmt.Sprintf("%s: METADATA of %s lacks description", file, id))
		case !slices.Contains(validSeverities, rule.Severity):
			problems = append(problems, fmt.Sprintf("%s: METADATA of %s: custom.severity must be one of %v", file, id, validSeverities))
		case rule.Remediation == "":
			problems = append(problems, fmt.Sprintf("%s: METADATA of %s lacks custom.remediation", file, id))
		}
		rules[id] = rule
		for _, level := range []string{LevelDeny, LevelWarn} {
			if levels[level] {
				refs = append(refs, ruleRef{rule: rule, level: level})
			}
		}
	}
	if len(problems) > 0 {
		return nil, nil, errors.New(strings.Join(problems, "\n"))
	}
	return rules, refs, nil
}
