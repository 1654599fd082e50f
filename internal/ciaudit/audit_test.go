package ciaudit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestWorkflows audits the repository's workflows: make verify runs it.
func TestWorkflows(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../.github/workflows/*.y*ml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no workflow files found under .github/workflows")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range Audit(filepath.Base(f), data) {
			t.Errorf("%s", p)
		}
	}
}

// TestBadSample: each rule fires on the sample that breaks it, on its line.
func TestBadSample(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/bad.yml")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range Audit("bad.yml", data) {
		got = append(got, p.String())
	}
	want := []string{
		"bad.yml:2: no workflow-level concurrency: two runs of one ref would race",
		"bad.yml:4: top-level permissions grant contents: write, which every job inherits; grant it only in the jobs that need it",
		"bad.yml:4: top-level permissions grant id-token: write, which every job inherits; grant it only in the jobs that need it",
		"bad.yml:8: job build has no timeout-minutes (the default is 360)",
		"bad.yml:8: job build has no permissions of its own: grant exactly what it needs (contents: read at least)",
		"bad.yml:11: job build: actions/checkout@v4 is not pinned by a full commit SHA",
		"bad.yml:12: job build: actions/setup-go@b7ad1dad31e06c5925ef5d2fc7ad053ef454303e has no version comment (# vX.Y.Z) for reviewers and Renovate",
		"bad.yml:13: job build: actions/cache@27d5ce7 is not pinned by a full commit SHA",
		"bad.yml:14: job build: docker://alpine:3.20 is not pinned by sha256 digest",
		"bad.yml:20: job deploy is granted id-token: write but runs none of aws-actions/configure-aws-credentials, sigstore/cosign-installer",
		"bad.yml:28: job all is granted write-all: list the scopes it needs",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestNotAWorkflow(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"a: [", "- 1\n- 2\n"} {
		ps := Audit("x.yml", []byte(in))
		if len(ps) != 1 || !strings.HasPrefix(ps[0].Msg, "not ") {
			t.Errorf("Audit(%q) = %v, want one 'not ...' problem", in, ps)
		}
	}
}
