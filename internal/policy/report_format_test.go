package policy

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// TestSARIFValidatesAgainstSchema checks the SARIF report against the
// OASIS SARIF 2.1.0 schema (testdata/sarif-schema-2.1.0.json, see
// testdata/README.md) and the fields code scanning needs.
func TestSARIFValidatesAgainstSchema(t *testing.T) {
	t.Parallel()
	rep, rules := reportFixture(t)
	var buf bytes.Buffer
	if err := Write(&buf, "sarif", rep, rules, testTool); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("testdata/sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("sarif-schema-2.1.0.json", doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(inst); err != nil {
		t.Fatalf("SARIF output does not validate against the SARIF 2.1.0 schema: %v", err)
	}

	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name, Version string
					Rules         []struct{ ID string }
				}
			}
			AutomationDetails struct{ ID string } `json:"automationDetails"`
			Results           []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           *struct{ StartLine int }
					}
				}
			}
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 {
		t.Fatalf("version %q, %d runs; want 2.1.0 and one run", log.Version, len(log.Runs))
	}
	run := log.Runs[0]
	if run.Tool.Driver.Name != testTool.Name || run.Tool.Driver.Version != testTool.Version || run.AutomationDetails.ID != testTool.AutomationID {
		t.Errorf("tool %q %q, automation id %q; want %q %q %q", run.Tool.Driver.Name, run.Tool.Driver.Version, run.AutomationDetails.ID,
			testTool.Name, testTool.Version, testTool.AutomationID)
	}
	if want := len(rep.Findings) + len(rep.InputErrors); len(run.Results) != want {
		t.Errorf("%d results, want %d (one per finding and unreadable file)", len(run.Results), want)
	}
	withLine := 0
	for _, r := range run.Results {
		if r.RuleIndex >= len(run.Tool.Driver.Rules) || run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %s: ruleIndex %d does not point at its rule", r.RuleID, r.RuleIndex)
		}
		loc := r.Locations[0].PhysicalLocation
		if loc.ArtifactLocation.URI == "" || strings.Contains(loc.ArtifactLocation.URI, `\`) {
			t.Errorf("result %s: artifact URI %q", r.RuleID, loc.ArtifactLocation.URI)
		}
		if loc.Region != nil && loc.Region.StartLine > 0 {
			withLine++
		}
	}
	if withLine == 0 {
		t.Error("no result has a line region: code scanning could not place any on a line")
	}
}

func TestJUnitOneTestCasePerFinding(t *testing.T) {
	t.Parallel()
	rep, rules := reportFixture(t)
	var buf bytes.Buffer
	if err := Write(&buf, "junit", rep, rules, testTool); err != nil {
		t.Fatal(err)
	}
	var v junitSuites
	if err := xml.Unmarshal(buf.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	denied, _, _ := rep.Counts()
	failures, cases := 0, 0
	for _, s := range v.Suites {
		for _, c := range s.Cases {
			cases++
			if c.Failure != nil {
				failures++
			}
		}
	}
	if failures != denied {
		t.Errorf("%d failing test cases, want one per denial (%d)", failures, denied)
	}
	if cases < len(rep.Findings)+len(rep.InputErrors) || cases != v.Tests {
		t.Errorf("%d test cases (tests=%d), want at least one per finding (%d) and unreadable file (%d)", cases, v.Tests, len(rep.Findings), len(rep.InputErrors))
	}
}

func TestGitHubAnnotations(t *testing.T) {
	t.Parallel()
	rep := &Report{
		Files: []string{"environments/prod/order/manifests.gen.yaml"},
		Findings: []Finding{
			{Rule: "images.digest", Level: LevelDeny, Message: "image is a tag,\nnot a digest: 100%", Remediation: "pin by digest",
				File: "environments/prod/order/manifests.gen.yaml", Line: 42, Resource: Resource{Kind: "Rollout", Namespace: "orders-prod", Name: "order"}},
			{Rule: "pod.limits", Level: LevelWarn, Message: "no limit", File: "a,b:c.yaml", Resource: Resource{Kind: "Deployment", Name: "x"}},
			{Rule: "pod.ro", Level: LevelDeny, Message: "writable", File: "w.yaml", Line: 3, Resource: Resource{Kind: "Deployment", Name: "w"},
				WaivedBy: &Exception{Owner: "team", Expires: "2027-01-01", Pos: "cue/config/exceptions.cue:4"}},
		},
		InputErrors: []*InputError{{File: "broken.yaml", Line: 7, Msg: "did not find expected key"}},
	}
	var buf bytes.Buffer
	if err := Write(&buf, "github", rep, nil, testTool); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	want := []string{
		"::error file=broken.yaml,line=7,title=input_error::did not find expected key",
		"::error file=environments/prod/order/manifests.gen.yaml,line=42,title=images.digest::" +
			"Rollout orders-prod/order: image is a tag,%0Anot a digest: 100%25%0Afix: pin by digest",
		"::warning file=a%2Cb%3Ac.yaml,title=pod.limits::Deployment x: no limit",
		"::notice file=w.yaml,line=3,title=pod.ro::Deployment w: writable%0Awaived by an exception of team until 2027-01-01 (cue/config/exceptions.cue:4)",
	}
	if len(lines) != len(want)+1 {
		t.Fatalf("got %d lines, want %d annotations and a summary:\n%s", len(lines), len(want), buf.String())
	}
	for i, w := range want {
		if lines[i] != w {
			t.Errorf("line %d:\n got %s\nwant %s", i, lines[i], w)
		}
	}
	if !strings.Contains(lines[len(lines)-1], "1 denied, 1 warnings, 1 waived, 1 unreadable files") {
		t.Errorf("summary line %q", lines[len(lines)-1])
	}
}
