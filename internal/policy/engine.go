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
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
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

// Check evaluates every policy over docs: document policies on each document
// in parallel, combined policies once over all documents. Findings come back
// sorted by file, line, rule and message.
func (e *Engine) Check(ctx context.Context, docs []*Document) ([]Finding, error) {
	findings, err := e.checkDocuments(ctx, docs)
	if err != nil {
		return nil, err
	}
	combined, err := e.checkCombined(ctx, docs)
	if err != nil {
		return nil, err
	}
	findings = append(findings, combined...)
	SortFindings(findings)
	return findings, nil
}

// checkDocuments evaluates the document policies on each document, in
// parallel: the prepared query is safe for concurrent use.
func (e *Engine) checkDocuments(ctx context.Context, docs []*Document) ([]Finding, error) {
	var (
		mu       sync.Mutex
		findings []Finding
		firstErr error
		wg       sync.WaitGroup
	)
	jobs := make(chan *Document)
	workers := min(e.workers, max(len(docs), 1))
	for range workers {
		wg.Go(func() {
			for d := range jobs {
				fs, err := e.queryFor(d).eval(ctx, d.value)
				if err != nil {
					err = fmt.Errorf("%s:%d: evaluate policies: %w", d.Path, d.Line, err)
				}
				for i := range fs {
					d.locate(&fs[i])
				}
				mu.Lock()
				findings = append(findings, fs...)
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		})
	}
	for _, d := range docs {
		jobs <- d
	}
	close(jobs)
	wg.Wait()
	return findings, firstErr
}

// checkCombined evaluates the combined policies once over all documents.
func (e *Engine) checkCombined(ctx context.Context, docs []*Document) ([]Finding, error) {
	var findings []Finding
	if len(e.combined.refs) > 0 && len(docs) > 0 {
		entries := make([]*ast.Term, 0, len(docs))
		for _, d := range docs {
			if d.Plan {
				continue // combined policies relate Kubernetes objects
			}
			entries = append(entries, ast.ObjectTerm(
				ast.Item(ast.StringTerm("path"), ast.StringTerm(d.Path)),
				ast.Item(ast.StringTerm("contents"), ast.NewTerm(d.value)),
			))
		}
		fs, err := e.combined.eval(ctx, ast.NewArray(entries...))
		if err != nil {
			return nil, fmt.Errorf("evaluate combined policies: %w", err)
		}
		byKey := indexDocs(docs)
		for i := range fs {
			f := &fs[i]
			if d := byKey[docKey{f.File, f.Resource.Kind, f.Resource.Namespace, f.Resource.Name}]; d != nil {
				d.locate(f)
			}
		}
		findings = append(findings, fs...)
	}
	return findings, nil
}

type docKey struct{ path, kind, namespace, name string }

func indexDocs(docs []*Document) map[docKey]*Document {
	m := make(map[docKey]*Document, len(docs))
	for _, d := range docs {
		k := docKey{d.Path, d.Kind, d.Namespace, d.Name}
		if _, dup := m[k]; !dup {
			m[k] = d
		}
	}
	return m
}

// SortFindings orders findings by file, line, rule, resource and message so
// that reports are stable across runs.
func SortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		if a.Resource != b.Resource {
			return a.Resource.String() < b.Resource.String()
		}
		return a.Message < b.Message
	})
}
