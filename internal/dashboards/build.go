package dashboards

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/logs"
	"github.com/grafana/grafana-foundation-sdk/go/loki"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// The service whose metrics tell the saga: orders_by_status and
// saga_stage_duration_seconds (the catalog's "order" set).
const sagaService = "order"

// CanaryVar is the canary dashboard's variable: the pod-template-hash of
// the canary pods (the Rollout's argument canary-hash in the analysis).
const CanaryVar = "canary_hash"

// Build returns the dashboards of one environment: an overview, one per
// service, the canary view and Kafka/infrastructure, in that order.
func Build(env, namespace string, services []Service) ([]Dashboard, error) {
	services = slices.Clone(services)
	slices.SortFunc(services, func(a, b Service) int { return cmpString(a.Name, b.Name) })
	builders := []*dashboard.DashboardBuilder{overview(env, services)}
	for _, s := range services {
		builders = append(builders, serviceDashboard(env, s))
	}
	builders = append(builders, canary(env, namespace, services), kafka(env, namespace))
	out := make([]Dashboard, 0, len(builders))
	for _, b := range builders {
		d, err := b.Build()
		if err != nil {
			return nil, fmt.Errorf("dashboards of %s: %w", env, err)
		}
		numberPanels(&d)
		// (no HTML escaping: the JSON is read by Grafana and by reviewers)
		var j bytes.Buffer
		enc := json.NewEncoder(&j)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(d); err != nil {
			return nil, fmt.Errorf("dashboards of %s: encode %s: %w", env, deref(d.Uid), err)
		}
		out = append(out, Dashboard{UID: deref(d.Uid), Title: deref(d.Title), JSON: bytes.TrimSpace(j.Bytes())})
	}
	return out, nil
}

// numberPanels gives rows and panels the ids 1, 2, ... in order: Grafana
// keys a panel's links, its view (?viewPanel=) and its state by id, so the
// ids must be unique and stay the same from one render to the next.
func numberPanels(d *dashboard.Dashboard) {
	var next uint32
	for _, p := range d.Panels {
		next++
		switch {
		case p.RowPanel != nil:
			p.RowPanel.Id = next
			for i := range p.RowPanel.Panels {
				next++
				p.RowPanel.Panels[i].Id = ptr(next)
			}
		case p.Panel != nil:
			p.Panel.Id = ptr(next)
		}
	}
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func newDashboard(env, uid, title string, tags ...string) *dashboard.DashboardBuilder {
	return dashboard.NewDashboardBuilder(fmt.Sprintf("bloody-sweet %s: %s", env, title)).
		Uid(fmt.Sprintf("bs-%s-%s", env, uid)).
		Tags(append([]string{"bloody-sweet", env}, tags...)).
		Refresh("30s").
		Time("now-3h", "now").
		Timezone(common.TimeZoneUtc).
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Readonly().
		// every dashboard of the environment one click away.
		Link(dashboard.NewDashboardLinkBuilder("bloody-sweet " + env).
			Type(dashboard.DashboardLinkTypeDashboards).
			Tags([]string{"bloody-sweet", env}).
			AsDropdown(true).
			KeepTime(true))
}

func promDS() common.DataSourceRef {
	t, u := "prometheus", PrometheusUID
	return common.DataSourceRef{Type: &t, Uid: &u}
}

func lokiDS() common.DataSourceRef {
	t, u := "loki", LokiUID
	return common.DataSourceRef{Type: &t, Uid: &u}
}

// q is one PromQL target; exemplars are asked for so that a latency point
// links to its trace in X-Ray (the Prometheus data source's
// exemplarTraceIdDestinations).
func q(expr, legend string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().Datasource(promDS()).Expr(expr).LegendFormat(legend).Range()
}

func graph(title, desc, unit string, targets ...*prometheus.DataqueryBuilder) *timeseries.PanelBuilder {
	p := timeseries.NewPanelBuilder().Title(title).Description(desc).Unit(unit).
		Datasource(promDS()).Span(12).Height(8).Min(0).FillOpacity(10).
		Legend(common.NewVizLegendOptionsBuilder().DisplayMode(common.LegendDisplayModeList).Placement(common.LegendPlacementBottom).ShowLegend(true))
	for _, t := range targets {
		p.WithTarget(t)
	}
	return p
}

// withSLOLine draws the SLO threshold as a dashed line.
func withSLOLine(p *timeseries.PanelBuilder, threshold float64) *timeseries.PanelBuilder {
	return p.Thresholds(dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps([]dashboard.Threshold{
		{Color: "green"}, {Value: &threshold, Color: "red"},
	})).ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeDashed))
}

