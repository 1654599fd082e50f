package render

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"

	"github.com/bloody-sweet/platform/internal/cliexit"
)

// maxErrors bounds the report: one typo can fan out into the same error in
// every environment and service.
const maxErrors = 20

// badInput turns a CUE error into a bad-input error (exit 2) with one line
// per distinct problem: "file:line:col: field.path: message". Positions in
// cue/config (what a pull request edits) come first; schema positions follow
// as "(see ...)".
func badInput(root string, err error) error {
	var lines []string
	seen := map[string]bool{}
	for _, e := range cueerrors.Errors(err) {
		format, args := e.Msg()
		msg := fmt.Sprintf(format, args...)
		fieldPath := strings.Join(e.Path(), ".")
		positions := relPositions(root, append(cueerrors.Positions(e), e.InputPositions()...))
		// The same config mistake surfaces once per environment that uses
		// it; report it once, by where it is, not by where it was reached.
		key := msg + "|" + strings.Join(positions, ",")
		if seen[key] {
			continue
		}
		seen[key] = true
		line := ""
		if len(positions) > 0 {
			line = positions[0] + ": "
		}
		if fieldPath != "" {
			line += fieldPath + ": "
		}
		line += msg
		if len(positions) > 1 {
			line += " (see " + strings.Join(positions[1:], ", ") + ")"
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		lines = []string{err.Error()}
	}
	more := ""
	if len(lines) > maxErrors {
		more = fmt.Sprintf("\n... and %d more", len(lines)-maxErrors)
		lines = lines[:maxErrors]
	}
	return cliexit.WrapBadInput(fmt.Errorf("invalid CUE model:\n  %s%s", strings.Join(lines, "\n  "), more))
}

// relPositions formats positions relative to root, config files first,
// generated schemas last, without duplicates.
func relPositions(root string, ps []token.Pos) []string {
	var out []string
	for _, p := range ps {
		if !p.IsValid() || p.Filename() == "" {
			continue
		}
		name := p.Filename()
		if rel, err := filepath.Rel(root, name); err == nil && !strings.HasPrefix(rel, "..") {
			name = rel
		}
		s := fmt.Sprintf("%s:%d:%d", filepath.ToSlash(name), p.Line(), p.Column())
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	rank := func(s string) int {
		switch {
		case strings.HasPrefix(s, CUEDir+"/config/"):
			return 0
		case strings.HasPrefix(s, CUEDir+"/cue.mod/"):
			return 3
		case strings.HasPrefix(s, CUEDir+"/schemas/"):
			return 2
		default:
			return 1
		}
	}
	slices.SortStableFunc(out, func(a, b string) int { return rank(a) - rank(b) })
	return out
}
