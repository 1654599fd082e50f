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
	return badInputIn(root, err, 0, "")
}

// badInputIn is badInput for a value found below a path: trim drops that
// many leading path elements (a document's index in a YAML stream) and what
// names the value instead.
func badInputIn(root string, err error, trim int, what string) error {
	type entry struct {
		line string
		alts int
	}
	var entries []*entry
	byKey := map[string]*entry{}
	for _, e := range cueerrors.Errors(err) {
		format, args := e.Msg()
		msg := fmt.Sprintf(format, args...)
		// "N errors in empty disjunction" only announces the lines that
		// follow; each of them is reported on its own.
		if strings.Contains(msg, "errors in empty disjunction") {
			continue
		}
		path := e.Path()
		if len(path) >= trim {
			path = path[trim:]
		}
		fieldPath := strings.Join(path, ".")
		if what != "" {
			fieldPath = what + ": " + fieldPath
		}
		positions := relPositions(root, append(cueerrors.Positions(e), e.InputPositions()...))
		first := ""
		if len(positions) > 0 {
			first = positions[0]
		}
		// One wrong value can fail against every alternative of an enum;
		// report it once and count the alternatives.
		key := first + "|" + fieldPath
		if prev, ok := byKey[key]; ok {
			prev.alts++
			continue
		}
		line := ""
		if first != "" {
			line = first + ": "
		}
		if fieldPath != "" {
			line += fieldPath + ": "
		}
		line += msg
		if len(positions) > 1 {
			line += " (see " + strings.Join(positions[1:], ", ") + ")"
		}
		en := &entry{line: line}
		byKey[key] = en
		entries = append(entries, en)
	}
	var lines []string
	for _, en := range entries {
		if en.alts > 0 {
			en.line += fmt.Sprintf(" (and %d more alternatives)", en.alts)
		}
		lines = append(lines, en.line)
	}
	if len(lines) == 0 {
		lines = []string{err.Error()}
	}
	more := ""
	if len(lines) > maxErrors {
		more = fmt.Sprintf("\n  ... and %d more", len(lines)-maxErrors)
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
	// Template positions only say how the value was reached; keep them only
	// when nothing better is known.
	if len(out) > 0 && rank(out[0]) == 0 {
		out = slices.DeleteFunc(out, func(s string) bool { return strings.HasPrefix(s, CUEDir+"/templates/") })
	}
	return out
}
