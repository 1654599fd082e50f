package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bloody-sweet/platform/internal/cliexit"
)

// diffRepo makes a git repository (branch main) holding the real CUE model
// and chart and the metric catalog the dashboards are checked against, as
// platform diff renders them from git.
func diffRepo(t *testing.T) string {
	t.Helper()
	repo := t.TempDir()
	for _, dir := range []string{"cue", "apps/charts", "policies/data"} {
		if err := os.CopyFS(filepath.Join(repo, dir), os.DirFS(filepath.Join("../..", dir))); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"}, {"add", "."},
		{"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "base"},
	} {
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return repo
}

func TestDiffExitCodeAndColor(t *testing.T) {
	t.Parallel()
	repo := diffRepo(t)
	base := []string{"diff", "--root", repo, "--base", "main", "--env", "dev", "--exit-code"}

	out, code := runRoot(t, base...)
	if code != 0 || !strings.Contains(out, "no rendered changes") {
		t.Fatalf("no change: exit %d, want 0\n%s", code, out)
	}

	images := filepath.Join(repo, "cue/config/images.cue")
	src, err := os.ReadFile(images)
	if err != nil {
		t.Fatal(err)
	}
	bumped := regexp.MustCompile(`(order: image: tags: \{dev: )"[^"]*"`).ReplaceAll(src, []byte(`$1"9.9.9"`))
	if err := os.WriteFile(images, bumped, 0o644); err != nil {
		t.Fatal(err)
	}
	out, code = runRoot(t, base...)
	if code != cliexit.Failed {
		t.Errorf("--exit-code with differences: exit %d, want 1", code)
	}
	if !strings.Contains(out, "===== argoproj.io/Rollout orders-dev/order in environments/dev/order/manifests.gen.yaml =====\n") ||
		!strings.Contains(out, "/bloody-sweet/order:9.9.9\n") {
		t.Errorf("diff lacks the Rollout's header or the new image:\n%s", out)
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colour written to a buffer (not a terminal) with --color auto")
	}

	out, _ = runRoot(t, append(base, "--color", "always")...)
	if !strings.Contains(out, "\x1b[32m+") || !strings.Contains(out, "\x1b[1m=====") {
		t.Errorf("--color always wrote no colour:\n%.400s", out)
	}
	if _, code := runRoot(t, append(base, "--color", "sometimes")...); code != cliexit.BadInput {
		t.Errorf("--color sometimes: exit %d, want 2", code)
	}
}
