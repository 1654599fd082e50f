package policy

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	engineOnce sync.Once
	testEngine *Engine
	engineErr  error
)

// loadTestEngine compiles the real policies once per test binary.
func loadTestEngine(t testing.TB) *Engine {
	t.Helper()
	engineOnce.Do(func() {
		testEngine, engineErr = Load(context.Background(), Options{Dir: policiesDir})
	})
	if engineErr != nil {
		t.Fatalf("load policies: %v", engineErr)
	}
	return testEngine
}

// TestPolicySamples checks each policy against its own gatekeeper-style
// samples: testdata/allowed* must not trigger the policy, testdata/disallowed*
// must trigger it at least once, as a deny.
func TestPolicySamples(t *testing.T) {
	t.Parallel()
	e := loadTestEngine(t)
	dirs, err := PolicyDirs(policiesDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no policy folders found")
	}
	for _, dir := range dirs {
		id := filepath.Base(filepath.Dir(dir)) + "." + filepath.Base(dir)
		if _, ok := e.Rule(id); !ok {
			t.Errorf("%s: folder has no loaded policy %s", dir, id)
			continue
		}
		samples, _ := filepath.Glob(filepath.Join(dir, "testdata", "*"))
		for _, sample := range samples {
			base := filepath.Base(sample)
			allowed := strings.HasPrefix(base, "allowed")
			if !allowed && !strings.HasPrefix(base, "disallowed") {
				continue
			}
			t.Run(id+"/"+base, func(t *testing.T) {
				rep, err := e.CheckFiles(context.Background(), CheckInput{Files: []string{sample}})
				if err != nil {
					t.Fatal(err)
				}
				if len(rep.InputErrors) > 0 {
					t.Fatalf("sample does not parse: %v", rep.InputErrors[0])
				}
				var hits []string
				denied := false
				for _, f := range rep.Findings {
					if f.Rule == id {
						hits = append(hits, f.Level+": "+f.Message)
						denied = denied || f.Level == LevelDeny
					}
				}
				if allowed && len(hits) > 0 {
					t.Errorf("allowed sample triggers %s:\n%s", id, strings.Join(hits, "\n"))
				}
				if !allowed && !denied {
					t.Errorf("disallowed sample does not trigger a %s deny", id)
				}
			})
		}
	}
}
