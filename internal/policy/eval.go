package policy

// Preparation and evaluation of one set of queries, and the findings they yield.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
)

// prepare builds one query returning all rule result sets as an array, so a
// document costs one evaluation whatever the number of policies.
func prepare(ctx context.Context, compiler *ast.Compiler, store storage.Store, refs []ruleRef) (*preparedSet, error) {
	if len(refs) == 0 {
		return &preparedSet{}, nil
	}
	terms := make([]string, len(refs))
	for i, r := range refs {
		terms[i] = "data." + r.rule.ID + "." + r.level
	}
	q := "result := [" + strings.Join(terms, ", ") + "]"
	pq, err := rego.New(
		rego.Query(q),
		rego.Compiler(compiler),
		rego.Store(store),
		rego.StoreReadAST(true),
		rego.SetRegoVersion(ast.RegoV1),
	).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("prepare policy query: %w", err)
	}
	return &preparedSet{query: pq, refs: refs}, nil
}

// rawFinding is what a policy returns: a message, optionally naming the
// resource (combined and Terraform policies do) and the container.
type rawFinding struct {
	Msg       string `json:"msg"`
	Path      string `json:"path"`
	Container string `json:"container"`
	Resource  struct {
		Kind      string `json:"kind"`
		Namespace string `json:"namespace"`
		Name      string `json:"name"`
	} `json:"resource"`
}

// eval runs a prepared set over one input and returns findings without
// location; the caller fills in file, line and resource.
func (p *preparedSet) eval(ctx context.Context, input ast.Value) ([]Finding, error) {
	if len(p.refs) == 0 {
		return nil, nil
	}
	rs, err := p.query.Eval(ctx, rego.EvalParsedInput(input))
	if err != nil {
		return nil, err
	}
	if len(rs) != 1 {
		return nil, fmt.Errorf("policy query returned %d results, want 1", len(rs))
	}
	sets, ok := rs[0].Bindings["result"].([]any)
	if !ok || len(sets) != len(p.refs) {
		return nil, fmt.Errorf("policy query returned %T, want %d result sets", rs[0].Bindings["result"], len(p.refs))
	}
	var out []Finding
	for i, set := range sets {
		items, _ := set.([]any)
		ref := p.refs[i]
		for _, item := range items {
			raw, err := toRaw(item)
			if err != nil {
				return nil, fmt.Errorf("policy %s %s: %w", ref.rule.ID, ref.level, err)
			}
			out = append(out, Finding{
				Rule:        ref.rule.ID,
				Level:       ref.level,
				Severity:    ref.rule.Severity,
				Title:       ref.rule.Title,
				Message:     raw.Msg,
				Remediation: ref.rule.Remediation,
				File:        raw.Path,
				Resource: Resource{
					Kind:      raw.Resource.Kind,
					Namespace: raw.Resource.Namespace,
					Name:      raw.Resource.Name,
					Container: raw.Container,
				},
			})
		}
	}
	return out, nil
}

func toRaw(item any) (rawFinding, error) {
	var raw rawFinding
	switch v := item.(type) {
	case string:
		raw.Msg = v
	case map[string]any:
		b, err := json.Marshal(v)
		if err != nil {
			return raw, err
		}
		if err := json.Unmarshal(b, &raw); err != nil {
			return raw, fmt.Errorf("result %s: %w", b, err)
		}
		if raw.Msg == "" {
			return raw, fmt.Errorf("result %s has no msg", b)
		}
	default:
		return raw, fmt.Errorf("result must be a string or an object with msg, got %T", item)
	}
	return raw, nil
}
