// Package ciaudit checks GitHub Actions workflow files for what a security
// review asks of them, beside actionlint (which checks syntax and
// expressions, not policy):
//
//   - every action pinned by a full commit SHA, with the version in a
//     comment on the same line (`uses: owner/repo@<40 hex> # v1.2.3`), so
//     a moved tag cannot change what runs and Renovate can still bump it;
//   - a top-level `permissions` that grants no write, and an explicit
//     `permissions` on every job (least privilege per job);
//   - `id-token: write` only in a job that uses it: one that assumes a
//     cloud role or signs keylessly (OIDCActions);
//   - a workflow-level `concurrency` group and `timeout-minutes` on every
//     job (GitHub's default is 6 hours).
package ciaudit

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Problem is one finding, with the file line it is on.
type Problem struct {
	File string
	Line int
	Msg  string
}

func (p Problem) String() string { return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg) }

// OIDCActions are the actions that use the job's OIDC token; a job granted
// id-token: write must use one of them.
var OIDCActions = []string{
	"aws-actions/configure-aws-credentials",
	"sigstore/cosign-installer",
}

var (
	pinnedRef     = regexp.MustCompile(`^[^@\s]+@[0-9a-f]{40}$`)
	versionNote   = regexp.MustCompile(`^#\s*v?\d+(\.\d+){0,2}\S*$`)
	dockerDigest  = regexp.MustCompile(`^docker://[^@\s]+@sha256:[0-9a-f]{64}$`)
	writeScopeVal = "write"
)

// Audit returns the problems of one workflow file (name is used in the
// problems only). A file that is not YAML is one problem.
func Audit(name string, data []byte) []Problem {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return []Problem{{File: name, Line: 1, Msg: "not YAML: " + err.Error()}}
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return []Problem{{File: name, Line: 1, Msg: "not a workflow: the document is not a mapping"}}
	}
	a := &auditor{file: name}
	top := doc.Content[0]

	if k, perms := lookup(top, "permissions"); perms == nil {
		a.add(top, "no top-level permissions: set `permissions: {}` or read-only scopes, and grant more per job")
	} else {
		for _, s := range writeScopes(perms) {
			a.add(k, fmt.Sprintf("top-level permissions grant %s: write, which every job inherits; grant it only in the jobs that need it", s))
		}
	}
	if k, c := lookup(top, "concurrency"); c == nil {
		a.add(top, "no workflow-level concurrency: two runs of one ref would race")
	} else if c.Kind == yaml.MappingNode {
		if _, g := lookup(c, "group"); g == nil {
			a.add(k, "concurrency has no group")
		}
	}

	_, jobs := lookup(top, "jobs")
	if jobs == nil || jobs.Kind != yaml.MappingNode {
		a.add(top, "no jobs")
		return a.sorted()
	}
	for i := 0; i+1 < len(jobs.Content); i += 2 {
		a.job(jobs.Content[i].Value, jobs.Content[i], jobs.Content[i+1])
	}
	return a.sorted()
}

type auditor struct {
	file     string
	problems []Problem
}

func (a *auditor) add(n *yaml.Node, msg string) {
	a.problems = append(a.problems, Problem{File: a.file, Line: n.Line, Msg: msg})
}

func (a *auditor) sorted() []Problem {
	sort.SliceStable(a.problems, func(i, j int) bool { return a.problems[i].Line < a.problems[j].Line })
	return a.problems
}

func (a *auditor) job(id string, key, job *yaml.Node) {
	if job.Kind != yaml.MappingNode {
		a.add(key, fmt.Sprintf("job %s is not a mapping", id))
		return
	}
	var uses []string                          // actions this job runs
	if k, u := lookup(job, "uses"); u != nil { // a reusable workflow
		a.pin(id, k, u)
		uses = append(uses, u.Value)
	} else if _, t := lookup(job, "timeout-minutes"); t == nil {
		a.add(key, fmt.Sprintf("job %s has no timeout-minutes (the default is 360)", id))
	}
	if _, steps := lookup(job, "steps"); steps != nil {
		for _, step := range steps.Content {
			if k, u := lookup(step, "uses"); u != nil {
				a.pin(id, k, u)
				uses = append(uses, u.Value)
			}
		}
	}
	k, perms := lookup(job, "permissions")
	if perms == nil {
		a.add(key, fmt.Sprintf("job %s has no permissions of its own: grant exactly what it needs (contents: read at least)", id))
		return
	}
	if perms.Kind == yaml.ScalarNode && perms.Value == "write-all" {
		a.add(k, fmt.Sprintf("job %s is granted write-all: list the scopes it needs", id))
	}
	if slices.Contains(writeScopes(perms), "id-token") && !slices.ContainsFunc(uses, usesOIDC) {
		a.add(k, fmt.Sprintf("job %s is granted id-token: write but runs none of %s", id, strings.Join(OIDCActions, ", ")))
	}
}

func usesOIDC(ref string) bool {
	name, _, _ := strings.Cut(ref, "@")
	return slices.Contains(OIDCActions, name)
}

// pin checks one `uses:` value.
func (a *auditor) pin(job string, key, v *yaml.Node) {
	ref := v.Value
	switch {
	case strings.HasPrefix(ref, "./"): // an action or workflow of this repository, pinned by the checkout
		return
	case strings.HasPrefix(ref, "docker://"):
		if !dockerDigest.MatchString(ref) {
			a.add(key, fmt.Sprintf("job %s: %s is not pinned by sha256 digest", job, ref))
		}
		return
	case !pinnedRef.MatchString(ref):
		a.add(key, fmt.Sprintf("job %s: %s is not pinned by a full commit SHA", job, ref))
	case !versionNote.MatchString(strings.TrimSpace(v.LineComment)):
		a.add(key, fmt.Sprintf("job %s: %s has no version comment (# vX.Y.Z) for reviewers and Renovate", job, ref))
	}
}

// writeScopes lists the scopes a permissions value grants write to;
// write-all grants every scope.
func writeScopes(perms *yaml.Node) []string {
	switch perms.Kind {
	case yaml.ScalarNode:
		if perms.Value == "write-all" {
			return []string{"every scope (write-all)"}
		}
	case yaml.MappingNode:
		var out []string
		for i := 0; i+1 < len(perms.Content); i += 2 {
			if perms.Content[i+1].Value == writeScopeVal {
				out = append(out, perms.Content[i].Value)
			}
		}
		return out
	}
	return nil
}

// lookup returns the key and value nodes of key in mapping m.
func lookup(m *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}
