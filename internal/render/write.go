package render

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Change is one difference between a Result and the files on disk.
type Change struct {
	Path string
	Kind string // "add", "update" or "delete"
}

// Plan compares res with the tree under root. Only *.gen.yaml files in the
// rendered environments' directories are considered, so hand-written files
// (the chart) and other environments are never touched.
func Plan(root string, res *Result) ([]Change, error) {
	var changes []Change
	onDisk := map[string]bool{}
	for _, env := range res.Envs {
		for _, dir := range []string{path.Join(EnvironmentsDir, env), path.Join(AppsDir, env)} {
			err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				if err != nil {
					return err
				}
				if d.IsDir() || !strings.HasSuffix(d.Name(), ".gen.yaml") {
					return nil
				}
				rel, err := filepath.Rel(root, p)
				if err != nil {
					return err
				}
				onDisk[filepath.ToSlash(rel)] = true
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("scan %s: %w", dir, err)
			}
		}
	}
	for _, p := range res.Paths() {
		old, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(p)))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			changes = append(changes, Change{p, "add"})
		case err != nil:
			return nil, err
		case !bytes.Equal(old, res.Files[p]):
			changes = append(changes, Change{p, "update"})
		}
	}
	var stale []string
	for p := range onDisk {
		if _, ok := res.Files[p]; !ok {
			stale = append(stale, p)
		}
	}
	sort.Strings(stale)
	for _, p := range stale {
		changes = append(changes, Change{p, "delete"})
	}
	return changes, nil
}

// Write brings the tree under root in line with res. It is atomic in the
// way that matters for a failed render: nothing is touched until every file
// is rendered, and new contents are first written next to their targets and
// only then renamed into place, so a write error leaves the old files.
func Write(root string, res *Result) ([]Change, error) {
	changes, err := Plan(root, res)
	if err != nil {
		return nil, err
	}
	var staged []string // temp files, parallel to the add/update changes
	var targets []string
	var createdDirs []string
	cleanup := func() {
		for _, t := range staged {
			os.Remove(t)
		}
		for i := len(createdDirs) - 1; i >= 0; i-- {
			os.Remove(createdDirs[i]) // only removes it if still empty
		}
	}
	for _, c := range changes {
		if c.Kind == "delete" {
			continue
		}
		target := filepath.Join(root, filepath.FromSlash(c.Path))
		dirs, err := mkdirAll(filepath.Dir(target))
		createdDirs = append(createdDirs, dirs...)
		if err != nil {
			cleanup()
			return nil, err
		}
		f, err := os.CreateTemp(filepath.Dir(target), ".render-*.tmp")
		if err != nil {
			cleanup()
			return nil, err
		}
		staged = append(staged, f.Name())
		targets = append(targets, target)
		_, werr := f.Write(res.Files[c.Path])
		cerr := f.Close()
		if err := errors.Join(werr, cerr); err != nil {
			cleanup()
			return nil, fmt.Errorf("write %s: %w", c.Path, err)
		}
		if err := os.Chmod(f.Name(), 0o644); err != nil {
			cleanup()
			return nil, err
		}
	}
	for i, t := range staged {
		if err := os.Rename(t, targets[i]); err != nil {
			return nil, fmt.Errorf("install %s: %w", targets[i], err)
		}
	}
	for _, c := range changes {
		if c.Kind != "delete" {
			continue
		}
		target := filepath.Join(root, filepath.FromSlash(c.Path))
		if err := os.Remove(target); err != nil {
			return nil, fmt.Errorf("delete stale %s: %w", c.Path, err)
		}
		removeEmptyParents(root, filepath.Dir(target))
	}
	return changes, nil
}

// mkdirAll is os.MkdirAll that returns the directories it created, so a
// failed write can remove them again.
func mkdirAll(dir string) ([]string, error) {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	var created []string
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return created, err
		}
		created = append(created, missing[i])
	}
	return created, nil
}

// removeEmptyParents removes dir and its parents up to root while empty
// (a deleted service leaves no empty directory behind).
func removeEmptyParents(root, dir string) {
	root = filepath.Clean(root)
	for d := dir; d != root && strings.HasPrefix(d, root); d = filepath.Dir(d) {
		if os.Remove(d) != nil {
			return
		}
	}
}
