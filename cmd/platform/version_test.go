package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/bloody-sweet/platform/internal/buildinfo"
	"github.com/bloody-sweet/platform/internal/cliexit"
)

func runRoot(t *testing.T, args ...string) (string, int) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), cliexit.Code(err)
}

func TestVersion(t *testing.T) {
	t.Parallel()
	want := buildinfo.Read()

	out, code := runRoot(t, "version", "-o", "json")
	if code != 0 {
		t.Fatalf("version -o json: exit %d\n%s", code, out)
	}
	var got buildinfo.Info
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("version -o json is not JSON: %v\n%s", err, out)
	}
	if got != want {
		t.Errorf("version -o json = %+v, want %+v", got, want)
	}

	out, code = runRoot(t, "version")
	if code != 0 || !strings.Contains(out, "version:    "+want.Version+"\n") || !strings.Contains(out, "commit:     "+want.Commit+"\n") {
		t.Errorf("version (exit %d) lacks the version and commit lines:\n%s", code, out)
	}

	out, code = runRoot(t, "--version")
	if code != 0 || out != "platform "+want.Short()+"\n" {
		t.Errorf("--version (exit %d) = %q, want %q", code, out, "platform "+want.Short()+"\n")
	}

	if _, code := runRoot(t, "version", "-o", "yaml"); code != cliexit.BadInput {
		t.Errorf("version -o yaml: exit %d, want %d", code, cliexit.BadInput)
	}
}
