package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var testTool = Tool{Name: "platform check", Version: "v0.0.0-test", AutomationID: "platform-check/test/"}

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// reportFixture checks the files of testdata/report with one exception.
func reportFixture(t *testing.T) (*Report, []*Rule) {
	t.Helper()
	e := loadTestEngine(t)
	files, err := Collect([]string{"testdata/report"})
	if err != nil {
		t.Fatal(err)
	}
	xs := []Exception{{
		Rule:     "pod_security.read_only_root_fs",
		Resource: Resource{Kind: "Deployment", Namespace: "orders-staging", Name: "reporting"},
		Owner:    "reporting-team", Reason: "writes its PDF cache next to the binary until 0.4",
		Expires: "2027-03-31", Pos: "cue/config/exceptions.cue:12",
	}}
	rep, err := e.CheckFiles(context.Background(), CheckInput{Files: files, Exceptions: xs, Today: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return rep, e.Rules()
}

func TestReportGolden(t *testing.T) {
	t.Parallel()
	rep, rules := reportFixture(t)
	if rep.ExitCode() != 2 {
		t.Errorf("exit code %d, want 2 (broken.yaml does not parse)", rep.ExitCode())
	}
	denied, warned, waived := rep.Counts()
	if denied == 0 || warned == 0 || waived != 1 {
		t.Errorf("counts denied=%d warned=%d waived=%d, want some denials and warnings and 1 waived", denied, warned, waived)
	}
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, format, rep, rules, testTool); err != nil {
				t.Fatal(err)
			}
			switch format {
			case "json", "sarif":
				var v any
				if err := json.Unmarshal(buf.Bytes(), &v); err != nil {
					t.Fatalf("%s output is not JSON: %v", format, err)
				}
			case "junit":
				var v junitSuites
				if err := xml.Unmarshal(buf.Bytes(), &v); err != nil {
					t.Fatalf("junit output is not XML: %v", err)
				}
				// conftest's layout: one failure per denial, not per resource.
				if v.Failures != denied || v.Errors != 1 || v.Skipped != waived {
					t.Errorf("junit failures=%d errors=%d skipped=%d, want %d, 1, %d", v.Failures, v.Errors, v.Skipped, denied, waived)
				}
			}
			golden := filepath.Join("testdata", "golden", "report."+format)
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestReportGolden -update)", err)
			}
			if diff := cmp.Diff(string(want), buf.String()); diff != "" {
				t.Errorf("%s report differs from %s (-want +got):\n%s", format, golden, diff)
			}
		})
	}
}

func TestWriteUnknownFormat(t *testing.T) {
	t.Parallel()
	if err := Write(&bytes.Buffer{}, "html", &Report{}, nil, testTool); err == nil {
		t.Fatal("unknown format accepted")
	}
}

// TestCollectSkipsHelmValuesInFolders: a rendered environment folder checks
// its manifests, not its Helm values; a values file named alone is read.
func TestCollectSkipsHelmValuesInFolders(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"values.gen.yaml", "manifests.gen.yaml", "rollout.gen.yaml"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("{}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Collect([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "manifests.gen.yaml"), filepath.Join(dir, "rollout.gen.yaml")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("folder (-want +got):\n%s", diff)
	}
	alone := filepath.Join(dir, "values.gen.yaml")
	if got, err := Collect([]string{alone}); err != nil || len(got) != 1 || got[0] != alone {
		t.Errorf("Collect(%s) = %v, %v; want the file itself", alone, got, err)
	}
}