func sel(s Service, extra string) string {
	if extra == "" {
		return s.Selector
	}
	return s.Selector + "," + extra
}

// overview is the saga funnel, orders/s, placed -> delivered latency and
// the error budget left of every SLO.
func overview(env string, services []Service) *dashboard.DashboardBuilder {
	d := newDashboard(env, "overview", "overview", "overview")
	if i := slices.IndexFunc(services, func(s Service) bool { return s.Name == sagaService }); i >= 0 {
		o := services[i]
		// orders_by_status is each order replica's count per status: an
		// order placed adds 1 to PLACED, every later move takes 1 from one
		// status and adds it to another, so the summed slope of all
		// statuses is the rate of orders placed, and a terminal status'
		// slope the rate of orders reaching it. The stage histogram
		// counts each order once when it reaches the stage's end.
		placed := fmt.Sprintf("sum(deriv(orders_by_status{%s}[5m]))", o.Selector)
		accepted := fmt.Sprintf("sum(rate(saga_stage_duration_seconds_count{%s}[5m]))", sel(o, `stage="paid_to_accepted"`))
		delivered := fmt.Sprintf("sum(rate(saga_stage_duration_seconds_count{%s}[5m]))", sel(o, `stage="placed_to_delivered"`))
		cancelled := fmt.Sprintf("sum(deriv(orders_by_status{%s}[5m]))", sel(o, `status="CANCELLED"`))
		d.WithRow(dashboard.NewRowBuilder("Saga"))
		funnel := bargauge.NewPanelBuilder().Title("Saga funnel over the time range").
			Description("Orders placed, accepted by a store, delivered and cancelled in the dashboard's time range (order service).").
			Datasource(promDS()).Span(8).Height(8).Unit("short").Decimals(0).Min(0).
			Orientation(common.VizOrientationHorizontal).DisplayMode(common.BarGaugeDisplayModeBasic).
			ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}))
		for _, f := range []struct{ name, expr string }{
			{"placed", fmt.Sprintf("sum(delta(orders_by_status{%s}[$__range]))", o.Selector)},
			{"accepted", fmt.Sprintf("sum(increase(saga_stage_duration_seconds_count{%s}[$__range]))", sel(o, `stage="paid_to_accepted"`))},
			{"delivered", fmt.Sprintf("sum(increase(saga_stage_duration_seconds_count{%s}[$__range]))", sel(o, `stage="placed_to_delivered"`))},
			{"cancelled", fmt.Sprintf("sum(delta(orders_by_status{%s}[$__range]))", sel(o, `status="CANCELLED"`))},
		} {
			funnel.WithTarget(q(f.expr, f.name).Instant())
		}
		d.WithPanel(funnel)
		d.WithPanel(graph("Orders/s", "Orders placed, accepted, delivered and cancelled per second.", "reqps",
			q(placed, "placed"), q(accepted, "accepted"), q(delivered, "delivered"), q(cancelled, "cancelled")).Span(8))
		p := fmt.Sprintf("sum by (le) (rate(saga_stage_duration_seconds_bucket{%s}[5m]))", sel(o, `stage="placed_to_delivered"`))
		d.WithPanel(graph("Placed -> delivered", "Time from OrderPlaced to OrderDelivered (saga_stage_duration_seconds).", "s",
			q("histogram_quantile(0.5, "+p+")", "p50").Exemplar(true),
			q("histogram_quantile(0.99, "+p+")", "p99").Exemplar(true)).Span(8))
	}
	d.WithRow(dashboard.NewRowBuilder("Error budget left (30 days)"))
	for _, s := range services {
		for _, b := range s.Budgets {
			budget := 1 - s.SLO.Availability
			expr := fmt.Sprintf("1 - (%s) / %s", b.Ratio30d, strconv.FormatFloat(budget, 'g', -1, 64))
			d.WithPanel(stat.NewPanelBuilder().Title(fmt.Sprintf("%s: %s", s.Name, b.What)).
				Description(fmt.Sprintf("Share of the 30-day error budget of %s left (availability objective %v); the burn-rate alerts page when it burns 14.4x too fast.", s.Name, s.SLO.Availability)).
				Datasource(promDS()).Span(4).Height(4).Unit("percentunit").Decimals(1).
				// the 5xx ratio is empty until the first 5xx: none spent.
				NoValue("100% (no errors)").
				GraphMode(common.BigValueGraphModeArea).ColorMode(common.BigValueColorModeBackground).
				Thresholds(dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps([]dashboard.Threshold{
					{Color: "red"}, {Value: ptr(0.25), Color: "orange"}, {Value: ptr(0.5), Color: "green"},
				})).
				ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})).
				WithTarget(q(expr, s.Name)))
		}
	}
	return d
}

