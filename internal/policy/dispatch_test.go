package policy

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestKindDispatchLosesNothing evaluates the corpus and every sample twice:
// with kind dispatch (METADATA custom.kinds) and with every document policy
// on every document. A kinds list that leaves out a kind a policy reads would
// show up as a missing finding here.
func TestKindDispatchLosesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	full, err := Load(ctx, Options{Dir: policiesDir, ignoreKinds: true})
	if err != nil {
		t.Fatal(err)
	}
	dispatched := loadTestEngine(t)
	files, err := RepoTargets(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	samples, err := filepath.Glob(filepath.Join(policiesDir, "*", "*", "testdata", "*"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, samples...)
	files = append(files, "testdata/report/workloads.yaml")
	var docs []*Document
	for _, f := range files {
		d, err := ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, d...)
	}
	want, err := full.checkDocuments(ctx, docs)
	if err != nil {
		t.Fatal(err)
	}
	got, err := dispatched.checkDocuments(ctx, docs)
	if err != nil {
		t.Fatal(err)
	}
	SortFindings(want)
	SortFindings(got)
	if len(want) == 0 {
		t.Fatal("no findings at all: the comparison proves nothing")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("kind dispatch changes the findings (-all kinds +dispatched):\n%s", diff)
	}
}
