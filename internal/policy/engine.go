// Package policy is the policy gate: it compiles the Rego policies under
// policies/ once, evaluates them over Kubernetes manifests, Argo CD objects
// and Terraform plan JSON, applies the exceptions kept in the CUE model, and
// reports findings as text, JSON, JUnit or SARIF.
//
// Two kinds of policy exist. Document policies (the default) see one
// document as `input`, exactly as `conftest test` would pass it. Combined
// policies (METADATA `custom.combine: true`) see every document of a run as
// an array of {"path", "contents"}, as `conftest test --combine` would, for
// rules that relate objects to each other (a PDB for a Rollout, an HPA and
// its target, a Rollout and its AnalysisTemplates).
package policy

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
)

// Levels of a finding: deny fails the check, warn is reported only.
const (
	LevelDeny = "deny"
	LevelWarn = "warn"
)

// Rule is one policy, described by its METADATA.
type Rule struct {
	ID          string `json:"id"` // package path without "data.", e.g. pod_security.privileged
	Title       string `json:"title"`
	Description string `json:"description"`
	Severity    string `json:"severity"`
	Remediation string `json:"remediation"`
	Combined    bool   `json:"combined,omitempty"`
	// Kinds, from METADATA custom.kinds, are the only Kubernetes kinds the
	// policy reads; the engine evaluates it on those kinds only. Empty means
	// every kind. The policy still checks input.kind itself (conftest does
	// not know about kinds).
	Kinds []string `json:"kinds,omitempty"`
	File  string   `json:"-"`
}

// Engine holds the compiled policies. It is safe for concurrent use.
type Engine struct {
	rules     map[string]*Rule
	byKind    map[string]*preparedSet // document policies for one Kubernetes kind
	anyKind   *preparedSet            // document policies for kinds no policy names
	planQuery *preparedSet            // document policies for Terraform plans
	combined  *preparedSet
	workers   int
}

// preparedSet is one prepared query that returns, in order, the result sets
// of several deny/warn rules; refs says which rule and level each one is.
type preparedSet struct {
	query rego.PreparedEvalQuery
	refs  []ruleRef
}

type ruleRef struct {
	rule  *Rule
	level string
}

// Options configures Load.
type Options struct {
	// Dir is the policies folder: *.rego (tests excluded) and data/*.json.
	Dir string
	// Workers bounds parallel evaluation; 0 means GOMAXPROCS.
	Workers int

	ignoreKinds bool // tests: evaluate every document policy on every kind
}

// planArea is the policies/ folder whose policies read Terraform plans.
const planArea = "terraform"

var validSeverities = []string{"critical", "high", "medium", "low"}

// Load parses and compiles the policies once and prepares the queries.
func Load(ctx context.Context, opts Options) (*Engine, error) {
	modules, err := parseModules(opts.Dir, false)
	if err != nil {
		return nil, err
	}
	store, err := loadData(opts.Dir)
	if err != nil {
		return nil, err
	}
	compiler := ast.NewCompiler().
		WithEnablePrintStatements(false).
		WithDefaultRegoVersion(ast.RegoV1)
	compiler.Compile(modules)
	if compiler.Failed() {
		return nil, fmt.Errorf("compile policies: %w", compiler.Errors)
	}
	rules, refs, err := discoverRules(modules)
	if err != nil {
		return nil, err
	}
	e := &Engine{rules: rules, workers: opts.Workers}
	if e.workers <= 0 {
		e.workers = runtime.GOMAXPROCS(0)
	}
	// Policies under policies/terraform/ read plans; all others read
	// Kubernetes objects. Each document is evaluated only against its
	// family's query (the policies still guard on input shape themselves,
	// so conftest, which has no such split, gives the same results).
	var docRefs, planRefs, combinedRefs []ruleRef
	for _, r := range refs {
		switch {
		case r.rule.Combined:
			combinedRefs = append(combinedRefs, r)
		case strings.HasPrefix(r.rule.ID, planArea+"."):
			planRefs = append(planRefs, r)
		default:
			docRefs = append(docRefs, r)
		}
	}
	if opts.ignoreKinds {
		for _, r := range docRefs {
			r.rule.Kinds = nil
		}
	}
	if err := e.prepareKinds(ctx, compiler, store, docRefs); err != nil {
		return nil, err
	}
	if e.planQuery, err = prepare(ctx, compiler, store, planRefs); err != nil {
		return nil, err
	}
	if e.combined, err = prepare(ctx, compiler, store, combinedRefs); err != nil {
		return nil, err
	}
	return e, nil
}

// prepareKinds prepares one query per Kubernetes kind that some policy
// names in custom.kinds, holding the policies for that kind plus those that
// name no kinds, and one query for all other kinds. A ConfigMap then costs
// nothing when no policy reads ConfigMaps.
func (e *Engine) prepareKinds(ctx context.Context, compiler *ast.Compiler, store storage.Store, refs []ruleRef) error {
	var anyKind []ruleRef
	kinds := map[string]bool{}
	for _, r := range refs {
		if len(r.rule.Kinds) == 0 {
			anyKind = append(anyKind, r)
		}
		for _, k := range r.rule.Kinds {
			kinds[k] = true
		}
	}
	var err error
	if e.anyKind, err = prepare(ctx, compiler, store, anyKind); err != nil {
		return err
	}
	e.byKind = map[string]*preparedSet{}
	for kind := range kinds {
		var set []ruleRef
		for _, r := range refs {
			if len(r.rule.Kinds) == 0 || slices.Contains(r.rule.Kinds, kind) {
				set = append(set, r)
			}
		}
		if e.byKind[kind], err = prepare(ctx, compiler, store, set); err != nil {
			return err
		}
	}
	return nil
}

// queryFor picks the prepared query for a document.
func (e *Engine) queryFor(d *Document) *preparedSet {
	if d.Plan {
		return e.planQuery
	}
	if q, ok := e.byKind[d.Kind]; ok {
		return q
	}
	return e.anyKind
}

// Rules returns the loaded policies sorted by id.
func (e *Engine) Rules() []*Rule {
	out := make([]*Rule, 0, len(e.rules))
	for _, r := range e.rules {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Rule returns one policy by id.
func (e *Engine) Rule(id string) (*Rule, bool) {
	r, ok := e.rules[id]
	return r, ok
}
