package render

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bloody-sweet/platform/internal/cliexit"
)

// TestBadInput: each broken model exits 2 (bad input) with the CUE position
// (file:line:col) and the field path, and writes nothing: the tree rendered
// before stays byte for byte as it was.
func TestBadInput(t *testing.T) {
	cases := []struct {
		name      string
		file      string // in cue/config
		old, new  string // replace old with new (old must occur)
		envs      []string
		wantPos   string // regexp for file:line:col
		wantField string
	}{
		{
			name: "wrong type", file: "environments.cue",
			old: `logLevel: "debug"`, new: `logLevel: 3`,
			wantPos: `cue/config/(config|environments)\.cue:\d+:\d+`, wantField: "environments.dev.logLevel",
		},
		{
			name: "unknown field", file: "services.cue",
			old: `description: "assigns`, new: `descriptoin: "assigns`,
			wantPos: `cue/config/services\.cue:\d+:\d+`, wantField: "services.delivery.descriptoin: field not allowed",
		},
		{
			name: "missing required field", file: "services.cue",
			old: "slo: {successRate: 0.99, maxConsumerLag: 1000}\n}\n\nservices: store", new: "}\n\nservices: store",
			wantPos: `cue/schemas/service\.cue:\d+:\d+`, wantField: "services.payment.slo.successRate: field is required but not present",
		},
		{
			name: "alerting objective looser than the canary gate", file: "services.cue",
			old:     "slo: {successRate: 0.99, maxConsumerLag: 1000}\n}\n\nservices: store",
			new:     "slo: {successRate: 0.99, maxConsumerLag: 1000, availability: 0.95}\n}\n\nservices: store",
			wantPos: `cue/(config/services|schemas/service)\.cue:\d+:\d+`, wantField: "services.payment.slo.availability: invalid value 0.95 (out of bound >=0.99)",
		},
		{
			name: "canary weight over 100", file: "environments.cue",
			old: `steps: [25, 50, 100]`, new: `steps: [25, 150, 100]`,
			wantPos: `cue/config/environments\.cue:\d+:\d+`, wantField: "environments.staging.canary.steps.1: invalid value 150 (out of bound <=100)",
		},
		{
			name: "replicas above partitions", file: "services.cue",
			old:     "autoscaling: maxReplicas: 8\n\tslo: {successRate: 0.99, maxConsumerLag: 1000}\n}\n\nservices: delivery",
			new:     "autoscaling: maxReplicas: 16\n\tslo: {successRate: 0.99, maxConsumerLag: 1000}\n}\n\nservices: delivery",
			wantPos: `cue/config/services\.cue:\d+:\d+`, wantField: "services.store.autoscaling.maxReplicas: invalid value 16 (out of bound <=12)",
		},
		{
			name: "cpu limit below its request", file: "services.cue",
			old: `limits: {cpu: "1", memory: "512Mi"}`, new: `limits: {cpu: "100m", memory: "512Mi"}`,
			wantPos: `cue/config/(config|services)\.cue:\d+:\d+`, wantField: `services.order.resources.limits.cpu: conflicting values "at least requests.cpu (250m)" and "100m"`,
		},
		{
			name: "memory limit below its request", file: "services.cue",
			old: `limits: {cpu: "1", memory: "512Mi"}`, new: `limits: {cpu: "1", memory: "128Mi"}`,
			wantPos: `cue/config/(config|services)\.cue:\d+:\d+`, wantField: `services.order.resources.limits.memory: conflicting values "at least requests.memory (256Mi)" and "128Mi"`,
		},
		{
			name: "memory limit below its request, other unit", file: "services.cue",
			old: `limits: {cpu: "1", memory: "512Mi"}`, new: `limits: {cpu: "1", memory: "131072Ki"}`,
			wantPos: `cue/config/(config|services)\.cue:\d+:\d+`, wantField: `services.order.resources.limits.memory: conflicting values "at least requests.memory (256Mi)" and "131072Ki"`,
		},
		{
			name: "unknown environment in the model", file: "environments.cue",
			old: `environments: dev: _common & {`, new: `environments: qa: _common & {`,
			wantPos: `cue/config/config\.cue:\d+:\d+`, wantField: "environments.qa.name",
		},
		{
			name: "OTLP/gRPC port for the HTTP exporter", file: "environments.cue",
			old: `otel-collector.observability.svc:4318`, new: `otel-collector.observability.svc:4317`,
			wantPos: `cue/config/environments\.cue:\d+:\d+`, wantField: "environments.dev.otelEndpoint: invalid value",
		},
		{
			name: "add-on chart version range", file: "addons.cue",
			old: `version: "0.16.2"`, new: `version: "~0.16.2"`,
			wantPos: `cue/(config/addons|schemas/addon)\.cue:\d+:\d+`, wantField: `chart.version: invalid value "~0.16.2"`,
		},
		{
			name: "unknown add-on field", file: "addons.cue",
			old: "syncWave: -4", new: "syncwave: -4",
			wantPos: `cue/config/addons\.cue:\d+:\d+`, wantField: ".karpenter.syncwave: field not allowed",
		},
		{
			name: "environment without add-ons", file: "addons.cue",
			old: "dev: {controllers: 1,", new: "qa: {controllers: 1,",
			wantField: `environment "dev" has no addons`,
		},
		{
			name: "unknown page receiver", file: "alerting.cue",
			old: `page:         "pagerduty"`, new: `page:         "opsgenie"`,
			wantPos: `cue/(config|schemas)/alerting\.cue:\d+:\d+`, wantField: "environments.staging.alerting.page",
		},
		{
			name: "Slack channel without #", file: "alerting.cue",
			old: `slackChannel: "#bloody-sweet-dev-alerts"`, new: `slackChannel: "bloody-sweet-dev-alerts"`,
			wantPos: `cue/(config|schemas)/alerting\.cue:\d+:\d+`, wantField: "environments.dev.alerting.slackChannel: invalid value",
		},
		{
			name: "heartbeat over plain HTTP", file: "alerting.cue",
			old: `url: "https://heartbeat.bloody-sweet.example.com/ping/bloody-sweet-prod"`, new: `url: "http://heartbeat.bloody-sweet.example.com/ping/bloody-sweet-prod"`,
			wantPos: `cue/(config|schemas)/alerting\.cue:\d+:\d+`, wantField: "environments.prod.alerting.heartbeat.url: invalid value",
		},
		{
			name: "environment without alerting", file: "alerting.cue",
			old: "environments: prod: alerting: {", new: "_unused: {",
			wantPos: `cue/schemas/alerting\.cue:\d+:\d+`, wantField: "environments.prod.alerting: field is required but not present",
		},
		{
			name: "unknown environment on the command line", envs: []string{"qa"},
			wantField: `unknown environment "qa"`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := fixtureRoot(t)
			if _, _, err := Apply(Options{Root: root}); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, root)
			if tc.file != "" {
				p := filepath.Join(root, "cue/config", tc.file)
				src, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(string(src), tc.old) {
					t.Fatalf("%s does not contain %q", tc.file, tc.old)
				}
				if err := os.WriteFile(p, []byte(strings.Replace(string(src), tc.old, tc.new, 1)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, _, err := Apply(Options{Root: root, Envs: tc.envs})
			if err == nil {
				t.Fatal("render succeeded on bad input")
			}
			if code := cliexit.Code(err); code != cliexit.BadInput {
				t.Errorf("exit code %d, want %d (err: %v)", code, cliexit.BadInput, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.wantField) {
				t.Errorf("message lacks %q:\n%s", tc.wantField, msg)
			}
			if tc.wantPos != "" && !regexp.MustCompile(tc.wantPos).MatchString(msg) {
				t.Errorf("message lacks a position matching %s:\n%s", tc.wantPos, msg)
			}
			if diff := cmp.Diff(before, snapshot(t, root)); diff != "" {
				t.Errorf("files changed on bad input:\n%s", diff)
			}
		})
	}
}

// TestChartTypo: a field the Kubernetes schema does not know, rendered by
// the chart, fails the render with the rendered file's position and the
// object's field path, and writes nothing.
func TestChartTypo(t *testing.T) {
	root := fixtureRoot(t)
	// a private copy of the chart instead of the linked one
	chart := filepath.Join(root, "apps/charts")
	if err := os.Remove(chart); err != nil {
		t.Fatal(err)
	}
	copyDir(t, filepath.Join(repoRoot(t), "apps/charts"), chart)
	hpa := filepath.Join(chart, "service/templates/hpa.yaml")
	src, err := os.ReadFile(hpa)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(src), "  minReplicas:", "  minReplica:", 1)
	if broken == string(src) {
		t.Fatal("hpa.yaml has no minReplicas")
	}
	if err := os.WriteFile(hpa, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err = Apply(Options{Root: root})
	if cliexit.Code(err) != cliexit.BadInput {
		t.Fatalf("err %v, want bad input", err)
	}
	if !regexp.MustCompile(`environments/dev/notification/manifests\.gen\.yaml:\d+:\d+: HorizontalPodAutoscaler notification: spec\.minReplica: field not allowed`).MatchString(err.Error()) {
		t.Errorf("message lacks the manifest position and field:\n%v", err)
	}
	if files := snapshot(t, root); len(files) != 0 {
		t.Errorf("%d files written", len(files))
	}
}
