package democmd

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bloody-sweet/platform/internal/cliexit"
)

// TestDemoResultOnStdoutProgressOnStderr runs a small demo: the result
// (table, verdict) is on stdout alone, the progress on stderr.
func TestDemoResultOnStdoutProgressOnStderr(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := New()
	var stdout, stderr bytes.Buffer
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	cmd.SetArgs([]string{"--orders", "20", "--timeout", "60s"})
	if err := cmd.ExecuteContext(ctx); err != nil {
		t.Fatalf("demo: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	out, progress := stdout.String(), stderr.String()
	if !strings.HasPrefix(strings.TrimSpace(out), "status") || !strings.Contains(out, "DELIVERED") || !strings.HasSuffix(out, "every order reached a terminal state\n") {
		t.Errorf("stdout is not the result table and verdict:\n%s", out)
	}
	for _, p := range []string{"starting the local stack", "placing 20 orders at http://"} {
		if strings.Contains(out, p) {
			t.Errorf("progress %q on stdout:\n%s", p, out)
		}
		if !strings.Contains(progress, p) {
			t.Errorf("stderr lacks the progress %q:\n%s", p, progress)
		}
	}
}

func TestDemoBadInput(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--orders", "0"}, {"--timeout", "-1s"}, {"extra"}, {"--ordrs", "5"}} {
		cmd := New()
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		cmd.SetArgs(args)
		cmd.SilenceUsage = true
		if err := cmd.Execute(); cliexit.Code(err) != cliexit.BadInput {
			t.Errorf("demo %v: %v (exit %d), want exit 2", args, err, cliexit.Code(err))
		}
	}
}
