package render

import (
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestConsumersScaleOnLag reads the rendered manifests back: every consumer
// service has a KEDA ScaledObject on its Rollout and no CPU HPA, scaling on
// the very query its lag alert reads, sized so that it reaches its ceiling
// when the lag reaches the SLO (threshold = maxConsumerLag / maxReplicas)
// and never beyond the HPA bounds; every api service keeps its CPU HPA.
func TestConsumersScaleOnLag(t *testing.T) {
	res, err := Render(Options{Root: repoRoot(t), Envs: []string{"dev", "prod"}})
	if err != nil {
		t.Fatal(err)
	}
	type doc struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Spec struct {
			ScaleTargetRef struct {
				Kind string `json:"kind"`
				Name string `json:"name"`
			} `json:"scaleTargetRef"`
			MinReplicaCount int `json:"minReplicaCount"`
			MaxReplicaCount int `json:"maxReplicaCount"`
			Advanced        struct {
				HPA struct {
					Behavior struct {
						ScaleDown struct {
							Window int `json:"stabilizationWindowSeconds"`
						} `json:"scaleDown"`
					} `json:"behavior"`
				} `json:"horizontalPodAutoscalerConfig"`
			} `json:"advanced"`
			Triggers []struct {
				Type     string            `json:"type"`
				Metadata map[string]string `json:"metadata"`
			} `json:"triggers"`
			Groups []struct {
				Rules []struct {
					Alert string `json:"alert"`
					Expr  string `json:"expr"`
				} `json:"rules"`
			} `json:"groups"`
		} `json:"spec"`
	}
	type values struct {
		Kind        string `json:"kind"`
		Autoscaling struct {
			MinReplicas int `json:"minReplicas"`
			MaxReplicas int `json:"maxReplicas"`
		} `json:"autoscaling"`
		SLO struct {
			MaxConsumerLag int `json:"maxConsumerLag"`
		} `json:"slo"`
	}
	consumers := 0
	for path, body := range res.Files {
		if !strings.HasSuffix(path, "/values.gen.yaml") || strings.Contains(path, "/_platform/") {
			continue
		}
		var v values
		if err := yaml.Unmarshal(body, &v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		manifests := strings.TrimSuffix(path, "values.gen.yaml") + "manifests.gen.yaml"
		var scaled []doc
		hpas, lagAlert := 0, ""
		for _, part := range strings.Split(string(res.Files[manifests]), "\n---\n") {
			var d doc
			if err := yaml.Unmarshal([]byte(part), &d); err != nil {
				t.Fatalf("%s: %v", manifests, err)
			}
			switch d.Kind {
			case "ScaledObject":
				scaled = append(scaled, d)
			case "HorizontalPodAutoscaler":
				hpas++
			case "PrometheusRule":
				for _, g := range d.Spec.Groups {
					for _, r := range g.Rules {
						if r.Alert == "KafkaConsumerLagAboveSLO" {
							lagAlert = strings.TrimSpace(r.Expr[:strings.LastIndex(r.Expr, ">")])
						}
					}
				}
			}
		}
		if v.Kind != "consumer" {
			if hpas != 1 || len(scaled) != 0 {
				t.Errorf("%s: api service has %d HPAs and %d ScaledObjects, want its CPU HPA only", manifests, hpas, len(scaled))
			}
			continue
		}
		consumers++
		if hpas != 0 || len(scaled) != 1 {
			t.Errorf("%s: consumer has %d HPAs and %d ScaledObjects, want one ScaledObject (KEDA makes the HPA)", manifests, hpas, len(scaled))
			continue
		}
		so := scaled[0]
		if so.Spec.ScaleTargetRef.Kind != "Rollout" || so.Spec.ScaleTargetRef.Name != so.Metadata.Name {
			t.Errorf("%s: ScaledObject scales %s %s, want its Rollout", manifests, so.Spec.ScaleTargetRef.Kind, so.Spec.ScaleTargetRef.Name)
		}
		if so.Spec.MinReplicaCount != v.Autoscaling.MinReplicas || so.Spec.MaxReplicaCount != v.Autoscaling.MaxReplicas {
			t.Errorf("%s: ScaledObject bounds %d..%d, the service's autoscaling %d..%d", manifests, so.Spec.MinReplicaCount, so.Spec.MaxReplicaCount, v.Autoscaling.MinReplicas, v.Autoscaling.MaxReplicas)
		}
		if so.Spec.Advanced.HPA.Behavior.ScaleDown.Window < 60 {
			t.Errorf("%s: scale-down stabilisation %ds: lag bursts would flap the replicas", manifests, so.Spec.Advanced.HPA.Behavior.ScaleDown.Window)
		}
		var lag map[string]string
		for _, tr := range so.Spec.Triggers {
			if tr.Type == "prometheus" {
				lag = tr.Metadata
			}
		}
		if lag == nil {
			t.Errorf("%s: no prometheus lag trigger", manifests)
			continue
		}
		if lagAlert == "" || lag["query"] != lagAlert {
			t.Errorf("%s: scales on %q, the lag alert reads %q", manifests, lag["query"], lagAlert)
		}
		threshold, err := strconv.Atoi(lag["threshold"])
		if err != nil {
			t.Errorf("%s: threshold %q: %v", manifests, lag["threshold"], err)
			continue
		}
		if want := max(1, v.SLO.MaxConsumerLag/v.Autoscaling.MaxReplicas); threshold != want {
			t.Errorf("%s: lag per replica %d, want maxConsumerLag %d / maxReplicas %d = %d", manifests, threshold, v.SLO.MaxConsumerLag, v.Autoscaling.MaxReplicas, want)
		}
	}
	if consumers == 0 {
		t.Fatal("no consumer service rendered")
	}
}
