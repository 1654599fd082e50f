package bootstrap

import (
	"context"
	"fmt"
	"slices"
	"time"

	"helm.sh/helm/v3/pkg/releaseutil"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
)

// Action is what bootstrap did (or, with --dry-run, would do) to one object.
type Action string

const (
	Created    Action = "created"
	Configured Action = "configured"
	Unchanged  Action = "unchanged"
	// Deferred: the cluster does not serve the object's kind yet and
	// nothing in this run installs it; Argo CD applies it when the add-on
	// that serves the kind is synced.
	Deferred Action = "deferred"
	// WouldCreate and WouldConfigure are the dry-run's created/configured.
	WouldCreate    Action = "would create"
	WouldConfigure Action = "would configure"
)

// Result is one object's outcome.
type Result struct {
	Kind      string
	Namespace string
	Name      string
	Manager   string
	Action    Action
	Note      string
}

// applier server-side applies objects as one field manager and says, per
// object, whether the apply changed it.
type applier struct {
	dyn    dynamic.Interface
	mapper meta.ResettableRESTMapper
	dryRun bool
	// crds are the kinds whose CRD this run applies: in a dry run they are
	// not served yet, and their objects would be created.
	crds map[schema.GroupKind]bool
}

// apply server-side applies obj (Force: the model wins a conflict, as
// Argo CD's own sync does) as manager; a namespaced object without a
// namespace goes to defaultNS; track, if given, marks the object as its
// owning Application's before it is applied.
func (a *applier) apply(ctx context.Context, obj *unstructured.Unstructured, manager, defaultNS string, track func(*unstructured.Unstructured)) (Result, error) {
	gvk := obj.GroupVersionKind()
	res := Result{Kind: gvk.Kind, Name: obj.GetName(), Namespace: obj.GetNamespace(), Manager: manager}
	mapping, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		if a.dryRun && a.crds[gvk.GroupKind()] {
			res.Action, res.Note = WouldCreate, "its CRD is installed by this run"
			return res, nil
		}
		res.Action, res.Note = Deferred, fmt.Sprintf("the cluster serves no %s; Argo CD applies it once the add-on that serves it is synced", gvk.GroupVersion().WithKind(gvk.Kind))
		return res, nil
	}
	if err != nil {
		return res, fmt.Errorf("%s %s: %w", gvk.Kind, obj.GetName(), err)
	}
	var ri dynamic.ResourceInterface = a.dyn.Resource(mapping.Resource)
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		if res.Namespace == "" {
			res.Namespace = defaultNS
			obj = obj.DeepCopy()
			obj.SetNamespace(defaultNS)
		}
		ri = a.dyn.Resource(mapping.Resource).Namespace(res.Namespace)
	} else if res.Namespace != "" {
		obj = obj.DeepCopy()
		obj.SetNamespace("")
		res.Namespace = ""
	}

	if track != nil {
		obj = obj.DeepCopy()
		track(obj)
	}
	live, err := ri.Get(ctx, obj.GetName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		live = nil
	} else if err != nil {
		return res, fmt.Errorf("get %s: %w", res.ref(), err)
	}
	opts := metav1.ApplyOptions{FieldManager: manager, Force: true}
	if a.dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	after, err := ri.Apply(ctx, obj.GetName(), obj, opts)
	switch {
	case err != nil && a.dryRun && live == nil && apierrors.IsNotFound(err):
		// its namespace does not exist yet: this run creates it first.
		res.Action, res.Note = WouldCreate, "its namespace is created by this run"
		return res, nil
	case err != nil:
		return res, fmt.Errorf("apply %s: %w", res.ref(), err)
	}
	// Content, not resourceVersions, decides: a dry run writes nothing,
	// and the API server bumps some kinds' resourceVersion on an apply
	// that changes no field (a Job's, seen with kube-apiserver 1.34).
	changed := live != nil && !equality.Semantic.DeepEqual(content(live), content(after))
	switch {
	case live == nil && a.dryRun:
		res.Action = WouldCreate
	case live == nil:
		res.Action = Created
	case changed && a.dryRun:
		res.Action = WouldConfigure
	case changed:
		res.Action = Configured
	default:
		res.Action = Unchanged
	}
	return res, nil
}

// content is an object without its bookkeeping: who manages which field
// and the version every write bumps.
func content(u *unstructured.Unstructured) map[string]any {
	c := u.DeepCopy()
	unstructured.RemoveNestedField(c.Object, "metadata", "managedFields")
	unstructured.RemoveNestedField(c.Object, "metadata", "resourceVersion")
	return c.Object
}

func (r Result) ref() string {
	if r.Namespace == "" {
		return r.Kind + " " + r.Name
	}
	return r.Kind + " " + r.Namespace + "/" + r.Name
}

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// waitEstablished waits until every named CRD is Established (served), so
// the objects of its kind can be applied next.
func waitEstablished(ctx context.Context, dyn dynamic.Interface, names []string, timeout time.Duration) error {
	for _, name := range names {
		var last string
		err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
			crd, err := dyn.Resource(crdGVR).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				last = err.Error()
				return false, nil
			}
			conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
			for _, c := range conds {
				m, _ := c.(map[string]any)
				if m["type"] == "Established" && m["status"] == "True" {
					return true, nil
				}
				if m["type"] == "NamesAccepted" && m["status"] == "False" {
					last = fmt.Sprint(m["message"])
				}
			}
			return false, nil
		})
		if err != nil {
			return fmt.Errorf("CRD %s not established after %s (%s): %w", name, timeout, last, err)
		}
	}
	return nil
}

// waitDiscovered waits until discovery lists the kind of every CRD: the
// API server reports a CRD Established a moment before its discovery
// document serves the new group (seen with kube-apiserver 1.34 and Argo
// CD's three CRDs), and the objects of the kind are applied through
// discovery. It resets mapper until then.
func waitDiscovered(ctx context.Context, mapper meta.ResettableRESTMapper, crds []*unstructured.Unstructured, timeout time.Duration) error {
	for _, crd := range crds {
		if !isCRD(crd) {
			continue // the namespace applied with them
		}
		g, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
		k, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "kind")
		gk := schema.GroupKind{Group: g, Kind: k}
		var last error
		err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
			mapper.Reset()
			_, last = mapper.RESTMapping(gk)
			return last == nil, nil
		})
		if err != nil {
			return fmt.Errorf("CRD %s established but %s not discovered after %s (%v): %w", crd.GetName(), gk, timeout, last, err)
		}
	}
	return nil
}

// installOrder sorts objects the way Helm installs them (namespaces, CRDs,
// RBAC, config, workloads, ...); kinds Helm does not know go last, in
// their rendered order.
func installOrder(objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	rank := func(kind string) int {
		if i := slices.Index(releaseutil.InstallOrder, kind); i >= 0 {
			return i
		}
		return len(releaseutil.InstallOrder)
	}
	out := slices.Clone(objs)
	slices.SortStableFunc(out, func(a, b *unstructured.Unstructured) int { return rank(a.GetKind()) - rank(b.GetKind()) })
	return out
}
