package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bloody-sweet/platform/internal/cliexit"
)

// TestBootstrapBadInput: usage mistakes exit 2 with a message naming them,
// before any cluster is contacted (tests/cluster TestBootstrap runs the
// command against a real API server).
func TestBootstrapBadInput(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "kubeconfig")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown environment", []string{"--env", "qa", "--kubeconfig", missing}, `unknown environment "qa"`},
		{"missing kubeconfig file", []string{"--env", "dev", "--kubeconfig", missing}, "--kubeconfig"},
		{"no kubeconfig flag", []string{"--env", "dev"}, `"kubeconfig" not set`},
		{"no env flag", []string{"--kubeconfig", missing}, `"env" not set`},
		{"positional argument", []string{"dev", "--env", "dev", "--kubeconfig", missing}, "unknown command"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := newRootCmd()
			var out strings.Builder
			root.SetOut(&out)
			root.SetErr(&out)
			root.SetArgs(append([]string{"bootstrap", "--root", "../.."}, tc.args...))
			err := execute(context.Background(), root)
			if code := cliexit.Code(err); code != cliexit.BadInput {
				t.Fatalf("exit %d (%v), want 2", code, err)
			}
			if !strings.Contains(errString(err), tc.want) {
				t.Errorf("error %q does not name %q", errString(err), tc.want)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
