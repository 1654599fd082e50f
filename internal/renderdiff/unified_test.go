package renderdiff

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUnified(t *testing.T) {
	cases := []struct {
		name, a, b, want string
		added, removed   int
	}{
		{name: "equal", a: "x\ny\n", b: "x\ny\n", want: ""},
		{
			name: "one line changed in the middle",
			a:    "1\n2\n3\n4\n5\n6\n7\n8\n9\n", b: "1\n2\n3\n4\nfive\n6\n7\n8\n9\n",
			want:  "--- a\n+++ b\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n",
			added: 1, removed: 1,
		},
		{
			name: "added file",
			a:    "", b: "x\ny\n",
			want:  "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+x\n+y\n",
			added: 2,
		},
		{
			name: "two distant changes make two hunks",
			a:    "a\n1\n2\n3\n4\n5\n6\n7\n8\nb\n", b: "A\n1\n2\n3\n4\n5\n6\n7\n8\nB\n",
			want:  "--- a\n+++ b\n@@ -1,4 +1,4 @@\n-a\n+A\n 1\n 2\n 3\n@@ -7,4 +7,4 @@\n 6\n 7\n 8\n-b\n+B\n",
			added: 2, removed: 2,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, added, removed := Unified("a", "b", tc.a, tc.b, 3)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("diff (-want +got):\n%s", diff)
			}
			if added != tc.added || removed != tc.removed {
				t.Errorf("counts +%d -%d, want +%d -%d", added, removed, tc.added, tc.removed)
			}
		})
	}
}

// TestEditScriptReconstructs: on random inputs, the edit script turns a
// into b, and keeps every common line it can (its length is minimal for
// the LCS computed by a slow reference).
func TestEditScriptReconstructs(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 300; i++ {
		a := randomLines(r)
		b := randomLines(r)
		ops := editScript(a, b)
		var gotA, gotB []string
		edits := 0
		for _, o := range ops {
			if o.kind != '+' {
				gotA = append(gotA, o.line)
			}
			if o.kind != '-' {
				gotB = append(gotB, o.line)
			}
			if o.kind != ' ' {
				edits++
			}
		}
		if !cmp.Equal(a, gotA, cmp.Comparer(func(x, y []string) bool { return strings.Join(x, "|") == strings.Join(y, "|") })) ||
			strings.Join(gotB, "|") != strings.Join(b, "|") {
			t.Fatalf("script does not reconstruct:\na=%q\nb=%q\nops=%v", a, b, ops)
		}
		if want := len(a) + len(b) - 2*lcs(a, b); edits != want {
			t.Fatalf("script has %d edits, minimal is %d: a=%q b=%q", edits, want, a, b)
		}
	}
}

func randomLines(r *rand.Rand) []string {
	n := r.IntN(12)
	out := make([]string, n)
	for i := range out {
		out[i] = string(rune('a' + r.IntN(4)))
	}
	return out
}

func lcs(a, b []string) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}
