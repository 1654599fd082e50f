package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"go.yaml.in/yaml/v3"
)

// Document is one object to check: a Kubernetes/Argo object from a YAML or
// JSON file, or a whole Terraform plan.
type Document struct {
	Path  string // file it came from, as given
	Line  int    // 1-based line where the document starts
	Index int    // position of the document in its file (0-based)
	Plan  bool   // a Terraform plan (format_version + planned_values/resource_changes)

	Kind, Namespace, Name string

	value ast.Value
	raw   []byte // plans only: to find the line of a resource address
}

// Resource names what a finding is about.
type Resource struct {
	Kind      string `json:"kind,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name,omitempty"`
	Container string `json:"container,omitempty"`
}

func (r Resource) String() string {
	var b strings.Builder
	b.WriteString(r.Kind)
	b.WriteString(" ")
	if r.Namespace != "" {
		b.WriteString(r.Namespace)
		b.WriteString("/")
	}
	b.WriteString(r.Name)
	if r.Container != "" {
		b.WriteString(" container ")
		b.WriteString(r.Container)
	}
	return b.String()
}

// locate fills the file, line and (when the policy did not name one) the
// resource of a finding from the document it was found in.
func (d *Document) locate(f *Finding) {
	if f.File == "" {
		f.File = d.Path
	}
	f.Line = d.Line
	if d.Plan && f.Resource.Name != "" {
		if line := d.addressLine(f.Resource.Name); line > 0 {
			f.Line = line
		}
	}
	if f.Resource.Kind == "" && f.Resource.Name == "" {
		f.Resource.Kind, f.Resource.Namespace, f.Resource.Name = d.Kind, d.Namespace, d.Name
	}
}

// addressLine finds the line of a resource's entry in resource_changes (or,
// failing that, anywhere) of a plan file, so findings point at the resource.
func (d *Document) addressLine(address string) int {
	start := bytes.Index(d.raw, []byte(`"resource_changes"`))
	if start < 0 {
		start = 0
	}
	quoted, _ := json.Marshal(address)
	for _, from := range []int{start, 0} {
		for _, sep := range []string{": ", ":"} {
			needle := append([]byte(`"address"`+sep), quoted...)
			if i := bytes.Index(d.raw[from:], needle); i >= 0 {
				return lineAt(d.raw, from+i)
			}
		}
	}
	return 0
}

// InputError is a file that could not be read as documents. Line is 0 when
// the problem is not tied to a line (unreadable file).
type InputError struct {
	File string `json:"file"`
	Line int    `json:"line,omitempty"`
	Msg  string `json:"message"`
}

func (e *InputError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// MaxFileSize caps one input file: the largest rendered manifest is a few
// hundred KiB, while parsing YAML costs about a second per MiB and several
// times its size in memory, so a stray dump or a device cannot stall the gate.
const MaxFileSize = 8 << 20

// ParseFile reads one YAML (multi-document) or JSON file. On error it
// returns an *InputError naming the line, and no documents. Only regular
// files up to MaxFileSize are read: /dev/zero never ends, and opening a
// FIFO blocks until someone writes to it.
func ParseFile(path string) ([]*Document, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, &InputError{File: path, Msg: err.Error()}
	}
	if !info.Mode().IsRegular() {
		return nil, &InputError{File: path, Msg: fmt.Sprintf("not a regular file (%s): only YAML and JSON files are checked", info.Mode().Type())}
	}
	if info.Size() > MaxFileSize {
		return nil, tooBig(path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, &InputError{File: path, Msg: err.Error()}
	}
	defer f.Close()
	// The file may have been swapped or grown since Stat: read at most one
	// byte past the cap.
	raw, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, &InputError{File: path, Msg: err.Error()}
	}
	if len(raw) > MaxFileSize {
		return nil, tooBig(path)
	}
	return ParseBytes(path, raw)
}

func tooBig(path string) error {
	return &InputError{File: path, Msg: fmt.Sprintf("larger than the %d MiB cap on one input file", MaxFileSize>>20)}
}

// ParseBytes parses the contents of a file named path.
func ParseBytes(path string, raw []byte) ([]*Document, error) {
	if strings.EqualFold(filepath.Ext(path), ".json") {
		return parseJSON(path, raw)
	}
	return parseYAML(path, raw)
}

