package render

import (
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// repoRoot is the repository root, two levels up from this package.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// fixtureRoot lays out a repository root in a temp dir: the real schemas,
// templates, generated schemas and chart (linked, read only) and the frozen
// model in testdata/config (copied, so a test may edit it). The tests thus
// follow the real templates but not every image bump in cue/config.
func fixtureRoot(t testing.TB) string {
	t.Helper()
	src := repoRoot(t)
	dst := t.TempDir()
	for _, dir := range []string{"cue/cue.mod", "cue/schemas", "cue/templates", "cue/kinds", "apps/charts", "policies/data"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, dir)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(src, dir), filepath.Join(dst, dir)); err != nil {
			t.Fatal(err)
		}
	}
	copyDir(t, "testdata/config", filepath.Join(dst, "cue/config"))
	return dst
}

func copyDir(t testing.TB, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, p)
		if err != nil {
			return err
		}
		target := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// snapshot reads every rendered file under root (environments/ and apps/,
// not the chart) so a test can prove nothing changed.
func snapshot(t testing.TB, root string) map[string]string {
	t.Helper()
	files := map[string]string{}
	for _, dir := range []string{"environments", "apps"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if os.IsNotExist(err) {
				return nil
			}
			if err != nil {
				return err
			}
			if p == filepath.Join(root, "apps", "charts") {
				return filepath.SkipDir // the chart is input, not output
			}
			if d.IsDir() || d.Type()&fs.ModeSymlink != 0 {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			files[p] = string(b)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return files
}
