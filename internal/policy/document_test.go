package policy

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"
	"go.yaml.in/yaml/v3"
)

func TestParseYAMLDocuments(t *testing.T) {
	t.Parallel()
	src := `# leading comment
apiVersion: v1
kind: ConfigMap
metadata:
  name: a
  namespace: orders-dev
---
---
# only a comment
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Service
    metadata: {name: b}
  - apiVersion: v1
    kind: Secret
    metadata: {name: c}
`
	docs, err := ParseBytes("m.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	type doc struct {
		Kind, Namespace, Name string
		Line                  int
	}
	var got []doc
	for _, d := range docs {
		got = append(got, doc{d.Kind, d.Namespace, d.Name, d.Line})
	}
	want := []doc{{"ConfigMap", "orders-dev", "a", 2}, {"Service", "", "b", 11}, {"Secret", "", "c", 11}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("documents (-want +got):\n%s", diff)
	}
}

func TestParseErrorsNameTheLine(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, file, src string
		line            int
		msg             string
	}{
		{"yaml syntax in third document", "a.yaml", "apiVersion: v1\nkind: A\nmetadata: {name: a}\n---\napiVersion: v1\nkind: B\n---\napiVersion: v1\nkind: C: D\nmetadata: {}\n", 9, "mapping values are not allowed"},
		{"yaml tab indentation", "b.yaml", "apiVersion: v1\nkind: A\nmetadata:\n\tname: x\n", 4, "invalid YAML"},
		{"json syntax", "c.json", "{\n  \"format_version\": \"1.2\",\n  \"planned_values\": {,}\n}\n", 3, "invalid JSON"},
		{"json truncated", "d.json", "{\n  \"a\": [1, 2\n", 3, "invalid JSON"},
		{"scalar document", "e.yaml", "apiVersion: v1\nkind: A\n---\njust a string\n", 4, "want an object"},
		{"helm values, not an object", "values.gen.yaml", "name: order\nkind: api\nreplicas: 3\n", 1, "neither a Kubernetes resource"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			docs, err := ParseBytes(tc.file, []byte(tc.src))
			if err == nil {
				t.Fatalf("parsed %d documents, want an error", len(docs))
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %T is not an *InputError: %v", err, err)
			}
			if ie.File != tc.file || ie.Line != tc.line {
				t.Errorf("error at %s:%d, want %s:%d (%v)", ie.File, ie.Line, tc.file, tc.line, err)
			}
			if !strings.Contains(ie.Msg, tc.msg) {
				t.Errorf("message %q lacks %q", ie.Msg, tc.msg)
			}
			if docs != nil {
				t.Errorf("a file with an error yields no documents, got %d", len(docs))
			}
		})
	}
}

