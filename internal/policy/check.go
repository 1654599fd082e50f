package policy

import (
	"context"
	"errors"
	"runtime"
	"sort"
	"sync"
	"time"
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
