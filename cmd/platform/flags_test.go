package main

import (
	"slices"
	"strings"
	"testing"
)

// complete runs cobra's hidden __complete command and returns the
// candidates (the lines before the ":<directive>" line).
func complete(t *testing.T, args ...string) []string {
	t.Helper()
	out, code := runRoot(t, append([]string{"__complete"}, args...)...)
	if code != 0 {
		t.Fatalf("__complete %v: exit %d\n%s", args, code, out)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(line, ":") || strings.HasPrefix(line, "Completion ended") {
			continue
		}
		got = append(got, strings.SplitN(line, "\t", 2)[0])
	}
	return got
}

func TestCompletion(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		want []string
		not  []string
	}{
		{"check formats", []string{"check", "-o", ""}, []string{"text", "json", "junit", "sarif", "github"}, nil},
		{"rendered environments", []string{"render", "--root", "../..", "--env", ""}, []string{"dev", "staging", "prod"}, []string{"_platform"}},
		{"diff environments", []string{"diff", "--root", "../..", "--env", ""}, []string{"dev", "staging", "prod"}, nil},
		{"promote goes to staging or prod only", []string{"promote", "--to", ""}, []string{"staging", "prod"}, []string{"dev"}},
		{"services from the rendered tree", []string{"promote", "--root", "../..", "--to", "prod", "--service", ""},
			[]string{"order", "payment", "store", "delivery", "notification"}, []string{"_platform"}},
		{"services without a rendered tree", []string{"promote", "--root", t.TempDir(), "--service", ""}, serviceNames, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := complete(t, tc.args...)
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("completions %v lack %q", got, w)
				}
			}
			for _, n := range tc.not {
				if slices.Contains(got, n) {
					t.Errorf("completions %v offer %q", got, n)
				}
			}
		})
	}
}

// TestDeprecatedAliases: the old spellings still set the value, are hidden
// from help, and warn.
func TestDeprecatedAliases(t *testing.T) {
	t.Parallel()
	cases := []struct {
		cmd      string
		old, now string
		value    string
	}{
		{"diff", "repo", "root", "/some/repo"},
		{"load", "brokers", "kafka-brokers", "[127.0.0.1:9092]"},
	}
	for _, tc := range cases {
		t.Run(tc.cmd, func(t *testing.T) {
			root := newRootCmd()
			cmd, _, err := root.Find([]string{tc.cmd})
			if err != nil {
				t.Fatal(err)
			}
			arg := strings.Trim(tc.value, "[]")
			var warn strings.Builder
			cmd.Flags().SetOutput(&warn)
			if err := cmd.ParseFlags([]string{"--" + tc.old, arg}); err != nil {
				t.Fatal(err)
			}
			if got := cmd.Flags().Lookup(tc.now).Value.String(); got != tc.value {
				t.Errorf("--%s %s set --%s to %q, want %q", tc.old, arg, tc.now, got, tc.value)
			}
			if !cmd.Flags().Lookup(tc.old).Hidden {
				t.Errorf("--%s is shown in help", tc.old)
			}
			if !strings.Contains(warn.String(), "use --"+tc.now) {
				t.Errorf("--%s printed no deprecation notice naming --%s: %q", tc.old, tc.now, warn.String())
			}
		})
	}
}