func parseJSON(path string, raw []byte) ([]*Document, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			err = fmt.Errorf("unexpected data after the top-level value")
			return nil, &InputError{File: path, Line: lineAt(raw, int(dec.InputOffset())), Msg: err.Error()}
		}
	}
	if err != nil {
		ie := &InputError{File: path, Msg: "invalid JSON: " + err.Error()}
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			ie.Line = lineAt(raw, int(se.Offset))
		case errors.As(err, &te):
			ie.Line = lineAt(raw, int(te.Offset))
		case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
			ie.Line = bytes.Count(raw, []byte("\n")) + 1
		}
		return nil, ie
	}
	docs, err := toDocuments(path, []located{{value: v, line: 1}})
	if err == nil && len(docs) == 1 && docs[0].Plan {
		docs[0].raw = raw
	}
	return docs, err
}

type located struct {
	value any
	line  int
}

func parseYAML(path string, raw []byte) ([]*Document, error) {
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	var docs []located
	for {
		var node yaml.Node
		err := dec.Decode(&node)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, yamlError(path, err)
		}
		if len(node.Content) == 0 {
			continue // empty document between separators
		}
		v, err := nodeValue(&node)
		if errors.Is(err, errSlowPath) {
			// Merge keys and the like: let the yaml package resolve them.
			if err = node.Decode(&v); err == nil {
				v, err = normalise(v)
			}
		}
		if err != nil {
			return nil, yamlError(path, err)
		}
		if v == nil {
			continue // a document holding only comments or null
		}
		docs = append(docs, located{value: v, line: node.Content[0].Line})
	}
	return toDocuments(path, docs)
}

// errSlowPath asks for the yaml package's own decoder.
var errSlowPath = errors.New("needs the generic YAML decoder")

// nodeValue converts a parsed YAML node straight into JSON-shaped Go values
// (string keys, timestamps kept as written), without the reflection of
// yaml.Node.Decode, which cost more than evaluating the policies. Anything
// unusual (merge keys, non-decimal numbers) returns errSlowPath.
func nodeValue(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return nodeValue(n.Content[0])
	case yaml.AliasNode:
		return nil, errSlowPath
	case yaml.SequenceNode:
		out := make([]any, len(n.Content))
		for i, c := range n.Content {
			v, err := nodeValue(c)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
				return nil, errSlowPath
			}
			v, err := nodeValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		return m, nil
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil, nil
		case "!!bool":
			switch n.Value {
			case "true":
				return true, nil
			case "false":
				return false, nil
			}
			return nil, errSlowPath
		case "!!int":
			base := 10
			if strings.HasPrefix(n.Value, "0x") || strings.HasPrefix(n.Value, "0o") {
				base = 0
			}
			if i, err := strconv.ParseInt(n.Value, base, 64); err == nil {
				return i, nil
			}
			return nil, errSlowPath
		case "!!float":
			if f, err := strconv.ParseFloat(n.Value, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
				return f, nil
			}
			return nil, errSlowPath
		default: // !!str, !!timestamp, !!binary: the text as written
			return n.Value, nil
		}
	}
	return nil, errSlowPath
}

// yamlError turns "yaml: line 7: did not find expected key" into a located
// InputError; the yaml decoder counts lines over the whole stream.
func yamlError(path string, err error) error {
	msg := err.Error()
	ie := &InputError{File: path, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
	var n int
	if _, scanErr := fmt.Sscanf(msg, "yaml: line %d:", &n); scanErr == nil {
		ie.Line = n
		ie.Msg = "invalid YAML: " + strings.TrimSpace(strings.SplitN(msg, ":", 3)[2])
	}
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		if _, scanErr := fmt.Sscanf(te.Errors[0], "line %d:", &n); scanErr == nil {
			ie.Line = n
		}
		ie.Msg = "invalid YAML: " + strings.Join(te.Errors, "; ")
	}
	return ie
}

func lineAt(raw []byte, offset int) int {
	offset = min(max(offset, 0), len(raw))
	return bytes.Count(raw[:offset], []byte("\n")) + 1
}

