package renderdiff

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// newRepo makes a git repository holding the real CUE model and chart on
// branch main, so Compare can render refs from it.
func newRepo(t *testing.T) string {
	t.Helper()
	src, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	repo := t.TempDir()
	for _, dir := range []string{"cue", "apps/charts", "policies/data"} {
		copyTree(t, filepath.Join(src, dir), filepath.Join(repo, dir))
	}
	run(t, repo, "git", "init", "-q", "-b", "main")
	run(t, repo, "git", "add", ".")
	run(t, repo, "git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "base")
	return repo
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
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

func run(t *testing.T, dir, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

func edit(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s lacks %q", path, old)
	}
	if err := os.WriteFile(path, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

type fileKey struct{ Path, Env, Service, Status string }

func keys(rep *Report) []fileKey {
	var out []fileKey
	for _, f := range rep.Files {
		out = append(out, fileKey{f.Path, f.Env, f.Service, f.Status})
	}
	return out
}

// TestCompare: a working-tree edit to the prod canary of one service shows
// up as exactly that service's prod files; committing it on a branch and
// comparing refs gives the same; the markdown has the per-environment
// summary.
func TestCompare(t *testing.T) {
	repo := newRepo(t)
	services := filepath.Join(repo, "cue/config/services.cue")
	// A prod-only override for store: a slower canary.
	edit(t, services, "services: store: _defaults & _database & {\n",
		"services: store: _defaults & _database & {\n\toverrides: prod: canary: pause: \"10m\"\n")

	rep, err := Compare(Options{Repo: repo})
	if err != nil {
		t.Fatal(err)
	}
	want := []fileKey{
		{"environments/prod/store/manifests.gen.yaml", "prod", "store", "changed"},
		{"environments/prod/store/rollout.gen.yaml", "prod", "store", "changed"},
		{"environments/prod/store/values.gen.yaml", "prod", "store", "changed"},
	}
	if diff := cmp.Diff(want, keys(rep)); diff != "" {
		t.Fatalf("working tree diff (-want +got):\n%s", diff)
	}
	for _, f := range rep.Files {
		// three pauses between the four prod steps
		if n := len(regexp.MustCompile(`(?m)^\+\s+duration: 10m$`).FindAllString(f.Unified, -1)); n != 3 || f.Added != 3 || f.Removed != 3 {
			t.Errorf("%s: %d new pauses, +%d -%d; want 3, +3 -3:\n%s", f.Path, n, f.Added, f.Removed, f.Unified)
		}
	}

	run(t, repo, "git", "checkout", "-q", "-b", "slow-canary")
	run(t, repo, "git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-am", "slow canary")
	refs, err := Compare(Options{Repo: repo, Base: "main", Head: "slow-canary"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(keys(rep), keys(refs)); diff != "" {
		t.Errorf("ref diff differs from working tree diff:\n%s", diff)
	}

	var md bytes.Buffer
	if err := WriteMarkdown(&md, refs); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"| dev | none | no change | |", "| prod | store | 3 changed | +9 −9 |", "<summary>prod: store (3 files, +9 −9)</summary>", "```diff"} {
		if !strings.Contains(md.String(), s) {
			t.Errorf("markdown lacks %q:\n%s", s, md.String())
		}
	}

	// --env limits both sides.
	devOnly, err := Compare(Options{Repo: repo, Base: "main", Head: "slow-canary", Envs: []string{"dev"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(devOnly.Files) != 0 {
		t.Errorf("dev-only diff has %d files, want 0", len(devOnly.Files))
	}
}

// TestCompareBeforeTheModel: a base ref without cue/ renders to nothing,
// so every file shows as added.
func TestCompareBeforeTheModel(t *testing.T) {
	repo := t.TempDir()
	run(t, repo, "git", "init", "-q", "-b", "main")
	if err := os.WriteFile(filepath.Join(repo, "README"), []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, repo, "git", "add", ".")
	run(t, repo, "git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "empty")
	src, _ := filepath.Abs("../..")
	for _, dir := range []string{"cue", "apps/charts", "policies/data"} {
		copyTree(t, filepath.Join(src, dir), filepath.Join(repo, dir))
	}
	rep, err := Compare(Options{Repo: repo, Envs: []string{"dev"}})
	if err != nil {
		t.Fatal(err)
	}
	// Every file the checkout has rendered for dev is new to the empty repo.
	var want int
	for _, dir := range []string{"apps/dev", "environments/dev"} {
		err := filepath.WalkDir(filepath.Join(src, dir), func(_ string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				want++
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(rep.Files) != want {
		t.Errorf("%d files, want the %d rendered for dev", len(rep.Files), want)
	}
	for _, f := range rep.Files {
		if f.Status != "added" || f.Removed != 0 || !strings.HasPrefix(f.Unified, "===== ") || strings.Contains(f.Unified, "\n-") {
			t.Errorf("%s: status %s, -%d", f.Path, f.Status, f.Removed)
		}
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	for p, want := range map[string][2]string{
		"environments/prod/order/manifests.gen.yaml":             {"prod", "order"},
		"environments/dev/_platform/karpenter.gen.yaml":          {"dev", AddOns},
		"apps/staging/addons/argo-rollouts.application.gen.yaml": {"staging", AddOns},
		"apps/staging/addons.application.gen.yaml":               {"staging", AddOns},
		"apps/dev/payment.application.gen.yaml":                  {"dev", "payment"},
		"apps/dev/root.application.gen.yaml":                     {"dev", ""},
		"apps/dev/project.gen.yaml":                              {"dev", ""},
	} {
		if env, svc := classify(p); env != want[0] || svc != want[1] {
			t.Errorf("classify(%s) = %q, %q; want %q, %q", p, env, svc, want[0], want[1])
		}
	}
}
