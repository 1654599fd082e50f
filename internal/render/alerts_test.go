package render

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// TestAlertThresholdsFollowTheSLO renders the fixture with order's SLO
// changed and reads the thresholds back from the PrometheusRule the chart
// rendered: the burn-rate thresholds are 14.4x and 6x the error budget
// 1 - availability, latency and lag are the SLO's own numbers.
func TestAlertThresholdsFollowTheSLO(t *testing.T) {
	root := fixtureRoot(t)
	services := filepath.Join(root, "cue/config/services.cue")
	src, err := os.ReadFile(services)
	if err != nil {
		t.Fatal(err)
	}
	old := "slo: {successRate: 0.99, p99LatencySeconds: 0.5, maxConsumerLag: 1000}"
	if !strings.Contains(string(src), old) {
		t.Fatalf("fixture services.cue no longer has order's %q", old)
	}
	edited := strings.Replace(string(src), old, "slo: {successRate: 0.99, p99LatencySeconds: 0.25, maxConsumerLag: 400, availability: 0.9995}", 1)
	if err := os.WriteFile(services, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Render(Options{Root: root, Envs: []string{"prod"}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, doc := range strings.Split(string(res.Files["environments/prod/order/manifests.gen.yaml"]), "\n---\n") {
		var obj struct {
			Kind string `json:"kind"`
			Spec struct {
				Groups []struct {
					Rules []struct {
						Alert string `json:"alert"`
						Expr  string `json:"expr"`
					} `json:"rules"`
				} `json:"groups"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			t.Fatal(err)
		}
		if obj.Kind != "PrometheusRule" {
			continue
		}
		for _, g := range obj.Spec.Groups {
			for _, r := range g.Rules {
				// the threshold is what follows the last comparison
				i := strings.LastIndex(r.Expr, "> ")
				got[r.Alert] = strings.TrimSpace(r.Expr[i+2:])
			}
		}
	}
	want := map[string]string{
		"HTTPErrorBudgetFastBurn":         "0.0072", // 14.4 x 0.0005
		"HTTPErrorBudgetSlowBurn":         "0.003",  // 6 x 0.0005
		"HTTPLatencyP99AboveSLO":          "0.25",
		"KafkaHandlerErrorBudgetFastBurn": "0.0072",
		"KafkaHandlerErrorBudgetSlowBurn": "0.003",
		"KafkaConsumerLagAboveSLO":        "400",
		"KafkaMessagesDeadLettered":       "0",
		"KafkaConsumerBlocked":            "0",
		"OutboxBacklogGrowing":            "0",
		"OutboxRelayStuck":                "0 and sum(rate(kafka_messages_produced_total{namespace=\"orders-prod\",service=\"order\",topic!~\".+[.]dlq\"}[10m])) == 0",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("alert thresholds (-want +got):\n%s", diff)
	}
}