func ptr[T any](v T) *T { return &v }

// serviceDashboard is RED for api services, the consumer's health for
// consumers, the outbox, the Go runtime and the service's logs.
func serviceDashboard(env string, s Service) *dashboard.DashboardBuilder {
	d := newDashboard(env, s.Name, s.Name, "service", s.Name)
	sg := s.Signals
	if s.Kind == "api" {
		d.WithRow(dashboard.NewRowBuilder("HTTP (rate, errors, duration)"))
		d.WithPanel(graph("Requests/s by code", "", "reqps",
			q(fmt.Sprintf("sum by (code) (rate(http_requests_total{%s}[5m]))", s.Selector), "{{code}}")).Span(8))
		d.WithPanel(withSLOLine(graph("5xx ratio", "The ratio the HTTP burn-rate alerts and the canary judge; the line is 1 - successRate. Empty until the first 5xx.", "percentunit",
			q(sg.HTTPErrorRatio, "5xx")), 1-s.SLO.SuccessRate).Span(8).NoValue("no 5xx"))
		lat := graph("Latency", "", "s",
			q(fmt.Sprintf("histogram_quantile(0.5, sum by (le) (rate(http_request_duration_seconds_bucket{%s}[5m])))", s.Selector), "p50").Exemplar(true))
		if sg.P99 != "" {
			lat.WithTarget(q(sg.P99, "p99").Exemplar(true))
			withSLOLine(lat, s.SLO.P99LatencySeconds)
		}
		if s.Streaming {
			lat.Description("A stream's duration is how long a client listened, not latency: no latency SLO.")
		}
		d.WithPanel(lat.Span(8))
	}
	if len(s.Consumes) > 0 {
		d.WithRow(dashboard.NewRowBuilder("Kafka consumer"))
		d.WithPanel(graph("Consumed/s by topic", "", "short",
			q(fmt.Sprintf("sum by (topic) (rate(kafka_messages_consumed_total{%s}[5m]))", s.Selector), "{{topic}}")).Span(8))
		d.WithPanel(withSLOLine(graph("Handler failure ratio", "The ratio the handler burn-rate alerts and the canary judge; the line is 1 - successRate.", "percentunit",
			q(sg.HandlerErrorRatio, "failed")), 1-s.SLO.SuccessRate).Span(8))
		d.WithPanel(withSLOLine(graph("Consumer lag", "The group's lag, each partition counted once (the alert's and the canary's query); the line is maxConsumerLag.", "short",
			q(sg.ConsumerLag, "lag"),
			q(fmt.Sprintf("sum by (topic) (max by (topic, partition) (kafka_consumer_lag{%s}))", s.Selector), "{{topic}}")), s.SLO.MaxConsumerLag).Span(8))
		d.WithPanel(graph("Dead-lettered (last hour)", "Messages sent to <topic>.dlq after their retries: `platform dlq list` shows them.", "short",
			q(fmt.Sprintf("sum by (topic) (increase(kafka_dlq_messages_total{%s}[1h]))", s.Selector), "{{topic}}")).Span(8))
		d.WithPanel(graph("Blocked consumers and retries", "Pods whose consumer is blocked by a dependency that is down, and transient failures retried per second by stage.", "short",
			q(sg.ConsumerBlocked, "blocked pods"),
			q(fmt.Sprintf("sum by (stage) (rate(kafka_retries_total{%s}[5m]))", s.Selector), "retries {{stage}}")).Span(8))
		d.WithPanel(graph("Handler duration p99 by topic", "", "s",
			q(fmt.Sprintf("histogram_quantile(0.99, sum by (topic, le) (rate(kafka_handler_duration_seconds_bucket{%s}[5m])))", s.Selector), "{{topic}}").Exemplar(true)).Span(8))
	}
	if s.Outbox {
		d.WithRow(dashboard.NewRowBuilder("Outbox"))
		d.WithPanel(graph("Outbox backlog", "Rows not yet published (the outbox alerts' signal). The metrics carry no age: a backlog that never returns to 0 is the stuck relay.", "short",
			q(sg.OutboxBacklog, "rows")))
		d.WithPanel(graph("Produced/s by topic", "", "short",
			q(fmt.Sprintf("sum by (topic) (rate(kafka_messages_produced_total{%s}[5m]))", s.Selector), "{{topic}}")))
	}
	if s.Predicts != nil {
		d.WithRow(dashboard.NewRowBuilder("Delivery-time predictions"))
		d.WithPanel(withSLOLine(graph("ETA error at placement", "Mean absolute error of the delivery time promised at placement over the last hour's deliveries, world seconds (the drift alert's signal; the line is its bound), and by model version: a canary's version next to the stable one.", "s",
			q(sg.ETAMAE, "all versions"),
			q(fmt.Sprintf("sum by (model_version) (rate(eta_abs_error_seconds_sum{%s,step=\"placed\"}[1h])) / sum by (model_version) (rate(eta_abs_error_seconds_count{%s,step=\"placed\"}[1h]))", s.Selector, s.Selector), "{{model_version}}")),
			s.Predicts.MaxMAESeconds).Span(12))
		d.WithPanel(graph("P10-P90 coverage at placement", fmt.Sprintf("Share of the last hour's deliveries inside the interval promised at placement (0.8 when calibrated; the drift alert fires outside %.2f-%.2f).", s.Predicts.Coverage.Min, s.Predicts.Coverage.Max), "percentunit",
			q(sg.ETACoverage, "all versions"),
			q(fmt.Sprintf("sum by (model_version) (rate(eta_interval_total{%s,step=\"placed\",hit=\"true\"}[1h])) / sum by (model_version) (rate(eta_interval_total{%s,step=\"placed\"}[1h]))", s.Selector, s.Selector), "{{model_version}}")).Span(12))
	}
	d.WithRow(dashboard.NewRowBuilder("Go runtime"))
	for _, r := range []struct{ title, unit, expr string }{
		{"Goroutines", "short", "sum by (pod) (go_goroutines{%s})"},
		{"Heap in use", "bytes", "sum by (pod) (go_memstats_heap_inuse_bytes{%s})"},
		{"CPU", "short", "sum by (pod) (rate(process_cpu_seconds_total{%s}[5m]))"},
		{"GC cycles/s", "short", "sum by (pod) (rate(go_gc_duration_seconds_count{%s}[5m]))"},
	} {
		d.WithPanel(graph(r.title, "", r.unit, q(fmt.Sprintf(r.expr, s.Selector), "{{pod}}")).Span(6))
	}
	d.WithRow(dashboard.NewRowBuilder("Logs"))
	d.WithPanel(logs.NewPanelBuilder().Title("Logs").
		Description("The service's log lines in Loki; a line's trace_id opens its trace in X-Ray (the Loki data source's derived field).").
		Datasource(lokiDS()).Span(24).Height(10).ShowTime(true).WrapLogMessage(true).EnableLogDetails(true).
		WithTarget(loki.NewDataqueryBuilder().Datasource(lokiDS()).Expr(LogQuery(s))))
	return d
}

