// The hand-written Myers diff that renderdiff used before go-udiff, kept
// only as the baseline of BenchmarkDiff4000Lines (docs/PERFORMANCE.md).
// It keeps every round's V array, so a 4,000-line change allocates ~1 GB.
package renderdiff

import (
	"fmt"
	"strings"
)

// op is one line of an edit script.
type op struct {
	kind byte // ' ', '-' or '+'
	line string
}

// editScript returns the shortest edit script turning a into b (Myers'
// O((N+M)D) algorithm): rendered files are long but a change is short.
func editScript(a, b []string) []op {
	n, m := len(a), len(b)
	maxD := n + m
	offset := maxD + 1
	v := make([]int, 2*maxD+3)
	var trace [][]int
	for d := 0; d <= maxD; d++ {
		trace = append(trace, append([]int(nil), v...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[offset+k-1] < v[offset+k+1]) {
				x = v[offset+k+1] // down: insertion
			} else {
				x = v[offset+k-1] + 1 // right: deletion
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[offset+k] = x
			if x >= n && y >= m {
				return backtrack(trace, v, a, b, d, offset)
			}
		}
	}
	return nil
}

func backtrack(trace [][]int, last []int, a, b []string, d, offset int) []op {
	var ops []op
	x, y := len(a), len(b)
	trace = append(trace[1:], last) // trace[d] is v after round d
	for ; d > 0; d-- {
		v := trace[d-1]
		k := x - y
		var prevK int
		if k == -d || (k != d && v[offset+k-1] < v[offset+k+1]) {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := v[offset+prevK]
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			x--
			y--
			ops = append(ops, op{' ', a[x]})
		}
		if x == prevX {
			y--
			ops = append(ops, op{'+', b[y]})
		} else {
			x--
			ops = append(ops, op{'-', a[x]})
		}
	}
	for x > 0 && y > 0 {
		x--
		y--
		ops = append(ops, op{' ', a[x]})
	}
	for i, j := 0, len(ops)-1; i < j; i, j = i+1, j-1 {
		ops[i], ops[j] = ops[j], ops[i]
	}
	return ops
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.SplitAfter(strings.TrimSuffix(s, "\n"), "\n")
}

// Unified returns a unified diff of a and b with context lines of context,
// or "" when they are equal. A missing side is named /dev/null.
func legacyUnified(aName, bName, a, b string, context int) (string, int, int) {
	if a == b {
		return "", 0, 0
	}
	al, bl := splitLines(a), splitLines(b)
	// Compare without the newline SplitAfter kept, except the last line.
	norm := func(ls []string) []string {
		out := make([]string, len(ls))
		for i, l := range ls {
			out[i] = strings.TrimSuffix(l, "\n")
		}
		return out
	}
	ops := editScript(norm(al), norm(bl))
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- %s\n+++ %s\n", aName, bName)
	added, removed := 0, 0
	// Walk the script, emitting hunks around changes.
	type pos struct{ i, ai, bi int }
	var changes []int
	for i, o := range ops {
		if o.kind != ' ' {
			changes = append(changes, i)
		}
	}
	for ci := 0; ci < len(changes); {
		start := max(changes[ci]-context, 0)
		end := changes[ci]
		for ci < len(changes) && changes[ci] <= end+2*context {
			end = changes[ci]
			ci++
		}
		end = min(end+context+1, len(ops))
		// line numbers at start
		ai, bi := 1, 1
		for _, o := range ops[:start] {
			if o.kind != '+' {
				ai++
			}
			if o.kind != '-' {
				bi++
			}
		}
		ac, bc := 0, 0
		var body strings.Builder
		for _, o := range ops[start:end] {
			switch o.kind {
			case ' ':
				ac++
				bc++
			case '-':
				ac++
				removed++
			case '+':
				bc++
				added++
			}
			body.WriteByte(o.kind)
			body.WriteString(o.line)
			body.WriteByte('\n')
		}
		if ac == 0 {
			ai--
		}
		if bc == 0 {
			bi--
		}
		fmt.Fprintf(&sb, "@@ -%d,%d +%d,%d @@\n%s", ai, ac, bi, bc, body.String())
	}
	return sb.String(), added, removed
}
