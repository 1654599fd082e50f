package bootstrap

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/bloody-sweet/platform/internal/cliexit"
)

// The rendered files bootstrap reads (internal/render writes them): the
// Argo CD add-on gives the chart and values, the projects and the two
// app-of-apps are what Argo CD cannot create for itself.
const (
	// ArgoCDAddon is the add-on name of Argo CD in cue/config/addons.cue.
	ArgoCDAddon = "argo-cd"

	appsDir = "apps"
)

// Chart is the pinned Helm chart of the Argo CD add-on and the values the
// model gives it, read from its rendered Application.
type Chart struct {
	// Application is the add-on's Application, the owner Argo CD records
	// on each object it syncs (resource tracking).
	Application string
	RepoURL     string
	Name        string
	Version     string
	ReleaseName string
	Namespace   string
	Values      map[string]any
}

// Model is what one environment's bootstrap applies, from the rendered
// tree: the Argo CD chart, then the AppProjects and the root Applications.
type Model struct {
	Env string
	// Source names the rendered file of the Argo CD add-on (for errors).
	Source string
	ArgoCD Chart
	// Projects are the services' and the add-ons' AppProjects; Roots the
	// environment's root Application and the add-ons' app-of-apps.
	Projects []*unstructured.Unstructured
	Roots    []*unstructured.Unstructured
}

// Objects is the projects, then the root Applications: the order they must
// be applied in (an Application names its project).
func (m *Model) Objects() []*unstructured.Unstructured {
	return slices.Concat(m.Projects, m.Roots)
}

// Environments lists the environments rendered under root/apps.
func Environments(root string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(root, appsDir))
	if err != nil {
		return nil, cliexit.WrapBadInput(fmt.Errorf("read the rendered environments: %w (is --root the repository root?)", err))
	}
	var envs []string
	for _, e := range entries {
		if e.IsDir() && fileExists(filepath.Join(root, appsDir, e.Name(), "root.application.gen.yaml")) {
			envs = append(envs, e.Name())
		}
	}
	return envs, nil
}

// LoadModel reads environment env's rendered Argo CD add-on, AppProjects
// and root Applications. An unknown environment or a missing file is bad
// input (exit 2) naming the file.
func LoadModel(root, env string) (*Model, error) {
	envs, err := Environments(root)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(envs, env) {
		return nil, cliexit.BadInputf("unknown environment %q: rendered environments are %s (run `platform render` first if one is missing)", env, strings.Join(envs, ", "))
	}
	dir := filepath.Join(root, appsDir, env)
	m := &Model{Env: env, Source: filepath.Join(dir, "addons", ArgoCDAddon+".application.gen.yaml")}
	app, err := readOne(m.Source, "Application")
	if err != nil {
		return nil, err
	}
	if m.ArgoCD, err = chartOf(m.Source, app); err != nil {
		return nil, err
	}
	for _, f := range []string{"project.gen.yaml", filepath.Join("addons", "project.gen.yaml")} {
		p, err := readOne(filepath.Join(dir, f), "AppProject")
		if err != nil {
			return nil, err
		}
		m.Projects = append(m.Projects, p)
	}
	for _, f := range []string{"root.application.gen.yaml", "addons.application.gen.yaml"} {
		a, err := readOne(filepath.Join(dir, f), "Application")
		if err != nil {
			return nil, err
		}
		m.Roots = append(m.Roots, a)
	}
	return m, nil
}

