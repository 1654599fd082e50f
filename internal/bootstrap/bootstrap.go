// Package bootstrap is the one first step of a new cluster (`platform
// bootstrap`): it installs Argo CD from the pinned chart and values the
// model renders for the argo-cd add-on, then server-side applies the
// environment's AppProjects and its root Applications. After that Argo CD
// syncs everything else from Git, itself included, so the AppProject/root
// chicken-and-egg (the root belongs to a project it would deploy itself) is
// gone. It is idempotent: a second run reports every object unchanged.
//
// Field managers: the Argo CD install is applied as argocd-controller, the
// manager of Argo CD's own server-side syncs (the argo-cd add-on syncs with
// ServerSideApply=true), so when Argo CD takes itself over it owns exactly
// these fields and a later chart version that drops one removes it; under a
// manager of its own the bootstrap would co-own every field forever. The
// projects and root Applications are applied as platform-bootstrap; Argo CD
// syncs them with client-side apply, whose last-applied annotation governs
// removals, so the handover needs nothing more.
package bootstrap

import (
	"context"
	"fmt"
	"io"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/bloody-sweet/platform/internal/cliexit"
)

// Field managers of the two kinds of objects bootstrap applies.
const (
	ModelManager  = "platform-bootstrap"
	ArgoCDManager = "argocd-controller"
)

// Options is one bootstrap run.
type Options struct {
	// Root is the repository root holding the rendered apps/<env>.
	Root string
	Env  string
	// Config reaches the cluster's API server.
	Config *rest.Config
	// Chart is a local archive or directory of the argo-cd chart at the
	// model's version; empty downloads it from the chart's repository.
	Chart string
	// Manifests, instead of the chart, is a file or directory of Argo CD's
	// install manifests (e.g. its manifests/crds of the same release), for
	// clusters where Argo CD's processes run outside the cluster (tests).
	Manifests string
	// DryRun asks the API server what would change (server-side dry run)
	// and changes nothing.
	DryRun bool
	// Log receives progress lines; nil discards them.
	Log io.Writer
	// CRDTimeout bounds the wait for Argo CD's CRDs to be served (default 2m).
	CRDTimeout time.Duration
}

// Report lists every object in the order it was applied.
type Report struct {
	Env     string
	DryRun  bool
	Results []Result
}

// Count is how many objects ended with action a.
func (r *Report) Count(a Action) int {
	n := 0
	for _, x := range r.Results {
		if x.Action == a {
			n++
		}
	}
	return n
}

