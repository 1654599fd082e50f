package render

import (
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// secretFields are the receiver settings that hold a key. Alertmanager
// takes each of them inline or from a file (<field>_file); only the file
// form keeps the key out of the rendered configuration.
var secretFields = []string{"routing_key", "service_key", "api_url", "url", "credentials", "password", "auth_password", "bearer_token", "api_key"}

// TestAlertmanagerKeysOnlyFromTheSecret: in every environment's
// Alertmanager configuration no receiver holds a key inline, each key file
// is a file of the Secret mounted into Alertmanager, and the ExternalSecret
// of _platform writes exactly those files, from the environment's own
// Secrets Manager secret. (The webhook's url is the one inline URL allowed:
// the heartbeat check's address, authenticated by a token from a file.)
func TestAlertmanagerKeysOnlyFromTheSecret(t *testing.T) {
	res, err := Render(Options{Root: fixtureRoot(t)})
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range res.Envs {
		app := parseDoc(t, res, path.Join(AppsDir, env, AddonsDir, "kube-prometheus-stack.application.gen.yaml"))
		am := dig(app, "spec.source.helm.valuesObject.alertmanager")
		secrets := asStrings(dig(am, "alertmanagerSpec.secrets"))
		if len(secrets) != 1 {
			t.Fatalf("%s: alertmanagerSpec.secrets = %v, want the receivers' Secret", env, secrets)
		}
		dir := "/etc/alertmanager/secrets/" + secrets[0] + "/"
		files, problems := keyFiles(dig(am, "config.receivers"), dir)
		for _, p := range problems {
			t.Errorf("%s: %s", env, p)
		}

		es := parseDoc(t, res, path.Join(EnvironmentsDir, env, PlatformDir, "alertmanager-receivers.gen.yaml"))
		if got := str(t, es, "spec.target.name"); got != secrets[0] {
			t.Errorf("%s: the ExternalSecret writes %s, Alertmanager mounts %s", env, got, secrets[0])
		}
		var written []string
		for _, d := range dig(es, "spec.data").([]any) {
			written = append(written, str(t, d, "secretKey"))
			if key := str(t, d, "remoteRef.key"); key != "bloody-sweet/"+env+"/alertmanager/receivers" {
				t.Errorf("%s: receivers' key %s read from %s", env, str(t, d, "secretKey"), key)
			}
		}
		sort.Strings(written)
		if diff := cmp.Diff(files, written); diff != "" {
			t.Errorf("%s: files the receivers read vs keys the ExternalSecret writes (-read +written):\n%s", env, diff)
		}
	}
}

// keyFiles walks the receivers and returns the key files they read (file
// names under dir) and what is wrong: a key given inline, a file outside
// the mounted Secret.
func keyFiles(receivers any, dir string) (files, problems []string) {
	var walk func(at string, v any)
	walk = func(at string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				switch {
				case strings.HasSuffix(k, "_file"):
					f, _ := x.(string)
					name, ok := strings.CutPrefix(f, dir)
					if !ok || name == "" || strings.Contains(name, "/") {
						problems = append(problems, at+"."+k+" = "+f+" is not a file of the mounted Secret "+dir)
						continue
					}
					if !slices.Contains(files, name) {
						files = append(files, name)
					}
				case slices.Contains(secretFields, k):
					// a webhook's URL may be inline when a token
					// authenticates it
					if k == "url" && dig(v, "http_config.authorization.credentials_file") != nil {
						continue
					}
					problems = append(problems, at+"."+k+" is given inline: a key belongs in the Secret ("+k+"_file)")
				default:
					walk(at+"."+k, x)
				}
			}
		case []any:
			for _, x := range v {
				walk(at, x)
			}
		}
	}
	walk("receivers", receivers)
	sort.Strings(files)
	sort.Strings(problems)
	if len(files) == 0 {
		problems = append(problems, "no receiver reads a key file")
	}
	return files, problems
}

// TestKeyFilesCatchesInlineKeys: the walk refuses a routing key given
// inline, a file outside the mounted Secret and an unauthenticated webhook
// URL (which would carry its token in the URL).
func TestKeyFilesCatchesInlineKeys(t *testing.T) {
	const dir = "/etc/alertmanager/secrets/alertmanager-receivers/"
	ok := map[string]any{"name": "slack", "slack_configs": []any{map[string]any{"api_url_file": dir + "slack-api-url"}}}
	if files, problems := keyFiles([]any{ok}, dir); len(problems) > 0 || !slices.Equal(files, []string{"slack-api-url"}) {
		t.Fatalf("a good receiver: files %v, problems %v", files, problems)
	}
	for name, bad := range map[string]any{
		"inline":  map[string]any{"name": "pagerduty", "pagerduty_configs": []any{map[string]any{"routing_key": "R0UT1NG"}}},
		"outside": map[string]any{"name": "slack", "slack_configs": []any{map[string]any{"api_url_file": "/etc/passwd"}}},
		"webhook": map[string]any{"name": "heartbeat", "webhook_configs": []any{map[string]any{"url": "https://x.example/ping?token=1"}}},
	} {
		if _, problems := keyFiles([]any{ok, bad}, dir); len(problems) == 0 {
			t.Errorf("%s receiver accepted", name)
		}
	}
}

// TestCollectorsAreScraped: every add-on of the opentelemetry-collector
// chart exposes its own metrics (the collector alerts read them) to
// Prometheus: a ServiceMonitor for a Deployment, a PodMonitor for a
// DaemonSet, which has no Service.
func TestCollectorsAreScraped(t *testing.T) {
	for _, mode := range []string{"deployment", "daemonset"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			root := fixtureRoot(t)
			f := filepath.Join(root, "cue/config/addons.cue")
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			const old = `mode:             "deployment"`
			if !strings.Contains(string(src), old) {
				t.Fatalf("fixture addons.cue no longer has %q", old)
			}
			if err := os.WriteFile(f, []byte(strings.Replace(string(src), old, `mode:             "`+mode+`"`, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			res, err := Render(Options{Root: root, Envs: []string{"prod"}})
			if err != nil {
				t.Fatal(err)
			}
			values := dig(parseDoc(t, res, path.Join(AppsDir, "prod", AddonsDir, "opentelemetry-collector.application.gen.yaml")), "spec.source.helm.valuesObject")
			want, other := "serviceMonitor.enabled", "podMonitor.enabled"
			if mode == "daemonset" {
				want, other = other, want
			}
			if dig(values, "ports.metrics.enabled") != true || dig(values, want) != true || dig(values, other) != nil {
				t.Errorf("mode %s: ports.metrics.enabled %v, %s %v, %s %v", mode,
					dig(values, "ports.metrics.enabled"), want, dig(values, want), other, dig(values, other))
			}
		})
	}
}