// chartOf reads the Helm source of the Argo CD add-on's Application.
func chartOf(file string, app *unstructured.Unstructured) (Chart, error) {
	field := func(path ...string) (string, error) {
		s, ok, err := unstructured.NestedString(app.Object, path...)
		if err != nil || !ok || s == "" {
			return "", cliexit.BadInputf("%s: %s is missing or not a string", file, strings.Join(path, "."))
		}
		return s, nil
	}
	c := Chart{Application: app.GetName()}
	var err error
	for _, f := range []struct {
		dst  *string
		path []string
	}{
		{&c.RepoURL, []string{"spec", "source", "repoURL"}},
		{&c.Version, []string{"spec", "source", "targetRevision"}},
		{&c.ReleaseName, []string{"spec", "source", "helm", "releaseName"}},
		{&c.Namespace, []string{"spec", "destination", "namespace"}},
	} {
		if *f.dst, err = field(f.path...); err != nil {
			return c, err
		}
	}
	// a Helm repository names the chart; an OCI source is the chart itself.
	if strings.HasPrefix(c.RepoURL, "oci://") {
		c.Name = c.RepoURL[strings.LastIndex(c.RepoURL, "/")+1:]
	} else if c.Name, err = field("spec", "source", "chart"); err != nil {
		return c, err
	}
	vals, _, err := unstructured.NestedMap(app.Object, "spec", "source", "helm", "valuesObject")
	if err != nil {
		return c, cliexit.BadInputf("%s: spec.source.helm.valuesObject: %v", file, err)
	}
	c.Values = vals
	return c, nil
}

// readOne reads a rendered file holding exactly one object of kind.
func readOne(file, kind string) (*unstructured.Unstructured, error) {
	objs, err := readObjects(file)
	if err != nil {
		return nil, err
	}
	if len(objs) != 1 || objs[0].GetKind() != kind {
		return nil, cliexit.BadInputf("%s: want one %s, found %d object(s)", file, kind, len(objs))
	}
	return objs[0], nil
}

// readObjects reads every object of a YAML file (several documents) or of
// the *.yaml/*.yml/*.json files of a directory, in name order.
func readObjects(path string) ([]*unstructured.Unstructured, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, cliexit.WrapBadInput(err)
	}
	var files []string
	if info.IsDir() {
		err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			switch filepath.Ext(p) {
			case ".yaml", ".yml", ".json":
				if !d.IsDir() {
					files = append(files, p)
				}
			}
			return nil
		})
		if err != nil {
			return nil, cliexit.WrapBadInput(err)
		}
	} else {
		files = []string{path}
	}
	var out []*unstructured.Unstructured
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, cliexit.WrapBadInput(err)
		}
		objs, err := decodeObjects(f, b)
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	return out, nil
}

// decodeObjects splits a multi-document YAML stream into objects; empty
// documents are skipped, a document without apiVersion/kind is bad input
// naming the file and the document's line.
func decodeObjects(name string, b []byte) ([]*unstructured.Unstructured, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	var out []*unstructured.Unstructured
	line := 1
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, cliexit.BadInputf("%s:%d: %v", name, line, err)
		}
		start := line
		// (+1: the "---" line the reader drops)
		line += bytes.Count(doc, []byte("\n")) + 1
		var obj map[string]any
		if err := yaml.Unmarshal(doc, &obj); err != nil {
			return nil, cliexit.BadInputf("%s:%d: %v", name, start, err)
		}
		if len(obj) == 0 {
			continue
		}
		u := &unstructured.Unstructured{Object: obj}
		if u.GetAPIVersion() == "" || u.GetKind() == "" {
			return nil, cliexit.BadInputf("%s:%d: a document without apiVersion and kind", name, start)
		}
		out = append(out, u)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// TrackingAnnotation is where Argo CD records which Application owns an
// object when application.resourceTrackingMethod is annotation.
const TrackingAnnotation = "argocd.argoproj.io/tracking-id"

// tracksByAnnotation reports whether the model's argocd-cm makes Argo CD
// track its objects by annotation.
func (c Chart) tracksByAnnotation() bool {
	m, _, _ := unstructured.NestedString(c.Values, "configs", "cm", "application.resourceTrackingMethod")
	return m == "annotation"
}

// trackingID is the tracking annotation Argo CD puts on obj when the
// Application app with destination namespace dest syncs it:
// <app>:<group>/<kind>:<namespace>/<name>, the namespace defaulting to the
// destination's (cluster-scoped objects included, as Argo CD does).
func trackingID(app, dest string, obj *unstructured.Unstructured) string {
	ns := obj.GetNamespace()
	if ns == "" {
		ns = dest
	}
	gvk := obj.GroupVersionKind()
	return fmt.Sprintf("%s:%s/%s:%s/%s", app, gvk.Group, gvk.Kind, ns, obj.GetName())
}
