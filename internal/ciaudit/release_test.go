package ciaudit

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// TestReleaseBuildsEveryService: the release workflow's image matrix is the
// set of services the model deploys (the folders of the rendered dev
// environment), so a new service is released from its first merge and a
// removed one stops being built.
func TestReleaseBuildsEveryService(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../.github/workflows/release.yml")
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Jobs map[string]struct {
			Strategy struct {
				Matrix struct {
					Service []string `yaml:"service"`
				} `yaml:"matrix"`
			} `yaml:"strategy"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatal(err)
	}
	var matrix []string
	for _, j := range wf.Jobs {
		matrix = append(matrix, j.Strategy.Matrix.Service...)
	}
	rendered, err := filepath.Glob("../../environments/dev/*/values.gen.yaml")
	if err != nil || len(rendered) == 0 {
		t.Fatalf("no rendered services under environments/dev (%v)", err)
	}
	var want []string
	for _, f := range rendered {
		want = append(want, filepath.Base(filepath.Dir(f)))
	}
	slices.Sort(matrix)
	if diff := cmp.Diff(want, matrix); diff != "" {
		t.Errorf("release.yml builds other images than the services rendered for dev (-rendered +matrix):\n%s", diff)
	}
}
