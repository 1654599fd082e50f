// Package dashboards builds the platform's Grafana dashboards with the
// Grafana Foundation SDK from the services' view of the CUE model
// (cue/templates/dashboards.cue: #DashboardModel), so every panel that
// shows an SLO signal draws the very query the alerts and the canary
// analysis evaluate. `platform render` (internal/render) ships them as
// ConfigMaps for the Grafana sidecar; Check parses every panel query with
// the PromQL parser and holds it to the metric catalog.
package dashboards

// Data source UIDs the dashboards point at. The kube-prometheus-stack
// add-on provisions data sources with exactly these UIDs
// (cue/config/addons.cue; internal/render's tests hold the two equal).
const (
	PrometheusUID = "prometheus"
	LokiUID       = "loki"
	XRayUID       = "xray"
)

// Service is #DashboardModel.out: one service in one environment.
type Service struct {
	Name        string   `json:"name"`
	Kind        string   `json:"kind"` // "api" or "consumer"
	Environment string   `json:"environment"`
	Namespace   string   `json:"namespace"`
	Selector    string   `json:"selector"` // namespace="...",service="..."
	Streaming   bool     `json:"streaming"`
	Consumes    []string `json:"consumes"`
	Produces    []string `json:"produces"`
	Outbox      bool     `json:"outbox"`
	SLO         SLO      `json:"slo"`
	Budgets     []Budget `json:"budgets"`
	Signals     Signals  `json:"signals"`
	Canary      []Canary `json:"canary"`
	// Predicts is the accuracy a service predicting delivery times keeps
	// (#Predicts); nil for the others.
	Predicts *Predicts `json:"predicts,omitempty"`
}

// Predicts is the service's #Predicts.
type Predicts struct {
	MaxMAESeconds float64 `json:"maxMAESeconds"`
	Coverage      struct {
		Min float64 `json:"min"`
		Max float64 `json:"max"`
	} `json:"coverage"`
}

// SLO is the service's #SLO.
type SLO struct {
	SuccessRate       float64 `json:"successRate"`
	P99LatencySeconds float64 `json:"p99LatencySeconds,omitempty"`
	MaxConsumerLag    float64 `json:"maxConsumerLag,omitempty"`
	Availability      float64 `json:"availability"`
}

// Budget is one error budget the burn-rate alerts spend.
type Budget struct {
	What     string `json:"what"`
	Ratio30d string `json:"ratio30d"`
}

// Signals are the alerts' queries over 5 minutes; empty when the service
// has no such signal (no HTTP, no consumer, no latency SLO).
type Signals struct {
	HTTPErrorRatio    string `json:"httpErrorRatio,omitempty"`
	P99               string `json:"p99,omitempty"`
	HandlerErrorRatio string `json:"handlerErrorRatio,omitempty"`
	ConsumerLag       string `json:"consumerLag,omitempty"`
	ConsumerBlocked   string `json:"consumerBlocked,omitempty"`
	OutboxBacklog     string `json:"outboxBacklog"`
	// ETAMAE and ETACoverage are the drift alert's queries (over 1 hour).
	ETAMAE      string `json:"etaMAE,omitempty"`
	ETACoverage string `json:"etaCoverage,omitempty"`
}

// Canary is one measurement of the service's AnalysisTemplate, with its
// query for the canary pods and the same query for the stable pods.
type Canary struct {
	Name         string  `json:"name"`
	FailureLimit int     `json:"failureLimit"`
	Op           string  `json:"op"` // ">=" or "<="
	Threshold    float64 `json:"threshold"`
	Canary       string  `json:"canary"`
	Stable       string  `json:"stable"`
}

// Dashboard is one built dashboard.
type Dashboard struct {
	UID   string // also the ConfigMap's and the file's name
	Title string
	JSON  []byte // the dashboard model Grafana loads
}
