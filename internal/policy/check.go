package policy

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/ast"
)

// Finding is one policy result about one resource.
type Finding struct {
	Rule        string     `json:"rule"`
	Level       string     `json:"level"` // deny or warn
	Severity    string     `json:"severity"`
	Title       string     `json:"title"`
	Message     string     `json:"message"`
	Remediation string     `json:"remediation,omitempty"`
	File        string     `json:"file"`
	Line        int        `json:"line,omitempty"`
	Resource    Resource   `json:"resource"`
	WaivedBy    *Exception `json:"waived_by,omitempty"` // an exception in the CUE model covers it
}

// Blocking reports whether the finding fails the check.
func (f Finding) Blocking() bool { return f.Level == LevelDeny && f.WaivedBy == nil }

// Report is the outcome of one check run.
type Report struct {
	Files       []string      `json:"files"`
	Documents   []*Document   `json:"-"`
	Findings    []Finding     `json:"findings"`
	InputErrors []*InputError `json:"input_errors,omitempty"`
}

// Counts of the report: blocking denials, warnings, waived findings.
func (r *Report) Counts() (denied, warned, waived int) {
	for _, f := range r.Findings {
		switch {
		case f.WaivedBy != nil:
			waived++
		case f.Level == LevelDeny:
			denied++
		default:
			warned++
		}
	}
	return denied, warned, waived
}

// ExitCode is 2 when some input could not be read, else 1 when something is
// denied, else 0 (warnings and waived findings do not fail the check).
func (r *Report) ExitCode() int {
	if len(r.InputErrors) > 0 {
		return 2
	}
	if denied, _, _ := r.Counts(); denied > 0 {
		return 1
	}
	return 0
}

// CheckInput says what to check.
type CheckInput struct {
	Files      []string    // YAML / JSON files (see Collect)
	Exceptions []Exception // from the CUE model
	Today      time.Time   // for exception expiry; zero means now
}

// CheckFiles parses the files in parallel (a file that does not parse is
// reported and skipped, the others are still checked), evaluates the
// policies and applies the exceptions.
func (e *Engine) CheckFiles(ctx context.Context, in CheckInput) (*Report, error) {
	rep := &Report{Files: in.Files}
	parsed := make([][]*Document, len(in.Files))
	errs := make([]error, len(in.Files))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(runtime.GOMAXPROCS(0), max(len(in.Files), 1)) {
		wg.Go(func() {
			for i := range next {
				parsed[i], errs[i] = ParseFile(in.Files[i])
			}
		})
	}
	for i := range in.Files {
		next <- i
	}
	close(next)
	wg.Wait()
	for i := range in.Files {
		if errs[i] != nil {
			var ie *InputError
			if !errors.As(errs[i], &ie) {
				ie = &InputError{File: in.Files[i], Msg: errs[i].Error()}
			}
			rep.InputErrors = append(rep.InputErrors, ie)
			continue
		}
		rep.Documents = append(rep.Documents, parsed[i]...)
	}
	findings, err := e.Check(ctx, rep.Documents)
	if err != nil {
		return nil, err
	}
	today := in.Today
	if today.IsZero() {
		today = time.Now()
	}
	rep.Findings = append(findings, e.ApplyExceptions(findings, in.Exceptions, today)...)
	SortFindings(rep.Findings)
	sort.SliceStable(rep.InputErrors, func(i, j int) bool { return rep.InputErrors[i].File < rep.InputErrors[j].File })
	return rep, nil
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
