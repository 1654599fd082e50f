package cluster

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// TestRenderedEnvironmentsApply server-side applies every rendered object
// of every environment to a real kube-apiserver with strict field
// validation (an unknown field, a wrong type or a duplicate key is
// rejected), then lists what the server holds and compares it with what
// was rendered. It also proves the same server rejects a broken copy.
func TestRenderedEnvironmentsApply(t *testing.T) {
	root := repoRoot(t)
	docs := loadRendered(t, root, renderedFiles(t, root))
	catalog := crdCatalog(t, root)
	c := startCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	c.installCRDs(t, catalog, kindsOf(docs))
	c.createNamespaces(ctx, t, namespacesOf(docs)...)
	c.applyAll(ctx, t, docs)

	want := make([]key, 0, len(docs))
	for _, d := range docs {
		want = append(want, d.key())
	}
	sortKeys(want)
	got := c.managedObjects(ctx, t, docs)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("objects on the server differ from the rendered ones (-rendered +server):\n%s", diff)
	}
	c.logWarnings(t)
	t.Logf("applied %d objects (%d kinds, namespaces %v)", len(docs), len(kindsOf(docs)), namespacesOf(docs))

	// The same server, the same strict apply, on broken copies of a
	// rendered Rollout and Service: each must be refused with a message
	// naming the field.
	rollout := findDoc(t, docs, "Rollout", "orders-prod", "payment")
	service := findDoc(t, docs, "Service", "orders-prod", "payment")
	cases := []struct {
		name   string
		base   rendered
		mutate func(u *unstructured.Unstructured) error
		want   []string // substrings of the server's error
	}{
		{
			name: "unknown field in a Rollout's canary strategy",
			base: rollout,
			mutate: func(u *unstructured.Unstructured) error {
				return unstructured.SetNestedField(u.Object, int64(5), "spec", "strategy", "canary", "maxSurgee")
			},
			want: []string{".spec.strategy.canary.maxSurgee: field not declared in schema"},
		},
		{
			name: "wrong type for a Rollout's replicas",
			base: rollout,
			mutate: func(u *unstructured.Unstructured) error {
				return unstructured.SetNestedField(u.Object, "three", "spec", "replicas")
			},
			want: []string{".spec.replicas: expected numeric", "got string"},
		},
		{
			name: "unknown field in a Service port",
			base: service,
			mutate: func(u *unstructured.Unstructured) error {
				ports, _, err := unstructured.NestedSlice(u.Object, "spec", "ports")
				if err != nil || len(ports) == 0 {
					return err
				}
				ports[0].(map[string]any)["targetPortt"] = "http"
				return unstructured.SetNestedSlice(u.Object, ports, "spec", "ports")
			},
			want: []string{".targetPortt: field not declared in schema", ".spec.ports["},
		},
	}
	t.Run("rendered kind without a CRD", func(t *testing.T) {
		unknown := schema.GroupVersionKind{Group: "widgets.bloody-sweet.example", Version: "v1", Kind: "Widget"}
		err := c.tryInstallCRDs(catalog, []schema.GroupVersionKind{unknown})
		if err == nil || !strings.Contains(err.Error(), "Widget (widgets.bloody-sweet.example/v1)") {
			t.Fatalf("installing CRDs for a kind no module defines: got %v, want an error naming the kind", err)
		}
	})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := tc.base.obj.DeepCopy()
			if err := tc.mutate(u); err != nil {
				t.Fatalf("mutate %s: %v", tc.base, err)
			}
			_, err := c.applyJSON(ctx, u)
			if err == nil {
				t.Fatalf("the server accepted the broken copy of %s", tc.base)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// findDoc returns the rendered object of that kind, namespace and name.
func findDoc(t testing.TB, docs []rendered, kind, namespace, name string) rendered {
	t.Helper()
	for _, d := range docs {
		if d.obj.GetKind() == kind && d.obj.GetNamespace() == namespace && d.obj.GetName() == name {
			return d
		}
	}
	t.Fatalf("no rendered %s %s/%s", kind, namespace, name)
	return rendered{}
}
