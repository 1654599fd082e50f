package cluster

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// fieldManager owns every object the tests apply; listing objects it
// manages tells them apart from what the server creates on its own (the
// default ServiceAccount, kube-root-ca.crt, ...).
const fieldManager = "cluster-test"

// rendered is one YAML document of a rendered file.
type rendered struct {
	file string // repository-relative path
	doc  int    // 1-based document number in file
	raw  []byte // the document as rendered, sent to the server unchanged
	obj  *unstructured.Unstructured
}

func (r rendered) String() string {
	return fmt.Sprintf("%s (document %d: %s %s/%s)", r.file, r.doc, r.obj.GetKind(), r.obj.GetNamespace(), r.obj.GetName())
}

// key identifies an object on the server.
type key struct {
	APIVersion, Kind, Namespace, Name string
}

func (r rendered) key() key {
	return key{r.obj.GetAPIVersion(), r.obj.GetKind(), r.obj.GetNamespace(), r.obj.GetName()}
}

// renderedFiles lists what Argo CD deploys: every environment's
// environments/<env>/<service>/manifests.gen.yaml, the cluster add-ons'
// environments/<env>/_platform/*.gen.yaml and apps/<env>/addons/*.gen.yaml,
// and apps/<env>/*.gen.yaml.
func renderedFiles(t testing.TB, root string) []string {
	t.Helper()
	envs, err := filepath.Glob(filepath.Join(root, "environments", "*"))
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, envDir := range envs {
		env := filepath.Base(envDir)
		m, _ := filepath.Glob(filepath.Join(envDir, "*", "manifests.gen.yaml"))
		a, _ := filepath.Glob(filepath.Join(root, "apps", env, "*.gen.yaml"))
		if len(m) == 0 || len(a) == 0 {
			t.Fatalf("environment %s: %d manifests.gen.yaml and %d apps/%s/*.gen.yaml files; expected both (run platform render)", env, len(m), len(a), env)
		}
		p, _ := filepath.Glob(filepath.Join(envDir, "_platform", "*.gen.yaml"))
		ad, _ := filepath.Glob(filepath.Join(root, "apps", env, "addons", "*.gen.yaml"))
		if len(p) == 0 || len(ad) == 0 {
			t.Fatalf("environment %s: no cluster add-ons rendered (_platform: %d files, apps/%s/addons: %d)", env, len(p), env, len(ad))
		}
		files = append(files, m...)
		files = append(files, a...)
		files = append(files, p...)
		files = append(files, ad...)
	}
	if len(files) == 0 {
		t.Fatalf("no rendered files under %s/environments", root)
	}
	sort.Strings(files)
	return files
}

// loadRendered splits each file into its documents (skipping documents
// that are only comments) and checks every object names its kind.
func loadRendered(t testing.TB, root string, files []string) []rendered {
	t.Helper()
	var out []rendered
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		docs, err := loadFile(f)
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		for i, d := range docs {
			d.file = rel
			if d.obj.GetAPIVersion() == "" || d.obj.GetKind() == "" || d.obj.GetName() == "" {
				t.Fatalf("%s document %d: apiVersion, kind and metadata.name are required", rel, i+1)
			}
			out = append(out, d)
		}
	}
	return out
}

func loadFile(path string) ([]rendered, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var out []rendered
	for n := 1; ; n++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", n, err)
		}
		// Through JSON, as the server reads it: integers become int64.
		js, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", n, err)
		}
		if s := strings.TrimSpace(string(js)); s == "null" || s == "{}" {
			n-- // only comments
			continue
		}
		obj := &unstructured.Unstructured{}
		if err := obj.UnmarshalJSON(js); err != nil {
			return nil, fmt.Errorf("document %d: %w", n, err)
		}
		out = append(out, rendered{doc: n, raw: doc, obj: obj})
	}
}

// apply server-side applies body (YAML or JSON) as obj with strict field
// validation: an unknown or duplicate field is an error, not a warning.
func (c *cluster) apply(ctx context.Context, obj *unstructured.Unstructured, body []byte) (*unstructured.Unstructured, error) {
	ri, _, err := c.resource(obj.GetAPIVersion(), obj.GetKind(), obj.GetNamespace())
	if err != nil {
		return nil, err
	}
	force := true
	return ri.Patch(ctx, obj.GetName(), types.ApplyPatchType, body, metav1.PatchOptions{
		FieldManager:    fieldManager,
		FieldValidation: metav1.FieldValidationStrict,
		Force:           &force,
	})
}

// applyJSON applies obj as it is now (after a test changed it).
func (c *cluster) applyJSON(ctx context.Context, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	body, err := obj.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return c.apply(ctx, obj, body)
}

// applyAll applies the documents in order, cluster-scoped kinds first
// (a rendered Namespace must exist before what lives in it).
func (c *cluster) applyAll(ctx context.Context, t testing.TB, docs []rendered) {
	t.Helper()
	order := make([]rendered, len(docs))
	copy(order, docs)
	sort.SliceStable(order, func(i, j int) bool {
		return order[i].obj.GetNamespace() == "" && order[j].obj.GetNamespace() != ""
	})
	for _, d := range order {
		if _, err := c.apply(ctx, d.obj, d.raw); err != nil {
			t.Errorf("apply %s: %v", d, err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// namespacesOf returns the namespaces the documents live in, sorted.
func namespacesOf(docs []rendered) []string {
	seen := map[string]bool{}
	for _, d := range docs {
		if ns := d.obj.GetNamespace(); ns != "" {
			seen[ns] = true
		}
	}
	out := make([]string, 0, len(seen))
	for ns := range seen {
		out = append(out, ns)
	}
	sort.Strings(out)
	return out
}

// managedObjects lists, for every kind and namespace the documents use,
// the objects on the server that fieldManager applied.
func (c *cluster) managedObjects(ctx context.Context, t testing.TB, docs []rendered) []key {
	t.Helper()
	type scope struct{ apiVersion, kind, namespace string }
	scopes := map[scope]bool{}
	for _, d := range docs {
		scopes[scope{d.obj.GetAPIVersion(), d.obj.GetKind(), d.obj.GetNamespace()}] = true
	}
	var out []key
	for s := range scopes {
		ri, _, err := c.resource(s.apiVersion, s.kind, s.namespace)
		if err != nil {
			t.Fatal(err)
		}
		list, err := ri.List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatalf("list %s %s in %q: %v", s.apiVersion, s.kind, s.namespace, err)
		}
		for _, item := range list.Items {
			if !managedBy(&item, fieldManager) {
				continue
			}
			out = append(out, key{item.GetAPIVersion(), item.GetKind(), item.GetNamespace(), item.GetName()})
		}
	}
	sortKeys(out)
	return out
}

func managedBy(u *unstructured.Unstructured, manager string) bool {
	for _, mf := range u.GetManagedFields() {
		if mf.Manager == manager && mf.Operation == metav1.ManagedFieldsOperationApply {
			return true
		}
	}
	return false
}

func sortKeys(keys []key) {
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		return strings.Join([]string{a.Namespace, a.Kind, a.Name, a.APIVersion}, "\x00") <
			strings.Join([]string{b.Namespace, b.Kind, b.Name, b.APIVersion}, "\x00")
	})
}

func parseGV(apiVersion string) (schema.GroupVersion, error) {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return gv, fmt.Errorf("apiVersion %q: %w", apiVersion, err)
	}
	return gv, nil
}