// LogQuery selects a service's log lines in Loki by the labels the log
// pipeline sets from the resource attributes service.name and
// k8s.namespace.name.
func LogQuery(s Service) string {
	return fmt.Sprintf(`{service_name=%q, k8s_namespace_name=%q}`, s.Name, s.Namespace)
}

// canary draws each AnalysisTemplate measurement for the canary pods next
// to the stable pods, with the success threshold.
func canary(env, namespace string, services []Service) *dashboard.DashboardBuilder {
	d := newDashboard(env, "canary", "canary", "canary")
	// The pod-template-hash of the pods running now; the canary's is the
	// newest one (argo rollouts get <rollout> shows it).
	d.WithVariable(dashboard.NewQueryVariableBuilder(CanaryVar).Label("canary pod-template-hash").
		Datasource(promDS()).
		Query(dashboard.StringOrMap{String: ptr(fmt.Sprintf(`label_values(go_goroutines{namespace=%q}, pod)`, namespace))}).
		Regex(`/^[a-z0-9-]+?-([a-z0-9]{8,10})-[a-z0-9]{5}$/`).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged))
	for _, s := range services {
		if len(s.Canary) == 0 {
			continue
		}
		d.WithRow(dashboard.NewRowBuilder(s.Name))
		for _, m := range s.Canary {
			p := graph(fmt.Sprintf("%s: %s", s.Name, m.Name),
				fmt.Sprintf("The AnalysisTemplate's query for the canary pods ($%s) and the stable pods; the canary passes while result %s %v (failureLimit %d).", CanaryVar, m.Op, m.Threshold, m.FailureLimit),
				unitOf(m.Name), q(m.Canary, "canary"), q(m.Stable, "stable")).Span(uint32(24 / max(1, min(len(s.Canary), 4))))
			d.WithPanel(withSLOLine(p, m.Threshold))
		}
	}
	return d
}

