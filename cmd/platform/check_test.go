package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/bloody-sweet/platform/internal/cliexit"
	"github.com/bloody-sweet/platform/internal/policy"
)

// runCheck runs `platform check` in-process with the repository's policies
// and an empty exception model, returning stdout and the exit code.
func runCheck(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cueDir := t.TempDir() // no config/exceptions.cue: no exceptions
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append([]string{"check", "--policies", "../../policies", "--cue", cueDir}, args...))
	err := root.Execute()
	return out.String(), cliexit.Code(err)
}

func TestCheckExitCodes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := "../../policies/argocd/project_wildcards/testdata/allowed.yaml"
	bad := "../../policies/argocd/project_wildcards/testdata/disallowed.yaml"
	broken := filepath.Join(dir, "broken.yaml")
	if err := os.WriteFile(broken, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [x\n  labels: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"clean", []string{good}, 0, "0 denied"},
		{"denied", []string{bad}, 1, "argocd.project_wildcards"},
		{"broken file still checks the others", []string{broken, bad}, 2, "argocd.project_wildcards"},
		{"missing path", []string{filepath.Join(dir, "nope")}, 2, ""},
		{"unknown format", []string{"--format", "html", good}, 2, ""},
		{"unknown flag", []string{"--frmat", "json", good}, 2, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, code := runCheck(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit code %d, want %d\n%s", code, tc.code, out)
			}
			if !strings.Contains(out, tc.want) {
				t.Errorf("output lacks %q:\n%s", tc.want, out)
			}
		})
	}
}

func TestCheckJSONNamesBrokenFileLine(t *testing.T) {
	t.Parallel()
	broken := filepath.Join(t.TempDir(), "broken.yaml")
	if err := os.WriteFile(broken, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a: b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code := runCheck(t, "--format", "json", broken, "../../policies/argocd/sync_policy/testdata/disallowed.yaml")
	if code != 2 {
		t.Fatalf("exit code %d, want 2", code)
	}
	var rep struct {
		Summary     struct{ Denied int }
		InputErrors []struct {
			File string
			Line int
		} `json:"input_errors"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(rep.InputErrors) != 1 || rep.InputErrors[0].File != broken || rep.InputErrors[0].Line != 4 {
		t.Errorf("input errors %+v, want %s line 4", rep.InputErrors, broken)
	}
	if rep.Summary.Denied == 0 {
		t.Error("the readable file was not checked")
	}
}

func TestCheckVerifyPolicies(t *testing.T) {
	t.Parallel()
	out, code := runCheck(t, "--verify-policies")
	if code != 0 {
		t.Fatalf("exit code %d:\n%s", code, out)
	}
	// A badly formatted policy fails verification with exit 1.
	dir := t.TempDir()
	writePolicy := func(rel, body string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writePolicy("area/p/p.rego", "# METADATA\n# title: t\n# description: d\n# custom:\n#   severity: low\n#   remediation: r\npackage area.p\n\ndeny contains \"x\" if {   input.kind == \"A\" }\n")
	root := newRootCmd()
	var buf bytes.Buffer
	root.SetOut(&buf)
	root.SetErr(&buf)
	root.SetArgs([]string{"check", "--verify-policies", "--policies", dir})
	err := root.Execute()
	if cliexit.Code(err) != 1 || !strings.Contains(err.Error(), "not formatted") || !strings.Contains(err.Error(), "needs tests") {
		t.Errorf("want exit 1 naming the format and layout problems, got %d: %v", cliexit.Code(err), err)
	}
}

// Devices, FIFOs and oversized files are refused by name (exit 2) without
// being read; the other files are still checked.
func TestCheckRefusesNonRegularAndOversizedFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yaml")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: 8 MiB + 1 byte without writing them.
	if err := f.Truncate(policy.MaxFileSize + 1); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	bad := "../../policies/argocd/project_wildcards/testdata/disallowed.yaml"
	for _, tc := range []struct{ path, want string }{
		{"/dev/zero", "/dev/zero: not a regular file"},
		{fifo, fifo + ": not a regular file"},
		{big, big + ": larger than the 8 MiB cap"},
	} {
		out, code := runCheck(t, tc.path, bad)
		if code != 2 || !strings.Contains(out, tc.want) || !strings.Contains(out, "argocd.project_wildcards") {
			t.Errorf("%s: exit %d, want 2 naming %q and still checking the others:\n%s", tc.path, code, tc.want, out)
		}
	}
}
