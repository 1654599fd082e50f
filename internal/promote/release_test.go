package promote

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bloody-sweet/platform/internal/cliexit"
)

const (
	digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	digestB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func TestSetReleasedBumpsDev(t *testing.T) {
	refs := map[string]string{"payment": "1.2.2@" + digestB, "order": "1.5.0@" + digestA}
	out, moves, err := SetReleased([]byte(images), "dev", refs)
	if err != nil {
		t.Fatal(err)
	}
	want := []Move{ // the file's order
		{Service: "order", From: Released, To: "dev", Tag: "1.5.0@" + digestA, Previous: "1.4.0"},
		{Service: "payment", From: Released, To: "dev", Tag: "1.2.2@" + digestB, Previous: "1.2.1"},
	}
	if diff := cmp.Diff(want, moves); diff != "" {
		t.Errorf("moves (-want +got):\n%s", diff)
	}
	for _, line := range []string{
		`order: image: tags: {dev: "1.5.0@` + digestA + `", staging: "1.3.9", prod: "1.3.2"} // API`,
		`dev:     "1.2.2@` + digestB + `"`,
		`staging: "1.2.1"`,
	} {
		if !strings.Contains(string(out), line) {
			t.Errorf("bumped file lacks %q:\n%s", line, out)
		}
	}
}

func TestSetReleasedBadInput(t *testing.T) {
	for name, tc := range map[string]struct {
		refs map[string]string
		want string
	}{
		"unknown service": {map[string]string{"pizza": "1.0.0@" + digestA}, `--set pizza: not in cue/config/images.cue`},
		"tag only":        {map[string]string{"order": "1.5.0"}, `--set order="1.5.0": want TAG@sha256:`},
		"short digest":    {map[string]string{"order": "1.5.0@sha256:abc"}, `want TAG@sha256:`},
		"digest only":     {map[string]string{"order": digestA}, `want TAG@sha256:`},
		"latest":          {map[string]string{"order": "latest@" + digestA}, `want TAG@sha256:`},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := SetReleased([]byte(images), "dev", tc.refs)
			if cliexit.Code(err) != cliexit.BadInput || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v (exit %d), want exit 2 with %q", err, cliexit.Code(err), tc.want)
			}
		})
	}
}

func TestRunSetOnlyForDev(t *testing.T) {
	root := fixtureRoot(t)
	before := snapshot(t, root)
	for _, opts := range []Options{
		{Root: root, To: "staging", Set: map[string]string{"order": "1.5.0@" + digestA}},
		{Root: root, To: "dev", Set: map[string]string{"order": "1.5.0@" + digestA}, Services: []string{"payment"}},
		{Root: root, To: "dev"},
	} {
		if _, err := Run(opts); cliexit.Code(err) != cliexit.BadInput {
			t.Errorf("Run(to %s, set %v, services %v) = %v, want bad input", opts.To, opts.Set, opts.Services, err)
		}
	}
	if diff := cmp.Diff(before, snapshot(t, root)); diff != "" {
		t.Errorf("refused runs changed files (-before +after):\n%s", diff)
	}
}

// TestReleaseBumpRendersDevAndBody: what release.yml runs. Dev's rendered
// manifests name the released digest, nothing outside dev changes, and the
// PR body lists the move with its full reference.
func TestReleaseBumpRendersDevAndBody(t *testing.T) {
	root := fixtureRoot(t)
	ref := "1.5.0@" + digestA
	res, err := Run(Options{Root: root, To: "dev", Set: map[string]string{"order": ref}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Changes) == 0 {
		t.Fatal("a release bump rendered no changes")
	}
	for _, c := range res.Changes {
		if !strings.HasPrefix(c.Path, "environments/dev/") && !strings.HasPrefix(c.Path, "apps/dev/") {
			t.Errorf("a release to dev changed %s", c.Path)
		}
	}
	manifests, err := os.ReadFile(filepath.Join(root, "environments/dev/order/manifests.gen.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(manifests), "/bloody-sweet/order:"+ref+"\n") {
		t.Errorf("dev order manifests do not run order:%s", ref)
	}

	var body strings.Builder
	if err := WriteBody(&body, res, "dev"); err != nil {
		t.Fatal(err)
	}
	got := body.String()
	for _, want := range []string{
		"## Release to dev\n",
		"| order | release | `" + ref + "` | `1.4.0` |\n",
		"cosign verify",
		"release.yml@",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("PR body lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "WARNING") {
		t.Errorf("PR body warns about a digest-pinned release:\n%s", got)
	}
}

func TestPromotionBody(t *testing.T) {
	res := &Result{Moves: []Move{
		{Service: "order", From: "staging", To: "prod", Tag: "1.4.0@" + digestA, Previous: "1.3.2@" + digestB},
		{Service: "payment", From: "staging", To: "prod", Tag: "1.2.1", Previous: "1.2.0@" + digestB},
		{Service: "store", From: "staging", To: "prod", Tag: "1.1.0@" + digestA, Previous: "1.1.0@" + digestA},
	}}
	var b strings.Builder
	if err := WriteBody(&b, res, "prod"); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{
		"## Promote to prod\n",
		"| Service | From | Image | Was |\n",
		"| order | staging | `1.4.0@" + digestA + "` | `1.3.2@" + digestB + "` |\n",
		"| payment | staging | `1.2.1` | `1.2.0@" + digestB + "` |\n",
		"Unchanged: store.\n",
		"No digest: payment (`1.2.1`)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("PR body lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "| store |") {
		t.Errorf("unchanged store listed as a move:\n%s", got)
	}

	b.Reset()
	if err := WriteBody(&b, &Result{Moves: []Move{res.Moves[2]}}, "prod"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "Nothing moves") || strings.Contains(b.String(), "cosign verify") {
		t.Errorf("no-op body:\n%s", b.String())
	}
}
