package promote

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bloody-sweet/platform/internal/cliexit"
)

const images = `package config

// Image tags per service and environment.
services: {
	order: image: tags: {dev: "1.4.0", staging: "1.3.9", prod: "1.3.2"} // API
	payment: image: {
		tags: {
			dev:     "1.2.1"
			staging: "1.2.1"
			prod:    "1.2.0"
		}
	}
}
`

func TestPromoteMovesTagsOneStep(t *testing.T) {
	out, moves, err := Promote([]byte(images), "staging", "prod", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []Move{
		{Service: "order", From: "staging", To: "prod", Tag: "1.3.9", Previous: "1.3.2"},
		{Service: "payment", From: "staging", To: "prod", Tag: "1.2.1", Previous: "1.2.0"},
	}
	if diff := cmp.Diff(want, moves); diff != "" {
		t.Errorf("moves (-want +got):\n%s", diff)
	}
	got := string(out)
	for _, line := range []string{
		`order: image: tags: {dev: "1.4.0", staging: "1.3.9", prod: "1.3.9"} // API`,
		`prod:    "1.2.1"`,
		`// Image tags per service and environment.`,
		`staging: "1.2.1"`,
	} {
		if !strings.Contains(got, line) {
			t.Errorf("promoted file lacks %q:\n%s", line, got)
		}
	}
}

func TestPromoteOnlySelectedServices(t *testing.T) {
	out, moves, err := Promote([]byte(images), "dev", "staging", []string{"order"})
	if err != nil {
		t.Fatal(err)
	}
	if len(moves) != 1 || moves[0].Service != "order" || moves[0].Tag != "1.4.0" || !moves[0].Changed() {
		t.Fatalf("moves = %+v, want order 1.4.0 only", moves)
	}
	if !strings.Contains(string(out), `staging: "1.4.0"`) || !strings.Contains(string(out), `prod:    "1.2.0"`) {
		t.Errorf("want order staging moved and payment untouched:\n%s", out)
	}
}

func TestPromoteBadInput(t *testing.T) {
	for name, tc := range map[string]struct {
		src      string
		to       string
		services []string
		want     string
	}{
		"unknown service": {images, "prod", []string{"pizza"}, `--service "pizza": not in cue/config/images.cue`},
		"no target tag":   {strings.Replace(images, `prod: "1.3.2"`, ``, 1), "prod", []string{"order"}, "no field services.order.image.tags.prod"},
		"not a string":    {strings.Replace(images, `"1.3.9"`, `"1.3" + ".9"`, 1), "prod", []string{"order"}, "images.cue:5:37: services.order.image.tags.staging: want a plain string tag"},
		"no services":     {"package config\n", "prod", nil, "no field services"},
		"syntax error":    {images + "}\n", "prod", nil, "parse cue/config/images.cue"},
	} {
		t.Run(name, func(t *testing.T) {
			from, err := previous(tc.to)
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = Promote([]byte(tc.src), from, tc.to, tc.services)
			if cliexit.Code(err) != cliexit.BadInput || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v (exit %d), want exit 2 with %q", err, cliexit.Code(err), tc.want)
			}
		})
	}
}

func TestPreviousRefusesSkipsAndUnknown(t *testing.T) {
	for _, env := range []string{"dev", "qa", ""} { // dev takes a release (--set), never a promotion
		if _, err := previous(env); cliexit.Code(err) != cliexit.BadInput {
			t.Errorf("previous(%q) = %v, want bad input", env, err)
		}
	}
	if from, err := previous("prod"); err != nil || from != "staging" {
		t.Errorf("previous(prod) = %q, %v; want staging", from, err)
	}
}

// TestRunRendersTheTarget promotes in a copy of the repository and checks the
// rendered prod manifests now name the promoted image, while dev and staging
// files are not touched.
func TestRunRendersTheTarget(t *testing.T) {
	root := fixtureRoot(t)
	res, err := Run(Options{Root: root, To: "prod", Services: []string{"order"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Moves) != 1 {
		t.Fatalf("moves = %+v", res.Moves)
	}
	m := res.Moves[0]
	if len(res.Changes) == 0 && m.Changed() {
		t.Fatal("a changed tag rendered no changes")
	}
	for _, c := range res.Changes {
		if !strings.HasPrefix(c.Path, "environments/prod/order/") && !strings.HasPrefix(c.Path, "apps/prod/") {
			t.Errorf("promotion to prod changed %s", c.Path)
		}
	}
	manifests, err := os.ReadFile(filepath.Join(root, "environments/prod/order/manifests.gen.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(manifests), "/order:"+m.Tag+"\n") {
		t.Errorf("prod order manifests do not run order:%s", m.Tag)
	}
	// Promoting again is a no-op: the model already says so.
	again, err := Run(Options{Root: root, To: "prod", Services: []string{"order"}})
	if err != nil {
		t.Fatal(err)
	}
	if again.Moves[0].Changed() || len(again.Changes) != 0 {
		t.Errorf("second promotion changed something: %+v", again)
	}
}

func TestRunDryRunWritesNothing(t *testing.T) {
	root := fixtureRoot(t)
	before := snapshot(t, root)
	if _, err := Run(Options{Root: root, To: "staging", DryRun: true}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, snapshot(t, root)); diff != "" {
		t.Errorf("dry run changed files (-before +after):\n%s", diff)
	}
}

// TestRunRestoresOnRenderError: a tag the schema refuses ("latest") fails the
// render, and the images file is back as it was, with nothing rendered.
func TestRunRestoresOnRenderError(t *testing.T) {
	root := fixtureRoot(t)
	path := filepath.Join(root, ImagesFile)
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bad := regexp.MustCompile(`(order: image: tags: \{dev: )"[^"]*"`).ReplaceAll(src, []byte(`$1"latest"`))
	if string(bad) == string(src) {
		t.Fatalf("%s has no order dev tag to break", ImagesFile)
	}
	if err := os.WriteFile(path, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, root)
	_, err = Run(Options{Root: root, To: "staging", Services: []string{"order"}})
	if err == nil {
		t.Fatal("promoting a latest tag rendered")
	}
	if diff := cmp.Diff(before, snapshot(t, root)); diff != "" {
		t.Errorf("failed promotion left changes (-before +after):\n%s", diff)
	}
}

// fixtureRoot copies the model and the rendered tree into a temp dir and
// links the read-only parts (schemas, templates, generated schemas, chart,
// the metric catalog the dashboards are checked against).
func fixtureRoot(t *testing.T) string {
	t.Helper()
	src, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	for _, dir := range []string{"cue/cue.mod", "cue/schemas", "cue/templates", "cue/kinds", "apps/charts", "policies/data"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, dir)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(src, dir), filepath.Join(dst, dir)); err != nil {
			t.Fatal(err)
		}
	}
	for _, dir := range []string{"cue/config", "environments", "apps/dev", "apps/staging", "apps/prod"} {
		if err := os.CopyFS(filepath.Join(dst, dir), os.DirFS(filepath.Join(src, dir))); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// snapshot reads every regular file under root (not following links).
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		files[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
