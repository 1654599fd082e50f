// Package renderdiff shows what a change to the CUE model does to the
// rendered tree: it renders two revisions (a git ref, or the working tree)
// in memory and diffs the results per environment and service, as a unified
// diff or as Markdown for a pull-request comment.
package renderdiff

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bloody-sweet/platform/internal/cliexit"
	"github.com/bloody-sweet/platform/internal/render"
)

// Options says what to compare.
type Options struct {
	Repo string   // repository root (the working tree)
	Base string   // git ref; "" means the merge-base of HEAD and main
	Head string   // git ref; "" means the working tree
	Envs []string // limit to these environments; empty means all
}

// FileDiff is the difference of one rendered file.
type FileDiff struct {
	Path    string
	Env     string
	Service string // "" for the environment's project and root app
	Status  string // "added", "removed" or "changed"
	Unified string // per object: "===== <group>/<Kind> <ns>/<name> in <file> =====" and its hunks
	Added   int
	Removed int
}

// Report is the whole comparison.
type Report struct {
	BaseLabel, HeadLabel string
	Envs                 []string
	Files                []FileDiff
}

// Compare renders both sides and diffs them.
func Compare(opts Options) (*Report, error) {
	base := opts.Base
	if base == "" {
		mb, err := mergeBase(opts.Repo)
		if err != nil {
			return nil, err
		}
		base = mb
	}
	baseFiles, err := renderRef(opts.Repo, base, opts.Envs)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", base, err)
	}
	var headFiles map[string][]byte
	headLabel := "working tree"
	if opts.Head == "" {
		res, err := render.Render(render.Options{Root: opts.Repo, Envs: opts.Envs})
		if err != nil {
			return nil, fmt.Errorf("render working tree: %w", err)
		}
		headFiles = res.Files
	} else {
		headLabel = opts.Head
		headFiles, err = renderRef(opts.Repo, opts.Head, opts.Envs)
		if err != nil {
			return nil, fmt.Errorf("render %s: %w", opts.Head, err)
		}
	}
	rep := diffTrees(baseFiles, headFiles)
	rep.BaseLabel, rep.HeadLabel = shortRef(base), shortRef(headLabel)
	if opts.Base == "" {
		rep.BaseLabel = "merge-base " + shortRef(base)
	}
	return rep, nil
}

func diffTrees(a, b map[string][]byte) *Report {
	paths := map[string]bool{}
	envs := map[string]bool{}
	for p := range a {
		paths[p] = true
	}
	for p := range b {
		paths[p] = true
	}
	rep := &Report{}
	sorted := make([]string, 0, len(paths))
	for p := range paths {
		sorted = append(sorted, p)
		env, _ := classify(p)
		envs[env] = true
	}
	sort.Strings(sorted)
	for e := range envs {
		rep.Envs = append(rep.Envs, e)
	}
	sort.Strings(rep.Envs)
	for _, p := range sorted {
		old, inA := a[p]
		cur, inB := b[p]
		if inA && inB && bytes.Equal(old, cur) {
			continue
		}
		fd := FileDiff{Path: p, Status: "changed"}
		fd.Env, fd.Service = classify(p)
		switch {
		case !inA:
			fd.Status = "added"
		case !inB:
			fd.Status = "removed"
		}
		fd.Unified, fd.Added, fd.Removed = diffResources(p, string(old), string(cur))
		rep.Files = append(rep.Files, fd)
	}
	return rep
}

// AddOns is the group of the cluster add-ons' files in a report, in the
// place of a service name.
const AddOns = "(cluster add-ons)"

// classify maps a rendered path to its environment and service (or AddOns:
// environments/<env>/_platform/*, apps/<env>/addons/*, the add-ons' root).
func classify(p string) (env, service string) {
	parts := strings.Split(p, "/")
	switch {
	case len(parts) == 4 && parts[0] == render.EnvironmentsDir && strings.HasPrefix(parts[2], "_"):
		return parts[1], AddOns
	case len(parts) == 4 && parts[0] == render.EnvironmentsDir:
		return parts[1], parts[2]
	case len(parts) == 4 && parts[0] == render.AppsDir && parts[2] == "addons":
		return parts[1], AddOns
	case len(parts) == 3 && parts[0] == render.AppsDir && parts[2] == "addons.application.gen.yaml":
		return parts[1], AddOns
	case len(parts) == 3 && parts[0] == render.AppsDir:
		if svc, ok := strings.CutSuffix(parts[2], ".application.gen.yaml"); ok && svc != "root" {
			return parts[1], svc
		}
		return parts[1], ""
	}
	return "", ""
}

// renderRef renders the model and chart as they are at ref: cue/ and the
// chart are extracted from git into a temp dir. A ref without a model (the
// history before it existed) renders to nothing.
func renderRef(repo, ref string, envs []string) (map[string][]byte, error) {
	tmp, err := os.MkdirTemp("", "platform-diff-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	has, err := git(repo, "ls-tree", "--name-only", ref, "--", render.CUEDir+"/templates")
	if err != nil {
		return nil, cliexit.BadInputf("unknown git ref %q: %v", ref, err)
	}
	if strings.TrimSpace(string(has)) == "" {
		return map[string][]byte{}, nil
	}
	paths := []string{render.CUEDir, render.ChartDir}
	// the metric catalog the dashboards are checked against, once the ref
	// has one.
	if cat, err := git(repo, "ls-tree", "--name-only", ref, "--", render.CatalogDir); err == nil && strings.TrimSpace(string(cat)) != "" {
		paths = append(paths, render.CatalogDir)
	}
	archive, err := git(repo, append([]string{"archive", "--format=tar", ref, "--"}, paths...)...)
	if err != nil {
		return nil, err
	}
	if err := untar(bytes.NewReader(archive), tmp); err != nil {
		return nil, fmt.Errorf("extract %s: %w", ref, err)
	}
	res, err := render.Render(render.Options{Root: tmp, Envs: envs})
	if err != nil {
		return nil, err
	}
	return res.Files, nil
}

func untar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := path.Clean(h.Name)
		if strings.HasPrefix(name, "..") || path.IsAbs(name) {
			return fmt.Errorf("unsafe path %q in archive", h.Name)
		}
		target := filepath.Join(dir, filepath.FromSlash(name))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			b, err := io.ReadAll(tr)
			if err != nil {
				return err
			}
			if err := os.WriteFile(target, b, 0o644); err != nil {
				return err
			}
		}
	}
}

// mergeBase finds where the current branch left main (or origin/main, as
// in a CI checkout).
func mergeBase(repo string) (string, error) {
	var lastErr error
	for _, main := range []string{"main", "origin/main"} {
		out, err := git(repo, "merge-base", "HEAD", main)
		if err == nil {
			return strings.TrimSpace(string(out)), nil
		}
		lastErr = err
	}
	return "", cliexit.BadInputf("no merge-base with main or origin/main (pass --base): %v", lastErr)
}

func git(repo string, args ...string) ([]byte, error) {
	cmd := exec.Command("git", append([]string{"-C", repo}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// shortRef abbreviates a full commit hash; names stay as they are.
func shortRef(ref string) string {
	if len(ref) == 40 && strings.Trim(ref, "0123456789abcdef") == "" {
		return ref[:12]
	}
	return ref
}