func unitOf(metric string) string {
	switch metric {
	case "success-rate", "error-rate":
		return "percentunit"
	case "p99-latency":
		return "s"
	}
	return "short"
}

// kafka is the environment's Kafka traffic across services and the pods'
// resources as the cluster sees them (kube-state-metrics and cAdvisor,
// scraped by kube-prometheus-stack).
func kafka(env, namespace string) *dashboard.DashboardBuilder {
	d := newDashboard(env, "kafka", "Kafka and infrastructure", "kafka", "infrastructure")
	ns := fmt.Sprintf("namespace=%q", namespace)
	d.WithRow(dashboard.NewRowBuilder("Kafka"))
	for _, p := range []struct{ title, desc, legend, expr string }{
		{"Produced/s by topic", "", "{{topic}}", "sum by (topic) (rate(kafka_messages_produced_total{%s}[5m]))"},
		{"Consumed/s by group and topic", "The consumer group is the service.", "{{service}} {{topic}}", "sum by (service, topic) (rate(kafka_messages_consumed_total{%s}[5m]))"},
		{"Consumer lag by group", "Each partition counted once.", "{{service}}", "sum by (service) (max by (service, topic, partition) (kafka_consumer_lag{%s}))"},
		{"Dead-lettered by topic (last hour)", "", "{{topic}}.dlq", "sum by (topic) (increase(kafka_dlq_messages_total{%s}[1h]))"},
		{"Retries/s by service and stage", "", "{{service}} {{stage}}", "sum by (service, stage) (rate(kafka_retries_total{%s}[5m]))"},
		{"Blocked consumers", "", "{{service}}", "sum by (service) (kafka_consumer_blocked{%s})"},
	} {
		d.WithPanel(graph(p.title, p.desc, "short", q(fmt.Sprintf(p.expr, ns), p.legend)).Span(8))
	}
	d.WithRow(dashboard.NewRowBuilder("Pods"))
	for _, p := range []struct{ title, unit, legend, expr string }{
		{"Ready pods by service", "short", "{{created_by_name}}", `sum by (created_by_name) (kube_pod_status_ready{%s,condition="true"} * on (namespace, pod) group_left (created_by_name) kube_pod_info{%[1]s})`},
		{"Container restarts (last hour)", "short", "{{pod}}", "sum by (pod) (increase(kube_pod_container_status_restarts_total{%s}[1h]))"},
		{"CPU by pod", "short", "{{pod}}", `sum by (pod) (rate(container_cpu_usage_seconds_total{%s,container!=""}[5m]))`},
		{"Memory by pod", "bytes", "{{pod}}", `sum by (pod) (container_memory_working_set_bytes{%s,container!=""})`},
		{"HPA replicas", "short", "{{horizontalpodautoscaler}}", "sum by (horizontalpodautoscaler) (kube_horizontalpodautoscaler_status_current_replicas{%s})"},
	} {
		d.WithPanel(graph(p.title, "", p.unit, q(fmt.Sprintf(p.expr, ns), p.legend)).Span(8))
	}
	return d
}

var _ cog.Builder[dashboard.Dashboard] = (*dashboard.DashboardBuilder)(nil)
