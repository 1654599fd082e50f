package renderdiff

import (
	"fmt"
	"strings"
	"time"

	udiff "github.com/aymanbagabas/go-udiff"
	"github.com/sergi/go-diff/diffmatchpatch"
	"go.yaml.in/yaml/v3"
)

// contextLines around each change, as diff -u and argocd app diff.
const contextLines = 3

// docMeta is what names a Kubernetes object.
type docMeta struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name      string `yaml:"name"`
		Namespace string `yaml:"namespace"`
	} `yaml:"metadata"`
}

// resource is one YAML document of a rendered file.
type resource struct {
	key  string // "<group>/<Kind> <namespace>/<name>", as argocd app diff prints it
	text string
}

// splitResources cuts a rendered file into its objects. Text that is not a
// Kubernetes object (the generated-file comment, a Helm values file) stays
// in one part keyed by the file itself, so nothing is left out of a diff.
func splitResources(file, content string) []resource {
	var out []resource
	seen := map[string]int{}
	var rest strings.Builder
	for _, doc := range splitDocuments(content) {
		var m docMeta
		if yaml.Unmarshal([]byte(doc), &m) != nil || m.Kind == "" || m.Metadata.Name == "" {
			rest.WriteString(doc)
			continue
		}
		group, _, ok := strings.Cut(m.APIVersion, "/")
		if !ok {
			group = "" // the core group: v1
		}
		name := m.Metadata.Name
		if m.Metadata.Namespace != "" {
			name = m.Metadata.Namespace + "/" + name
		}
		key := fmt.Sprintf("%s/%s %s", group, m.Kind, name)
		if n := seen[key]; n > 0 { // the same object twice in one file: keep both
			key = fmt.Sprintf("%s #%d", key, n+1)
		}
		seen[key]++
		out = append(out, resource{key: key, text: doc})
	}
	if rest.Len() > 0 {
		out = append([]resource{{key: file, text: rest.String()}}, out...)
	}
	return out
}

// splitDocuments splits YAML text at its "---" separator lines, keeping
// each separator with the document it opens.
func splitDocuments(content string) []string {
	var docs []string
	start := 0
	for i := 0; i < len(content); {
		end := strings.IndexByte(content[i:], '\n')
		next := len(content)
		if end >= 0 {
			next = i + end + 1
		}
		if line := strings.TrimRight(content[i:next], "\r\n"); line == "---" && i > start {
			docs = append(docs, content[start:i])
			start = i
		}
		i = next
	}
	if start < len(content) {
		docs = append(docs, content[start:])
	}
	return docs
}

// diffResources diffs two versions of one rendered file object by object,
// like argocd app diff: a "===== <group>/<Kind> <ns>/<name> =====" header
// per changed object, then its hunks (line numbers count from the object's
// first line). It returns the text and the lines added and removed.
func diffResources(file, old, cur string) (string, int, int) {
	if old == cur {
		return "", 0, 0
	}
	oldRes, curRes := splitResources(file, old), splitResources(file, cur)
	oldByKey := map[string]string{}
	for _, r := range oldRes {
		oldByKey[r.key] = r.text
	}
	var keys []string
	curByKey := map[string]string{}
	for _, r := range curRes {
		keys = append(keys, r.key)
		curByKey[r.key] = r.text
	}
	for _, r := range oldRes { // removed objects after the ones still there
		if _, ok := curByKey[r.key]; !ok {
			keys = append(keys, r.key)
		}
	}
	var b strings.Builder
	added, removed := 0, 0
	for _, key := range keys {
		a, c := oldByKey[key], curByKey[key]
		if a == c {
			continue
		}
		ud, err := udiff.ToUnifiedDiff("a/"+file, "b/"+file, a, lineEdits(a, c), contextLines)
		if err != nil { // the edits come from a and c: cannot happen
			panic(fmt.Sprintf("renderdiff: inconsistent edits for %s %s: %v", file, key, err))
		}
		for _, h := range ud.Hunks {
			for _, l := range h.Lines {
				switch l.Kind {
				case udiff.Insert:
					added++
				case udiff.Delete:
					removed++
				}
			}
		}
		status := ""
		switch {
		case a == "":
			status = " (added)"
		case c == "":
			status = " (removed)"
		}
		header := key
		if key != file {
			header = fmt.Sprintf("%s%s in %s", key, status, file)
		} else {
			header = "file " + file + status
		}
		fmt.Fprintf(&b, "===== %s =====\n", header)
		text := ud.String()
		// Drop the ---/+++ lines: the header names the file and object.
		for range 2 {
			if _, after, ok := strings.Cut(text, "\n"); ok && (strings.HasPrefix(text, "--- ") || strings.HasPrefix(text, "+++ ")) {
				text = after
			}
		}
		b.WriteString(text)
	}
	return b.String(), added, removed
}

// lineEdits computes the line edits turning a into b with diff-match-patch's
// line mode (Myers' bisection: linear memory, a minimal diff unless
// diffTimeout runs out on a huge change, when it is still correct, only
// longer). go-udiff renders the hunks; its own line diff gives up on
// minimality after 50 differences, which turned 400 changed lines of a
// 4,000-line object into 3,541.
func lineEdits(a, b string) []udiff.Edit {
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = diffTimeout
	ra, rb, lines := dmp.DiffLinesToRunes(a, b)
	diffs := dmp.DiffCharsToLines(dmp.DiffMainRunes(ra, rb, false), lines)
	var edits []udiff.Edit
	off := 0 // byte offset in a
	for _, d := range diffs {
		switch d.Type {
		case diffmatchpatch.DiffEqual:
			off += len(d.Text)
		case diffmatchpatch.DiffDelete:
			edits = append(edits, udiff.Edit{Start: off, End: off + len(d.Text)})
			off += len(d.Text)
		case diffmatchpatch.DiffInsert:
			// An insertion right after a deletion replaces it: one edit.
			if n := len(edits); n > 0 && edits[n-1].End == off && edits[n-1].New == "" {
				edits[n-1].New = d.Text
			} else {
				edits = append(edits, udiff.Edit{Start: off, End: off, New: d.Text})
			}
		}
	}
	return edits
}

// diffTimeout bounds one object's diff; only a pathological change of a
// multi-megabyte object reaches it.
const diffTimeout = 5 * time.Second
