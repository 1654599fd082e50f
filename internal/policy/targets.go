package policy

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
)

// RepoTargets lists what `platform check` checks without a PATH, under the
// repository root: the rendered environments and Argo CD apps
// (environments/**/*.gen.yaml except the Helm values files values*.gen.yaml,
// whose objects are in manifests.gen.yaml; apps/**/*.gen.yaml) and any
// Terraform plan JSON the repository produces (terraform/**/plan*.json and
// terraform/**/*.plan.json). Hidden folders (.terraform) are skipped.
func RepoTargets(root string) ([]string, error) {
	rendered := func(name string) bool {
		return strings.HasSuffix(name, ".gen.yaml") && !helmValues(name)
	}
	plan := func(name string) bool {
		return strings.HasSuffix(name, ".json") && (strings.HasPrefix(name, "plan") || strings.HasSuffix(name, ".plan.json"))
	}
	var files []string
	for _, t := range []struct {
		dir   string
		match func(string) bool
	}{{"environments", rendered}, {"apps", rendered}, {"terraform", plan}} {
		dir := filepath.Join(root, t.dir)
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != dir && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if t.match(d.Name()) {
				files = append(files, path)
			}
			return nil
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("find files under %s: %w", dir, err)
		}
	}
	sort.Strings(files)
	return files, nil
}

// helmValues reports whether a file name is a rendered Helm values file: its
// objects are in the manifests rendered from it, and it is not a resource.
func helmValues(name string) bool {
	return strings.HasPrefix(name, "values") && strings.HasSuffix(name, ".gen.yaml")
}
