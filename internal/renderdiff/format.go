package renderdiff

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// WriteUnified writes every object's diff, environments and services in
// order; with color, in the colours of git diff (for a terminal).
func WriteUnified(w io.Writer, rep *Report, color bool) error {
	if len(rep.Files) == 0 {
		_, err := fmt.Fprintf(w, "no rendered changes between %s and %s\n", rep.BaseLabel, rep.HeadLabel)
		return err
	}
	for _, f := range rep.Files {
		text := f.Unified
		if color {
			text = colorize(text)
		}
		if _, err := io.WriteString(w, text); err != nil {
			return err
		}
	}
	return nil
}

// ANSI colours of git diff: headers bold, hunk ranges cyan, removed lines
// red, added lines green.
const (
	ansiBold  = "\x1b[1m"
	ansiCyan  = "\x1b[36m"
	ansiRed   = "\x1b[31m"
	ansiGreen = "\x1b[32m"
	ansiReset = "\x1b[0m"
)

func colorize(text string) string {
	var b strings.Builder
	for line := range strings.Lines(text) {
		body := strings.TrimSuffix(line, "\n")
		code := ""
		switch {
		case strings.HasPrefix(body, "====="):
			code = ansiBold
		case strings.HasPrefix(body, "@@"):
			code = ansiCyan
		case strings.HasPrefix(body, "-"):
			code = ansiRed
		case strings.HasPrefix(body, "+"):
			code = ansiGreen
		}
		if code == "" {
			b.WriteString(line)
			continue
		}
		b.WriteString(code + body + ansiReset + line[len(body):])
	}
	return b.String()
}

// maxComment keeps a pull-request comment under GitHub's 65,536 characters.
const maxComment = 60000

// WriteMarkdown writes a pull-request comment: a summary table per
// environment, then the diffs folded per environment and service.
func WriteMarkdown(w io.Writer, rep *Report) error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "### Rendered diff: `%s` → `%s`\n\n", rep.BaseLabel, rep.HeadLabel)
	if len(rep.Files) == 0 {
		sb.WriteString("No change to any rendered file.\n")
		_, err := io.WriteString(w, sb.String())
		return err
	}
	sb.WriteString("| environment | services changed | files | lines |\n|---|---|---|---|\n")
	for _, env := range rep.Envs {
		var svcs []string
		counts := map[string]int{}
		plus, minus := 0, 0
		for _, f := range rep.Files {
			if f.Env != env {
				continue
			}
			name := f.Service
			if name == "" {
				name = "(Argo CD project/root)"
			}
			if !slices.Contains(svcs, name) {
				svcs = append(svcs, name)
			}
			counts[f.Status]++
			plus += f.Added
			minus += f.Removed
		}
		if len(svcs) == 0 {
			fmt.Fprintf(&sb, "| %s | none | no change | |\n", env)
			continue
		}
		var files []string
		for _, st := range []string{"changed", "added", "removed"} {
			if counts[st] > 0 {
				files = append(files, fmt.Sprintf("%d %s", counts[st], st))
			}
		}
		fmt.Fprintf(&sb, "| %s | %s | %s | +%d −%d |\n", env, strings.Join(svcs, ", "), strings.Join(files, ", "), plus, minus)
	}
	sb.WriteString("\n")
	truncated := 0
	for _, env := range rep.Envs {
		groups := map[string][]FileDiff{}
		var order []string
		for _, f := range rep.Files {
			if f.Env != env {
				continue
			}
			if _, ok := groups[f.Service]; !ok {
				order = append(order, f.Service)
			}
			groups[f.Service] = append(groups[f.Service], f)
		}
		for _, svc := range order {
			fs := groups[svc]
			plus, minus := 0, 0
			for _, f := range fs {
				plus += f.Added
				minus += f.Removed
			}
			title := env + ": " + svc
			if svc == "" {
				title = env + ": Argo CD project and root app"
			}
			block := fmt.Sprintf("<details><summary>%s (%d files, +%d −%d)</summary>\n\n```diff\n", title, len(fs), plus, minus)
			for _, f := range fs {
				block += f.Unified
			}
			block += "```\n</details>\n\n"
			if sb.Len()+len(block) > maxComment {
				truncated++
				continue
			}
			sb.WriteString(block)
		}
	}
	if truncated > 0 {
		fmt.Fprintf(&sb, "_%d service diff(s) left out to fit a comment; run `platform diff` locally for all of it._\n", truncated)
	}
	_, err := io.WriteString(w, sb.String())
	return err
}
