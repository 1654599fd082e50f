package render

import (
	"path"
	"strconv"
	"strings"
	"testing"
)

// TestArgoCDAddon: Argo CD is one of the add-ons of every environment
// (cue/config/addons.cue) and so manages itself after `platform bootstrap`:
// the v3.2.11 image the tests build, annotation tracking, the Application
// health check the waves need, HA Redis in prod only, no cascading finalizer
// (deleting its Application must not uninstall it), a wave after the
// ClusterSecretStore whose ExternalSecret merges the webhook secret into
// argocd-secret, and that ExternalSecret reads only the environment's own
// Secrets Manager path.
func TestArgoCDAddon(t *testing.T) {
	res, err := Render(Options{Root: repoRoot(t)})
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range res.Envs {
		dir := path.Join(AppsDir, env, AddonsDir)
		app := parseDoc(t, res, path.Join(dir, "argo-cd.application.gen.yaml"))
		vals := "spec.source.helm.valuesObject."
		if got := str(t, app, "spec.source.chart"); got != "argo-cd" {
			t.Errorf("%s: chart %q, want argo-cd", env, got)
		}
		if got := str(t, app, vals+"global.image.tag"); got != "v3.2.11" {
			t.Errorf("%s: Argo CD image %q, want v3.2.11 (the version tests/gitops builds)", env, got)
		}
		if got := str(t, app, "spec.destination.namespace"); got != "argocd" {
			t.Errorf("%s: installed into %q, want argocd (where the Applications live)", env, got)
		}
		cm, _ := dig(app, vals+"configs.cm").(map[string]any)
		if got := cm["application.resourceTrackingMethod"]; got != "annotation" {
			t.Errorf("%s: resourceTrackingMethod %v, want annotation", env, got)
		}
		health, _ := cm["resource.customizations.health.argoproj.io_Application"].(string)
		if !strings.Contains(health, "obj.status") || !strings.Contains(health, "return hs") {
			t.Errorf("%s: no Application health check in argocd-cm: %q", env, health)
		}
		ha, _ := dig(app, vals+"redis-ha.enabled").(bool)
		single, _ := dig(app, vals+"redis.enabled").(bool)
		if ha != (env == "prod") || single == ha {
			t.Errorf("%s: redis-ha %v, redis %v; want HA Redis in prod only, one Redis elsewhere", env, ha, single)
		}
		if env == "prod" {
			for _, c := range []string{"server", "repoServer"} {
				if n, _ := dig(app, vals+c+".replicas").(float64); n < 2 {
					t.Errorf("prod: %s has %v replicas, want 2 or more", c, n)
				}
			}
		}
		if dig(app, vals+"repoServer.resources.limits.memory") == nil {
			t.Errorf("%s: the repo-server has no memory limit", env)
		}
		if md := app["metadata"].(map[string]any); md["finalizers"] != nil {
			t.Errorf("%s: the Argo CD Application has finalizers %v: deleting it would uninstall Argo CD", env, md["finalizers"])
		}
		// the other add-ons still cascade where the environment does.
		rollouts := parseDoc(t, res, path.Join(dir, "argo-rollouts.application.gen.yaml"))
		if _, ok := rollouts["metadata"].(map[string]any)["finalizers"]; ok != (env != "prod") {
			t.Errorf("%s: argo-rollouts finalizers present = %v", env, ok)
		}

		wave := func(doc map[string]any) int {
			ann, _ := dig(doc, "metadata.annotations").(map[string]any)
			s, _ := ann["argocd.argoproj.io/sync-wave"].(string)
			n, err := strconv.Atoi(s)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		platform := parseDoc(t, res, path.Join(dir, "platform.application.gen.yaml"))
		if wave(app) <= wave(platform) {
			t.Errorf("%s: Argo CD in wave %d, not after the ClusterSecretStore's (%d)", env, wave(app), wave(platform))
		}

		es := parseDoc(t, res, path.Join(EnvironmentsDir, env, PlatformDir, "argocd-webhook-secret.gen.yaml"))
		if got := str(t, es, "spec.target.name"); got != "argocd-secret" {
			t.Errorf("%s: webhook secret goes to %q, want argocd-secret", env, got)
		}
		if got := str(t, es, "spec.target.creationPolicy"); got != "Merge" {
			t.Errorf("%s: creationPolicy %q, want Merge (the chart owns argocd-secret)", env, got)
		}
		if got := str(t, es, "metadata.namespace"); got != "argocd" {
			t.Errorf("%s: ExternalSecret in %q, want argocd", env, got)
		}
		data, _ := dig(es, "spec.data").([]any)
		if len(data) != 1 {
			t.Fatalf("%s: %d webhook secret keys, want 1", env, len(data))
		}
		d := data[0].(map[string]any)
		if d["secretKey"] != "webhook.github.secret" || str(t, d, "remoteRef.key") != "bloody-sweet/"+env+"/argocd/webhook" {
			t.Errorf("%s: webhook secret entry %v", env, d)
		}
	}
}