// toDocuments normalises decoded values, expands Kubernetes List objects
// and identifies each document.
func toDocuments(path string, in []located) ([]*Document, error) {
	var out []*Document
	for _, l := range in {
		v := l.value
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, &InputError{File: path, Line: l.line, Msg: fmt.Sprintf("document is a %s, want an object (a Kubernetes resource or a Terraform plan)", typeName(v))}
		}
		objs := []map[string]any{obj}
		if kind, _ := obj["kind"].(string); strings.HasSuffix(kind, "List") {
			if items, ok := obj["items"].([]any); ok {
				objs = objs[:0]
				for i, it := range items {
					o, ok := it.(map[string]any)
					if !ok {
						return nil, &InputError{File: path, Line: l.line, Msg: fmt.Sprintf("%s item %d is not an object", kind, i)}
					}
					objs = append(objs, o)
				}
			}
		}
		for _, o := range objs {
			d, err := newDocument(path, l.line, len(out), o)
			if err != nil {
				return nil, &InputError{File: path, Line: l.line, Msg: err.Error()}
			}
			out = append(out, d)
		}
	}
	return out, nil
}

func newDocument(path string, line, index int, obj map[string]any) (*Document, error) {
	val, err := ast.InterfaceToValue(obj)
	if err != nil {
		return nil, fmt.Errorf("convert document: %w", err)
	}
	d := &Document{Path: path, Line: line, Index: index, value: val}
	if IsPlan(obj) {
		d.Plan = true
		d.Kind = "TerraformPlan"
		d.Name = filepath.Base(path)
		return d, nil
	}
	d.Kind, _ = obj["kind"].(string)
	apiVersion, _ := obj["apiVersion"].(string)
	if d.Kind == "" || apiVersion == "" {
		return nil, errors.New("document is neither a Kubernetes resource (apiVersion, kind, metadata) nor a Terraform plan (format_version, planned_values or resource_changes)")
	}
	if meta, ok := obj["metadata"].(map[string]any); ok {
		d.Name, _ = meta["name"].(string)
		d.Namespace, _ = meta["namespace"].(string)
	}
	return d, nil
}

// IsPlan reports whether obj has the shape of `terraform show -json` output.
func IsPlan(obj map[string]any) bool {
	if _, ok := obj["format_version"]; !ok {
		return false
	}
	_, pv := obj["planned_values"]
	_, rc := obj["resource_changes"]
	return pv || rc
}

// normalise makes a decoded YAML value JSON-shaped: string map keys and no
// time values (YAML timestamps become RFC 3339 strings).
func normalise(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			n, err := normalise(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			x[k] = n
		}
		return x, nil
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			ks, ok := k.(string)
			if !ok {
				ks = fmt.Sprint(k)
			}
			n, err := normalise(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", ks, err)
			}
			m[ks] = n
		}
		return m, nil
	case []any:
		for i, e := range x {
			n, err := normalise(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			x[i] = n
		}
		return x, nil
	case time.Time:
		if x.Equal(x.Truncate(24*time.Hour)) && x.Location() == time.UTC {
			return x.Format(time.DateOnly), nil // a date, as the fast path keeps it
		}
		return x.Format(time.RFC3339Nano), nil
	default:
		return v, nil
	}
}

func typeName(v any) string {
	switch v.(type) {
	case []any:
		return "list"
	case string:
		return "string"
	case nil:
		return "null"
	default:
		return "scalar"
	}
}

// Collect expands the given paths (files or folders) to the YAML and JSON
// files under them, sorted, so runs are deterministic. A folder's rendered
// Helm values files (values*.gen.yaml) are skipped, as without a PATH, so
// `platform check environments/prod` checks what the environment applies; a
// values file named on its own is still read (and refused).
func Collect(paths []string) ([]string, error) {
	seen := map[string]bool{}
	var files []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, &InputError{File: p, Msg: "cannot read: " + errors.Unwrap(err).Error()}
		}
		if !info.IsDir() {
			if !seen[p] {
				seen[p] = true
				files = append(files, p)
			}
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if name := d.Name(); path != p && (strings.HasPrefix(name, ".") || name == "node_modules") {
					return filepath.SkipDir
				}
				return nil
			}
			if helmValues(d.Name()) {
				return nil
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".yaml", ".yml", ".json":
				if !seen[path] {
					seen[path] = true
					files = append(files, path)
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("walk %s: %w", p, err)
		}
	}
	sort.Strings(files)
	return files, nil
}
