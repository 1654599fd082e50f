package cluster

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"
)

// The CRDs come from where the repository's CUE schemas come from:
// tools/cuegen/main.go names each project as "module@version" and the CRD
// files it converts. Every such module is downloaded through the Go module
// proxy (go mod download, checked against go.sum's checksum database) and
// searched for CustomResourceDefinitions, so a kind cuegen learns about
// (ExternalSecret, say) is installed here without a change to this test.
const cuegenSource = "tools/cuegen/main.go"

var (
	moduleVersionRe = regexp.MustCompile(`"([a-z0-9.\-]+\.[a-z]+(?:/[A-Za-z0-9._\-]+)+@v[0-9][A-Za-z0-9.\-+]*)"`)
	yamlPathRe      = regexp.MustCompile(`"([A-Za-z0-9._\-/]+\.ya?ml)"`)
)

// crdFile is one CRD and where it came from.
type crdFile struct {
	crd    *apiextensionsv1.CustomResourceDefinition
	source string // module@version/path
	named  bool   // cuegen names this file
}

// crdCatalog maps every group/kind the cuegen modules define to its CRD.
// When a module ships the same kind twice (full and trimmed variants, test
// data), the file cuegen names wins, then the first path in lexical order.
func crdCatalog(t testing.TB, root string) map[schema.GroupKind]crdFile {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(root, cuegenSource))
	if err != nil {
		t.Fatalf("read %s (the list of CRD modules): %v", cuegenSource, err)
	}
	named := map[string]bool{}
	for _, m := range yamlPathRe.FindAllStringSubmatch(string(src), -1) {
		named[m[1]] = true
	}
	mods := map[string]bool{}
	for _, m := range moduleVersionRe.FindAllStringSubmatch(string(src), -1) {
		mods[m[1]] = true
	}
	if len(mods) == 0 {
		t.Fatalf("%s names no module@version: cannot find the CRDs", cuegenSource)
	}
	modList := make([]string, 0, len(mods))
	for m := range mods {
		modList = append(modList, m)
	}
	sort.Strings(modList)

	catalog := map[schema.GroupKind]crdFile{}
	for _, mod := range modList {
		dir, err := moduleDir(mod)
		if err != nil {
			t.Fatal(err)
		}
		found, err := crdsIn(dir)
		if err != nil {
			t.Fatalf("%s: %v", mod, err)
		}
		paths := make([]string, 0, len(found))
		for p := range found {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, p := range paths {
			for _, crd := range found[p] {
				gk := schema.GroupKind{Group: crd.Spec.Group, Kind: crd.Spec.Names.Kind}
				f := crdFile{crd: crd, source: mod + "/" + p, named: named[p]}
				if old, ok := catalog[gk]; ok && (old.named || !f.named) {
					continue
				}
				catalog[gk] = f
			}
		}
	}
	return catalog
}

// moduleDir downloads module@version and returns its extracted directory.
func moduleDir(modVersion string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("go", "mod", "download", "-json", modVersion)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(stdout.Bytes(), &info); err != nil || info.Error != "" || info.Dir == "" || runErr != nil {
		return "", fmt.Errorf("go mod download %s: %v %s %s", modVersion, runErr, info.Error, stderr.String())
	}
	return info.Dir, nil
}

// skipDirs hold copies or fragments of CRDs, not the published ones.
var skipDirs = map[string]bool{".git": true, "node_modules": true, "vendor": true, "testdata": true, "test": true, "tests": true, "hack": true}

// crdsIn returns the apiextensions.k8s.io/v1 CRDs in the YAML files under
// dir, by repository-relative path.
func crdsIn(dir string) (map[string][]*apiextensionsv1.CustomResourceDefinition, error) {
	out := map[string][]*apiextensionsv1.CustomResourceDefinition{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if skipDirs[d.Name()] {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".yaml") && !strings.HasSuffix(path, ".yml") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !bytes.Contains(data, []byte("kind: CustomResourceDefinition")) {
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
		for {
			doc, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return fmt.Errorf("%s: %w", rel, err)
			}
			var head struct{ APIVersion, Kind string }
			if yaml.Unmarshal(doc, &head) != nil || head.Kind != "CustomResourceDefinition" || head.APIVersion != "apiextensions.k8s.io/v1" {
				continue
			}
			crd := &apiextensionsv1.CustomResourceDefinition{}
			if err := yaml.Unmarshal(doc, crd); err != nil {
				return fmt.Errorf("%s: %w", rel, err)
			}
			if crd.Spec.Group == "" || crd.Spec.Names.Kind == "" {
				continue
			}
			out[filepath.ToSlash(rel)] = append(out[filepath.ToSlash(rel)], crd)
		}
		return nil
	})
	return out, err
}

// installCRDs installs the CRD of every kind in kinds the server does not
// serve yet, and waits until each is established. A kind with no CRD in
// the catalog fails the test, naming it.
func (c *cluster) installCRDs(t testing.TB, catalog map[schema.GroupKind]crdFile, kinds []schema.GroupVersionKind) {
	t.Helper()
	if err := c.tryInstallCRDs(catalog, kinds); err != nil {
		t.Fatal(err)
	}
}

// tryInstallCRDs is installCRDs returning its error.
func (c *cluster) tryInstallCRDs(catalog map[schema.GroupKind]crdFile, kinds []schema.GroupVersionKind) error {
	var crds []*apiextensionsv1.CustomResourceDefinition
	seen := map[schema.GroupKind]bool{}
	var missing []string
	for _, gvk := range kinds {
		if seen[gvk.GroupKind()] {
			continue
		}
		seen[gvk.GroupKind()] = true
		if _, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version); err == nil {
			continue // built in, or already installed
		}
		f, ok := catalog[gvk.GroupKind()]
		if !ok {
			missing = append(missing, fmt.Sprintf("%s (%s)", gvk.Kind, gvk.GroupVersion()))
			continue
		}
		if !servesVersion(f.crd, gvk.Version) {
			missing = append(missing, fmt.Sprintf("%s (%s): the CRD from %s does not serve %s", gvk.Kind, gvk.GroupVersion(), f.source, gvk.Version))
			continue
		}
		crds = append(crds, f.crd.DeepCopy())
	}
	if len(missing) > 0 {
		return fmt.Errorf("no CustomResourceDefinition for rendered kind(s) %s in the modules %s names; add the project's module and CRD file there", strings.Join(missing, ", "), cuegenSource)
	}
	if len(crds) == 0 {
		return nil
	}
	if _, err := envtest.InstallCRDs(c.cfg, envtest.CRDInstallOptions{CRDs: crds}); err != nil {
		return fmt.Errorf("install CRDs: %w", err)
	}
	c.resetMapper()
	return nil
}

func servesVersion(crd *apiextensionsv1.CustomResourceDefinition, version string) bool {
	for _, v := range crd.Spec.Versions {
		if v.Name == version && v.Served {
			return true
		}
	}
	return false
}

// kindsOf returns the distinct apiVersion/kinds of the documents.
func kindsOf(docs []rendered) []schema.GroupVersionKind {
	seen := map[schema.GroupVersionKind]bool{}
	var out []schema.GroupVersionKind
	for _, d := range docs {
		gvk := d.obj.GroupVersionKind()
		if !seen[gvk] {
			seen[gvk] = true
			out = append(out, gvk)
		}
	}
	return out
}
