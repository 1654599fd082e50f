package policy

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// cueModule writes a CUE module with the real exception schema and the given
// cue/config/exceptions.cue body, and returns its root.
func cueModule(t *testing.T, exceptions string) string {
	t.Helper()
	root := t.TempDir()
	copyFile := func(rel string) {
		raw, err := os.ReadFile(filepath.Join(repoRoot, "cue", rel))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(root, rel), string(raw))
	}
	copyFile("cue.mod/module.cue")
	copyFile("schemas/exception.cue")
	writeFile(t, filepath.Join(root, "config", "exceptions.cue"), `package config

import "github.com/bloody-sweet/platform/cue/schemas"

exceptions: [...schemas.#Exception] & [
`+exceptions+`
]
`)
	return root
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

const readOnlyException = `{
	rule: "pod_security.read_only_root_fs"
	resource: {kind: "Rollout", namespace: "orders-staging", name: "payment", container: "payment"}
	owner:   "payments-team"
	reason:  "the PDF renderer writes to its install dir until 2.0 ships"
	expires: "2027-01-31"
}`

func TestLoadExceptionsFromRepo(t *testing.T) {
	t.Parallel()
	// The committed model must load (it shares the config package with the
	// render's values) and waive nothing that is not reviewed.
	xs, err := LoadExceptions(filepath.Join(repoRoot, "cue"))
	if err != nil {
		t.Fatal(err)
	}
	e := loadTestEngine(t)
	for _, x := range e.ApplyExceptions(nil, xs, time.Now()) {
		if x.Level == LevelDeny {
			t.Errorf("committed exception fails the check: %s:%d %s", x.File, x.Line, x.Message)
		}
	}
}

func TestExceptionsWaiveAndFail(t *testing.T) {
	t.Parallel()
	e := loadTestEngine(t)
	root := cueModule(t, readOnlyException+`,
{
	rule: "pod_security.no_such_rule"
	resource: {kind: "Rollout", namespace: "orders-prod", name: "order"}
	owner: "platform-team"
	reason: "a rule that was renamed and never cleaned up"
	expires: "2027-06-30"
},
{
	rule: "availability.pdb"
	resource: {kind: "Rollout", namespace: "orders-dev", name: "order"}
	owner: "platform-team"
	reason: "single-replica dev before the PDB landed"
	expires: "2026-11-01"
}`)
	xs, err := LoadExceptions(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(xs) != 3 {
		t.Fatalf("loaded %d exceptions, want 3", len(xs))
	}
	if !strings.HasSuffix(xs[0].Pos, filepath.Join("config", "exceptions.cue")+":7") {
		t.Errorf("position %q, want config/exceptions.cue:7 (its rule field)", xs[0].Pos)
	}
	writable := Finding{Rule: "pod_security.read_only_root_fs", Level: LevelDeny,
		Resource: Resource{Kind: "Rollout", Namespace: "orders-staging", Name: "payment", Container: "payment"}}
	otherNS := writable
	otherNS.Resource.Namespace = "orders-prod"
	findings := []Finding{writable, otherNS}
	today := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	problems := e.ApplyExceptions(findings, xs, today)
	if findings[0].WaivedBy == nil || findings[0].WaivedBy.Owner != "payments-team" {
		t.Errorf("matching finding not waived: %+v", findings[0])
	}
	if findings[1].WaivedBy != nil {
		t.Errorf("finding in another namespace waived: %+v", findings[1])
	}
	var got []string
	for _, p := range problems {
		got = append(got, p.Level+" "+p.Rule+": "+p.Message)
	}
	want := []string{
		`deny exceptions.unknown_rule: exception names rule "pod_security.no_such_rule", which no policy defines`,
		"deny exceptions.expired: exception for availability.pdb (owner platform-team) expired on 2026-11-01",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("exception problems (-want +got):\n%s", diff)
	}
	// The last day still counts; the day after, it has expired.
	if p := e.ApplyExceptions(nil, xs[2:], time.Date(2026, 11, 1, 23, 0, 0, 0, time.UTC)); len(p) != 1 || p[0].Rule != RuleExceptionExpiring {
		t.Errorf("on its expiry day the exception should only warn, got %+v", p)
	}
}

func TestExceptionSchemaRejectsBadInput(t *testing.T) {
	t.Parallel()
	cases := map[string]struct{ body, want string }{
		"bad date": {strings.Replace(readOnlyException, "2027-01-31", "31/01/2027", 1), "expires"},
		"no owner": {strings.Replace(readOnlyException, `owner:   "payments-team"`, "", 1), "owner"},
		"unknown field": {strings.Replace(readOnlyException, `owner:`, `ticket: "X-1"
	owner:`, 1), "ticket"},
		"short reason": {strings.Replace(readOnlyException, "the PDF renderer writes to its install dir until 2.0 ships", "because", 1), "reason"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := LoadExceptions(cueModule(t, tc.body))
			if err == nil {
				t.Fatal("bad exception accepted")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "exceptions.cue:") {
				t.Errorf("error should name the field %q and the file:line, got: %v", tc.want, err)
			}
		})
	}
}

func TestCheckFilesAppliesExceptions(t *testing.T) {
	t.Parallel()
	e := loadTestEngine(t)
	sample := "../../policies/pod_security/read_only_root_fs/testdata/disallowed.yaml"
	xs, err := LoadExceptions(cueModule(t, readOnlyException))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := e.CheckFiles(context.Background(), CheckInput{Files: []string{sample}, Exceptions: xs, Today: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	var waived int
	for _, f := range rep.Findings {
		if f.Rule == "pod_security.read_only_root_fs" {
			if f.WaivedBy == nil {
				t.Errorf("finding not waived: %+v", f)
			}
			waived++
		}
	}
	if waived == 0 {
		t.Fatal("sample produced no read_only_root_fs finding to waive")
	}
}
