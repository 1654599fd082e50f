package main

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/bloody-sweet/platform/internal/cliexit"
)

// TestUsageErrors: an unknown subcommand and a missing required flag are
// usage errors (exit 2) with a message naming them; bare `platform` prints
// the help and succeeds.
func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args     []string
		code     int
		contains string
	}{
		{[]string{"nosuch"}, cliexit.BadInput, `unknown command "nosuch"`},
		{[]string{"rendr"}, cliexit.BadInput, "did you mean render?"},
		{[]string{"promote", "--root", "../.."}, cliexit.BadInput, `required flag(s) "to" not set`},
		{[]string{"render", "--nosuch"}, cliexit.BadInput, "unknown flag: --nosuch"},
		{nil, 0, ""},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			root := newRootCmd()
			root.SetOut(io.Discard)
			root.SetErr(io.Discard)
			root.SetArgs(tc.args)
			err := execute(context.Background(), root)
			if code := cliexit.Code(err); code != tc.code {
				t.Fatalf("exit %d (%v), want %d", code, err, tc.code)
			}
			if tc.contains != "" && !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %q does not say %q", err, tc.contains)
			}
		})
	}
}
