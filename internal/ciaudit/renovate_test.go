package ciaudit

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// renovateConfig is the part of renovate.json these tests read.
type renovateConfig struct {
	Automerge      *bool `json:"automerge"`
	PackageRules   []map[string]any
	CustomManagers []struct {
		Description         string   `json:"description"`
		CustomType          string   `json:"customType"`
		ManagerFilePatterns []string `json:"managerFilePatterns"`
		MatchStrings        []string `json:"matchStrings"`
		DepNameTemplate     string   `json:"depNameTemplate"`
		PackageNameTemplate string   `json:"packageNameTemplate"`
		DatasourceTemplate  string   `json:"datasourceTemplate"`
	} `json:"customManagers"`
}

type dep struct{ file, name, value, manager string }

// repoFiles lists the repository's files (slash paths from the root) with
// their contents, less the paths renovate.json ignores.
func repoFiles(t *testing.T) map[string]string {
	t.Helper()
	files := map[string]string{}
	skip := []string{".git", "node_modules", "testdata", "environments", "apps", ".cache", "results"}
	err := filepath.WalkDir("../..", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && slices.Contains(skip, d.Name()) {
			return filepath.SkipDir
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, _ := filepath.Rel("../..", p)
		rel = filepath.ToSlash(rel)
		if !strings.HasSuffix(rel, ".sh") && !strings.HasSuffix(rel, ".cue") && !strings.HasSuffix(rel, ".yml") && rel != "Makefile" {
			return nil
		}
		b, err := os.ReadFile(p)
		files[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

var templateVar = regexp.MustCompile(`\{\{\{?(\w+)\}?\}\}`)

// expand fills a template's {{{group}}} from the match's named groups.
func expand(tmpl string, groups map[string]string) string {
	return templateVar.ReplaceAllStringFunc(tmpl, func(m string) string {
		return groups[templateVar.FindStringSubmatch(m)[1]]
	})
}

// fileRegexp turns a managerFilePatterns entry into a regexp; only the
// "/regex/" form is used in this repository.
func fileRegexp(t *testing.T, pattern string) *regexp.Regexp {
	t.Helper()
	if len(pattern) < 2 || !strings.HasPrefix(pattern, "/") || !strings.HasSuffix(pattern, "/") {
		t.Fatalf("managerFilePatterns %q: use the /regex/ form", pattern)
	}
	return regexp.MustCompile(pattern[1 : len(pattern)-1])
}

// TestRenovateCustomManagersMatchTheRepository applies every custom regex
// manager of renovate.json to the real files the way Renovate does, so a
// reworded line that silently drops a pin out of Renovate's sight fails here.
// Renovate runs these regexes with RE2 too, so Go's engine reads them alike.
func TestRenovateCustomManagersMatchTheRepository(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../renovate.json")
	if err != nil {
		t.Fatal(err)
	}
	var cfg renovateConfig
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatalf("renovate.json: %v", err)
	}
	files := repoFiles(t)
	var all []dep
	for _, m := range cfg.CustomManagers {
		if m.CustomType != "regex" || m.DatasourceTemplate == "" || len(m.MatchStrings) == 0 {
			t.Errorf("manager %q: want customType regex, a datasourceTemplate and matchStrings", m.Description)
			continue
		}
		var found []dep
		for _, fp := range m.ManagerFilePatterns {
			fre := fileRegexp(t, fp)
			for name, content := range files {
				if !fre.MatchString(name) {
					continue
				}
				for _, ms := range m.MatchStrings {
					re, err := regexp.Compile(ms)
					if err != nil {
						t.Fatalf("manager %q: matchString %q: %v", m.Description, ms, err)
					}
					for _, sub := range re.FindAllStringSubmatch(content, -1) {
						groups := map[string]string{}
						for i, g := range re.SubexpNames() {
							if g != "" {
								groups[g] = sub[i]
							}
						}
						d := dep{file: name, name: groups["depName"], value: groups["currentValue"], manager: m.Description}
						if m.DepNameTemplate != "" {
							d.name = expand(m.DepNameTemplate, groups)
						}
						if m.PackageNameTemplate != "" {
							d.name = expand(m.PackageNameTemplate, groups)
						}
						if d.name == "" || d.value == "" {
							t.Errorf("manager %q in %s: match %q has no dependency name or version", m.Description, name, sub[0])
						}
						found = append(found, d)
					}
				}
			}
		}
		if len(found) == 0 {
			t.Errorf("manager %q matches nothing in the repository", m.Description)
		}
		all = append(all, found...)
	}

	// Pins that must stay in Renovate's sight (name, version as in the file).
	for _, want := range []dep{
		{"cue/config/addons.cue", "argo-cd", "9.3.7", ""},
		{"cue/config/addons.cue", "public.ecr.aws/karpenter/karpenter", "1.6.3", ""},
		{"cue/config/addons.cue", "quay.io/argoproj/argocd", "v3.2.11", ""},
		{"cue/config/addons.cue", "ghcr.io/open-telemetry/opentelemetry-collector-releases/opentelemetry-collector-contrib", "0.153.0", ""},
		{"scripts/bench-render.sh", "cuelang.org/go", "v0.17.1", ""},
		{"scripts/bench-render.sh", "helm.sh/helm/v3", "v3.22.0", ""},
		{"scripts/test-gitops.sh", "github.com/argoproj/argo-cd/v3", "v3.2.11", ""},
		{"scripts/test-terraform.sh", "github.com/opentofu/opentofu", "v1.10.6", ""},
		{".github/workflows/nightly-gitops.yml", "argoproj/argo-rollouts", "v1.8.3", ""},
		{".github/workflows/nightly-infra.yml", "hashicorp/terraform", "1.11.4", ""},
	} {
		if !slices.ContainsFunc(all, func(d dep) bool { return d.file == want.file && d.name == want.name && d.value == want.value }) {
			t.Errorf("no manager extracts %s %s from %s", want.name, want.value, want.file)
		}
	}

	// Coverage: every chart and every literal tool version is someone's.
	chart := regexp.MustCompile(`chart: \{repoURL:`)
	toolVersion := regexp.MustCompile(`(?m)^\s*(?:[A-Za-z_]+_(?:VERSION|version)=|.*go install [^@\s]+@)(v?[0-9][^\s"]*)`)
	for name, content := range files {
		if strings.HasPrefix(name, "cue/config/") {
			n := len(chart.FindAllString(content, -1))
			got := 0
			for _, d := range all {
				if d.file == name && strings.HasPrefix(d.manager, "Helm charts") {
					got++
				}
			}
			if got != n {
				t.Errorf("%s: %d charts, %d extracted by the chart managers", name, n, got)
			}
		}
		if strings.HasPrefix(name, "scripts/") || name == "Makefile" {
			for _, m := range toolVersion.FindAllStringSubmatch(content, -1) {
				if !slices.ContainsFunc(all, func(d dep) bool { return d.file == name && d.value == m[1] }) {
					t.Errorf("%s: %q pins a version no custom manager extracts", name, strings.TrimSpace(m[0]))
				}
			}
		}
	}
}

// TestRenovateNeverAutomergesProd: nothing automerges, and the add-ons
// (which render into prod) are grouped and labelled for review.
func TestRenovateNeverAutomergesProd(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../renovate.json")
	if err != nil {
		t.Fatal(err)
	}
	var cfg renovateConfig
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Automerge == nil || *cfg.Automerge {
		t.Error(`renovate.json: want "automerge": false at the top`)
	}
	prodGrouped := false
	for _, r := range cfg.PackageRules {
		if r["automerge"] == true {
			t.Errorf("package rule %q automerges", r["description"])
		}
		if names, _ := r["matchFileNames"].([]any); slices.Contains(names, any("cue/config/**")) {
			prodGrouped = r["groupName"] != nil && r["automerge"] == false && slices.Contains(r["labels"].([]any), any("prod"))
		}
	}
	if !prodGrouped {
		t.Error("no package rule groups cue/config/** (rendered into prod) with automerge false and the prod label")
	}
}