func TestPlanRecognisedByShape(t *testing.T) {
	t.Parallel()
	cases := map[string]bool{
		`{"format_version": "1.2", "planned_values": {}}`:                true,
		`{"format_version": "1.2", "resource_changes": []}`:              true,
		`{"format_version": "1.0", "provider_schemas": {}, "kind": "x"}`: false,
	}
	for src, want := range cases {
		docs, err := ParseBytes("p.json", []byte(src))
		if !want {
			if err == nil {
				t.Errorf("%s: parsed as %+v, want an error (neither plan nor resource)", src, docs[0])
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if !docs[0].Plan || docs[0].Kind != "TerraformPlan" {
			t.Errorf("%s: not recognised as a plan", src)
		}
	}
}

// TestFastYAMLMatchesDecoder checks the direct node conversion against the
// yaml package's decoder on the real corpus and on awkward scalars.
func TestFastYAMLMatchesDecoder(t *testing.T) {
	t.Parallel()
	files, err := RepoTargets(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	awkward := filepath.Join(t.TempDir(), "awkward.yaml")
	if err := os.WriteFile(awkward, []byte(`apiVersion: v1
kind: ConfigMap
metadata: {name: awkward, labels: {a: "1"}}
data:
  int: 42
  neg: -7
  float: 0.25
  exp: 1e3
  yes_string: yes
  on: off
  bool: true
  null_value: ~
  quoted: "true"
  octal: 0o17
  hex: 0x1F
  date: 2024-01-31
  list: [1, two, 3.5, null]
  nested: {x: [{y: z}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: merge-keys}
data:
  base: &base {k: v}
  merged:
    <<: *base
    extra: 1
`), 0o644); err != nil {
		t.Fatal(err)
	}
	files = append(files, awkward)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Ext(f) != ".yaml" {
			continue
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		got, err := parseYAML(f, raw)
		if err != nil {
			t.Fatal(err)
		}
		i := 0
		for {
			var v any
			if err := dec.Decode(&v); err != nil {
				break
			}
			if v == nil {
				continue
			}
			n, err := normalise(v)
			if err != nil {
				t.Fatal(err)
			}
			want, err := ast.InterfaceToValue(n)
			if err != nil {
				t.Fatal(err)
			}
			if i >= len(got) {
				t.Fatalf("%s: fewer documents than the decoder", f)
			}
			if f != awkward && want.Compare(got[i].value) != 0 {
				t.Errorf("%s document %d differs:\nwant %v\ngot  %v", f, i, want, got[i].value)
			}
			i++
		}
	}
	docs, err := ParseFile(awkward)
	if err != nil {
		t.Fatal(err)
	}
	data := docs[0].value.(ast.Object).Get(ast.StringTerm("data")).Value.(ast.Object)
	for key, want := range map[string]string{
		"int": "42", "neg": "-7", "float": "0.25", "exp": "1000", "yes_string": `"yes"`, "on": `"off"`,
		"bool": "true", "null_value": "null", "quoted": `"true"`, "octal": "15", "hex": "31",
		"date": `"2024-01-31"`, "list": `[1, "two", 3.5, null]`,
	} {
		if got := data.Get(ast.StringTerm(key)); got == nil || got.String() != want {
			t.Errorf("data.%s = %v, want %s", key, got, want)
		}
	}
	merged := docs[1].value.(ast.Object).Get(ast.StringTerm("data")).Value.(ast.Object).Get(ast.StringTerm("merged"))
	if merged == nil || merged.String() != `{"extra": 1, "k": "v"}` {
		t.Errorf("merge key: data.merged = %v", merged)
	}
}

// FuzzParseBytes: no input makes the parser panic, and every error is an
// *InputError whose line lies inside the file.
func FuzzParseBytes(f *testing.F) {
	f.Add("m.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: List\nitems: [{apiVersion: v1, kind: Service, metadata: {name: b}}]\n"))
	f.Add("m.yaml", []byte("a: &x {b: 1}\nc:\n  <<: *x\n"))
	f.Add("m.yaml", []byte("kind: [\n"))
	f.Add("p.json", []byte(`{"format_version": "1.2", "resource_changes": []}`))
	f.Add("p.json", []byte("{\n\"a\": 1,,\n}"))
	f.Fuzz(func(t *testing.T, name string, raw []byte) {
		file := "f.yaml"
		if strings.HasSuffix(name, ".json") {
			file = "f.json"
		}
		docs, err := ParseBytes(file, raw)
		if err == nil {
			for _, d := range docs {
				if d.value == nil || (!d.Plan && d.Kind == "") {
					t.Fatalf("document without value or kind: %+v", d)
				}
			}
			return
		}
		var ie *InputError
		if !errors.As(err, &ie) {
			t.Fatalf("error %T is not an *InputError: %v", err, err)
		}
		if lines := yamlLines(raw); ie.Line < 0 || ie.Line > lines+1 {
			t.Fatalf("error line %d outside the file's %d lines: %v", ie.Line, lines, err)
		}
	})
}

// yamlLines counts lines the way the YAML scanner does: CRLF, a lone CR, LF,
// NEL, LS and PS each end a line (editors show a lone CR as a break too).
func yamlLines(raw []byte) int {
	s := strings.ReplaceAll(string(raw), "\r\n", "\n")
	return 1 + strings.Count(s, "\n") + strings.Count(s, "\r") +
		strings.Count(s, "\u0085") + strings.Count(s, "\u2028") + strings.Count(s, "\u2029")
}
