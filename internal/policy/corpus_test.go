package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

const repoRoot = "../.."

// samplePlan is a realistic prod plan (RDS, Aurora) that passes every
// policy; the corpus puts it where a Terraform root would write its plan.
const samplePlan = "../../policies/terraform/db_not_public/testdata/allowed.json"

// copyCorpus copies what `platform check` checks without PATH (the rendered
// environments and apps, plus a Terraform plan) into a temporary repository
// and returns its root.
func copyCorpus(t *testing.T) string {
	t.Helper()
	files, err := RepoTargets(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	var rendered int
	for _, f := range files {
		if strings.HasPrefix(f, filepath.Join(repoRoot, "environments")) {
			rendered++
		}
	}
	if rendered == 0 {
		t.Fatal("no rendered environments/**/*.gen.yaml: run `platform render` (the corpus test checks the real render)")
	}
	root := t.TempDir()
	files = append(files, samplePlan)
	for _, f := range files {
		rel, err := filepath.Rel(repoRoot, f)
		if err != nil {
			t.Fatal(err)
		}
		if f == samplePlan {
			rel = filepath.Join("terraform", "live", "prod", "plan.json")
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// checkCorpus runs the gate the way `platform check` does without PATH.
func checkCorpus(t *testing.T, root string) *Report {
	t.Helper()
	files, err := RepoTargets(root)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := loadTestEngine(t).CheckFiles(context.Background(), CheckInput{Files: files})
	if err != nil {
		t.Fatal(err)
	}
	for _, ie := range rep.InputErrors {
		t.Errorf("input error: %v", ie)
	}
	return rep
}

func findingKeys(root string, rep *Report) []string {
	var keys []string
	for _, f := range rep.Findings {
		keys = append(keys, fmt.Sprintf("%s %s %s %s", filepath.ToSlash(f.File[len(root)+1:]), f.Level, f.Rule, f.Resource))
	}
	sort.Strings(keys)
	return keys
}

// editYAML rewrites one rendered file, applying edit to the document of the
// given kind; edit may return false to drop the document.
func editYAML(t *testing.T, root, rel, kind string, edit func(obj map[string]any) bool) {
	t.Helper()
	path := filepath.Join(root, rel)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	found := false
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			break
		}
		if obj == nil {
			continue
		}
		if obj["kind"] == kind && !found {
			found = true
			if !edit(obj) {
				continue
			}
		}
		if err := enc.Encode(obj); err != nil {
			t.Fatal(err)
		}
	}
	if !found {
		t.Fatalf("%s has no %s", rel, kind)
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func dig(obj map[string]any, path ...any) any {
	var cur any = obj
	for _, p := range path {
		switch k := p.(type) {
		case string:
			cur = cur.(map[string]any)[k]
		case int:
			cur = cur.([]any)[k]
		}
	}
	return cur
}

func firstContainer(obj map[string]any) map[string]any {
	return dig(obj, "spec", "template", "spec", "containers", 0).(map[string]any)
}

// imageRepository strips the tag and digest from an image reference.
func imageRepository(image string) string {
	image, _, _ = strings.Cut(image, "@")
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		image = image[:i]
	}
	return image
}

// TestCorpus checks the real rendered environments (and a realistic plan):
// they pass clean, and each mutation below adds exactly the findings named.
func TestCorpus(t *testing.T) {
	t.Parallel()
	root := copyCorpus(t)
	baseline := checkCorpus(t, root)
	if len(baseline.Documents) == 0 {
		t.Fatal("corpus has no documents")
	}
	if len(baseline.Findings) > 0 {
		t.Fatalf("rendered environments do not pass clean:\n%s", strings.Join(findingKeys(root, baseline), "\n"))
	}

	cases := []struct {
		name   string
		mutate func(t *testing.T, root string)
		want   []string
	}{{
		name: "privileged container",
		mutate: func(t *testing.T, root string) {
			editYAML(t, root, "environments/prod/order/manifests.gen.yaml", "Rollout", func(o map[string]any) bool {
				firstContainer(o)["securityContext"].(map[string]any)["privileged"] = true
				return true
			})
		},
		want: []string{"environments/prod/order/manifests.gen.yaml deny pod_security.privileged Rollout orders-prod/order container order"},
	}, {
		name: "latest image",
		mutate: func(t *testing.T, root string) {
			editYAML(t, root, "environments/staging/payment/manifests.gen.yaml", "Rollout", func(o map[string]any) bool {
				c := firstContainer(o)
				c["image"] = imageRepository(c["image"].(string)) + ":latest"
				return true
			})
		},
		want: []string{
			"environments/staging/payment/manifests.gen.yaml deny delivery.release_digest Rollout orders-staging/payment container payment",
			"environments/staging/payment/manifests.gen.yaml deny pod_security.image_tag Rollout orders-staging/payment container payment",
		},
	}, {
		name: "prod image by tag, not digest",
		mutate: func(t *testing.T, root string) {
			editYAML(t, root, "environments/prod/order/manifests.gen.yaml", "Rollout", func(o map[string]any) bool {
				c := firstContainer(o)
				image := c["image"].(string)
				c["image"] = image[:strings.Index(image, "@")]
				return true
			})
		},
		want: []string{"environments/prod/order/manifests.gen.yaml deny delivery.release_digest Rollout orders-prod/order container order"},
	}, {
		name: "prod Rollout without analysis",
		mutate: func(t *testing.T, root string) {
			editYAML(t, root, "environments/prod/order/manifests.gen.yaml", "Rollout", func(o map[string]any) bool {
				canary := dig(o, "spec", "strategy", "canary").(map[string]any)
				delete(canary, "analysis")
				var steps []any
				for _, s := range canary["steps"].([]any) {
					if _, ok := s.(map[string]any)["analysis"]; !ok {
						steps = append(steps, s)
					}
				}
				canary["steps"] = steps
				return true
			})
		},
		want: []string{"environments/prod/order/manifests.gen.yaml deny delivery.prod_canary Rollout orders-prod/order"},
	}, {
		name: "prod service without PodDisruptionBudget",
		mutate: func(t *testing.T, root string) {
			editYAML(t, root, "environments/prod/payment/manifests.gen.yaml", "PodDisruptionBudget", func(map[string]any) bool { return false })
		},
		// rollout.gen.yaml holds the same Rollout for review; it lost its PDB too.
		want: []string{
			"environments/prod/payment/manifests.gen.yaml deny availability.pdb Rollout orders-prod/payment",
			"environments/prod/payment/rollout.gen.yaml deny availability.pdb Rollout orders-prod/payment",
		},
	}, {
		name: "public RDS in a plan",
		mutate: func(t *testing.T, root string) {
			path := filepath.Join(root, "terraform", "live", "prod", "plan.json")
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var plan map[string]any
			if err := json.Unmarshal(raw, &plan); err != nil {
				t.Fatal(err)
			}
			for _, rc := range plan["resource_changes"].([]any) {
				rc := rc.(map[string]any)
				if rc["type"] == "aws_db_instance" {
					dig(rc, "change", "after").(map[string]any)["publicly_accessible"] = true
				}
			}
			out, err := json.MarshalIndent(plan, "", " ")
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, out, 0o644); err != nil {
				t.Fatal(err)
			}
		},
		want: []string{"terraform/live/prod/plan.json deny terraform.db_not_public aws_db_instance module.rds.aws_db_instance.this"},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := copyCorpus(t)
			tc.mutate(t, root)
			rep := checkCorpus(t, root)
			if diff := cmp.Diff(tc.want, findingKeys(root, rep)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if rep.ExitCode() != 1 {
				t.Errorf("exit code %d, want 1", rep.ExitCode())
			}
		})
	}
}