// Run bootstraps opts.Env into the cluster of opts.Config.
func Run(ctx context.Context, opts Options) (*Report, error) {
	logw := opts.Log
	if logw == nil {
		logw = io.Discard
	}
	if opts.Chart != "" && opts.Manifests != "" {
		return nil, cliexit.BadInputf("--chart and --manifests are two ways to install Argo CD: give one")
	}
	if opts.Config == nil {
		return nil, cliexit.BadInputf("no cluster: a kubeconfig is required")
	}
	model, err := LoadModel(opts.Root, opts.Env)
	if err != nil {
		return nil, err
	}
	dc, err := discovery.NewDiscoveryClientForConfig(opts.Config)
	if err != nil {
		return nil, fmt.Errorf("cluster client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(opts.Config)
	if err != nil {
		return nil, fmt.Errorf("cluster client: %w", err)
	}

	// render is the install for the cluster as it is now: the chart's
	// templates may test the cluster's APIs, so after its CRDs are served
	// the chart is rendered again, as Argo CD will render it.
	var render func() ([]*unstructured.Unstructured, error)
	switch {
	case opts.Manifests != "":
		render = func() ([]*unstructured.Unstructured, error) { return readObjects(opts.Manifests) }
	default:
		version, err := dc.ServerVersion()
		if err != nil {
			return nil, fmt.Errorf("reach the API server: %w", err)
		}
		ch, err := LoadChart(ctx, model.ArgoCD, opts.Chart)
		if err != nil {
			return nil, err
		}
		render = func() ([]*unstructured.Unstructured, error) {
			apis, err := apiVersions(dc)
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(logw, "bootstrap: rendering chart %s %s for %s\n", model.ArgoCD.Name, model.ArgoCD.Version, version.GitVersion)
			return RenderChart(ch, model.ArgoCD, Cluster{KubeVersion: version.GitVersion, APIVersions: apis})
		}
	}
	install, err := render()
	if err != nil {
		return nil, err
	}

	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
	a := &applier{dyn: dyn, mapper: mapper, dryRun: opts.DryRun, crds: map[schema.GroupKind]bool{}}
	rep := &Report{Env: opts.Env, DryRun: opts.DryRun}
	record := func(r Result) {
		rep.Results = append(rep.Results, r)
		fmt.Fprintf(logw, "bootstrap: %-15s %s (%s)\n", r.Action, r.ref(), r.Manager)
	}

	var crds, rest []*unstructured.Unstructured
	var crdNames []string
	for _, o := range installOrder(install) {
		if isCRD(o) {
			crds = append(crds, o)
			crdNames = append(crdNames, o.GetName())
			g, _, _ := unstructured.NestedString(o.Object, "spec", "group")
			k, _, _ := unstructured.NestedString(o.Object, "spec", "names", "kind")
			a.crds[schema.GroupKind{Group: g, Kind: k}] = true
			continue
		}
		rest = append(rest, o)
	}
	if len(install) > 0 {
		// Argo CD's add-on syncs with CreateNamespace=true; so does this.
		// (with the label the API server puts on every namespace: applied
		// without it, the second run would take it over and report the
		// namespace configured)
		name := model.ArgoCD.Namespace
		ns := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{
				"name": name, "labels": map[string]any{"kubernetes.io/metadata.name": name},
			},
		}}
		crds = append([]*unstructured.Unstructured{ns}, crds...)
	}
	createdCRD := false
	// The install carries the tracking annotation the argo-cd add-on's
	// sync will set: applied as the same field manager, an object without
	// it would lose Argo CD's annotation on the next bootstrap run.
	var track func(*unstructured.Unstructured)
	if model.ArgoCD.tracksByAnnotation() {
		track = func(o *unstructured.Unstructured) {
			ann := o.GetAnnotations()
			if ann == nil {
				ann = map[string]string{}
			}
			ann[TrackingAnnotation] = trackingID(model.ArgoCD.Application, model.ArgoCD.Namespace, o)
			o.SetAnnotations(ann)
		}
	}
	for i, o := range crds {
		t := track
		if i == 0 && len(install) > 0 {
			t = nil // the namespace: Argo CD creates it (CreateNamespace) without tracking it
		}
		r, err := a.apply(ctx, o, ArgoCDManager, model.ArgoCD.Namespace, t)
		if err != nil {
			return rep, err
		}
		record(r)
		createdCRD = createdCRD || (r.Kind == "CustomResourceDefinition" && r.Action == Created)
	}
	if len(crdNames) > 0 && !opts.DryRun {
		timeout := opts.CRDTimeout
		if timeout == 0 {
			timeout = 2 * time.Minute
		}
		fmt.Fprintf(logw, "bootstrap: waiting for %d CRD(s) to be served\n", len(crdNames))
		if err := waitEstablished(ctx, dyn, crdNames, timeout); err != nil {
			return rep, err
		}
		if err := waitDiscovered(ctx, mapper, crds, timeout); err != nil {
			return rep, err
		}
	}
	if fromChart := opts.Manifests == ""; fromChart && createdCRD {
		if install, err = render(); err != nil {
			return rep, err
		}
		rest = rest[:0]
		for _, o := range installOrder(install) {
			if !isCRD(o) {
				rest = append(rest, o)
			}
		}
	}
	for _, o := range rest {
		r, err := a.apply(ctx, o, ArgoCDManager, model.ArgoCD.Namespace, track)
		if err != nil {
			return rep, err
		}
		record(r)
	}
	for _, o := range model.Objects() {
		r, err := a.apply(ctx, o, ModelManager, o.GetNamespace(), nil)
		if err != nil {
			return rep, err
		}
		if r.Action == Deferred {
			// without Argo CD's CRDs there is nothing to bootstrap.
			return rep, fmt.Errorf("%s: the cluster does not serve %s: Argo CD's CRDs were not installed (the chart or --manifests must carry them)", r.ref(), o.GroupVersionKind())
		}
		record(r)
	}
	return rep, nil
}

// apiVersions is the cluster's group/versions and group/version/kinds, the
// set Helm's .Capabilities.APIVersions.Has checks.
func apiVersions(dc discovery.ServerResourcesInterface) ([]string, error) {
	_, lists, err := dc.ServerGroupsAndResources()
	if err != nil && !discovery.IsGroupDiscoveryFailedError(err) {
		return nil, fmt.Errorf("list the API server's APIs: %w", err)
	}
	var out []string
	for _, l := range lists {
		out = append(out, l.GroupVersion)
		for _, r := range l.APIResources {
			out = append(out, l.GroupVersion+"/"+r.Kind)
		}
	}
	return out, nil
}

func isCRD(o *unstructured.Unstructured) bool {
	return o.GroupVersionKind().GroupKind() == schema.GroupKind{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}
}
