package observability.prometheus_rules_test

import data.lib.fixtures
import data.observability.prometheus_rules

# rule is the order service's PrometheusRule in orders-prod, next to
# fixtures.rollout (also orders-prod, app.kubernetes.io/name=order).
rule := {
	"apiVersion": "monitoring.coreos.com/v1",
	"kind": "PrometheusRule",
	"metadata": {
		"name": "order",
		"namespace": "orders-prod",
		"labels": {"app.kubernetes.io/name": "order", "app.kubernetes.io/component": "api"},
	},
	"spec": {"groups": [{"name": "order.slo", "rules": [
		{
			"alert": "HTTPErrorBudgetFastBurn",
			"expr": `(sum(rate(http_requests_total{namespace="orders-prod",service="order",code=~"5.."}[1h])) / sum(rate(http_requests_total{namespace="orders-prod",service="order"}[1h]))) > 0.0144`,
			"labels": {"severity": "page"},
		},
		{
			"alert": "HTTPLatencyP99AboveSLO",
			"expr": `histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{namespace="orders-prod",service="order"}[5m]))) > 0.5`,
		},
		{
			"alert": "OutboxRelayStuck",
			"expr": `max(min_over_time(outbox_backlog{service="order"}[10m])) > 0 and sum(rate(kafka_messages_produced_total{service="order",topic!~".+[.]dlq"}[10m])) == 0`,
		},
	]}]},
}

test_service_with_rule_allowed if {
	count(prometheus_rules.deny) == 0 with input as fixtures.combine([fixtures.rollout, rule])
}

test_service_without_rule_denied if {
	some f in prometheus_rules.deny with input as fixtures.combine([fixtures.rollout])
	f.resource == {"kind": "Rollout", "namespace": "orders-prod", "name": "order"}
	f.msg == `Rollout order (service order) has no PrometheusRule with an alert for service order in namespace "orders-prod"`
}

test_rule_in_other_namespace_does_not_count if {
	other := json.patch(rule, [{"op": "replace", "path": "/metadata/namespace", "value": "orders-staging"}])
	count(prometheus_rules.deny) == 1 with input as fixtures.combine([fixtures.rollout, other])
}

test_rule_of_other_service_does_not_count if {
	other := json.patch(rule, [{"op": "replace", "path": "/metadata/labels/app.kubernetes.io~1name", "value": "payment"}])
	msgs := {f.msg | some f in prometheus_rules.deny} with input as fixtures.combine([fixtures.rollout, other])
	`Rollout order (service order) has no PrometheusRule with an alert for service order in namespace "orders-prod"` in msgs
}

test_rule_without_alerts_does_not_count if {
	recording := json.patch(rule, [{"op": "replace", "path": "/spec/groups/0/rules", "value": [{"record": "order:http_errors:rate5m", "expr": "sum(rate(http_requests_total[5m]))"}]}])
	count(prometheus_rules.deny) == 1 with input as fixtures.combine([fixtures.rollout, recording])
}

test_non_platform_workload_ignored if {
	other := json.patch(fixtures.deployment, [
		{"op": "replace", "path": "/metadata/labels", "value": {"app.kubernetes.io/name": "reporting"}},
		{"op": "replace", "path": "/metadata/name", "value": "reporting"},
	])
	count(prometheus_rules.deny) == 0 with input as fixtures.combine([other])
}

test_part_of_label_makes_a_service_workload if {
	other := json.patch(fixtures.deployment, [{"op": "replace", "path": "/metadata/labels/app.kubernetes.io~1name", "value": "reporting"}])
	count(prometheus_rules.deny) == 1 with input as fixtures.combine([other])
}

test_unknown_metric_denied if {
	bad := json.patch(rule, [{"op": "replace", "path": "/spec/groups/0/rules/0/expr", "value": `sum(rate(http_server_errors_total{service="order"}[5m])) > 0`}])
	msgs := {f.msg | some f in prometheus_rules.deny} with input as fixtures.combine([fixtures.rollout, bad])
	msgs == {"metric http_server_errors_total (alert HTTPErrorBudgetFastBurn) is not exported by service order"}
}

test_api_metrics_need_api_kind if {
	consumer := json.patch(rule, [{"op": "replace", "path": "/metadata/labels/app.kubernetes.io~1component", "value": "consumer"}])
	count(prometheus_rules.deny) == 2 with input as fixtures.combine([fixtures.rollout, consumer])
}

test_service_specific_metric if {
	own := json.patch(rule, [{"op": "replace", "path": "/spec/groups/0/rules/0/expr", "value": `sum(orders_by_status{status="PLACED"}) > 100`}])
	count(prometheus_rules.deny) == 0 with input as fixtures.combine([fixtures.rollout, own])

	payment := json.patch(own, [{"op": "replace", "path": "/metadata/labels/app.kubernetes.io~1name", "value": "payment"}])
	msgs := {f.msg | some f in prometheus_rules.deny} with input as fixtures.combine([payment])
	"metric orders_by_status (alert HTTPErrorBudgetFastBurn) is not exported by service payment" in msgs
}

test_recorded_series_allowed if {
	recorded := json.patch(rule, [
		{"op": "add", "path": "/spec/groups/0/rules/-", "value": {"record": "order:http_errors:ratio_rate5m", "expr": `sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))`}},
		{"op": "replace", "path": "/spec/groups/0/rules/0/expr", "value": "order:http_errors:ratio_rate5m > 0.0144"},
	])
	count(prometheus_rules.deny) == 0 with input as fixtures.combine([fixtures.rollout, recorded])
}

test_unlabelled_rule_denied if {
	unlabelled := json.remove(rule, ["metadata/labels"])
	msgs := {f.msg | some f in prometheus_rules.deny} with input as fixtures.combine([unlabelled])
	msgs == {"cannot tell which service PrometheusRule order alerts on: label it app.kubernetes.io/name=<service>"}
}

test_single_document_input_ignored if {
	count(prometheus_rules.deny) == 0 with input as fixtures.rollout
}

# telemetry is the platform's rule on its own telemetry
# (cue/templates/alerting.cue): named platform, it reads the catalog's
# platform set.
telemetry := {
	"apiVersion": "monitoring.coreos.com/v1",
	"kind": "PrometheusRule",
	"metadata": {
		"name": "platform-telemetry",
		"namespace": "monitoring",
		"labels": {"app.kubernetes.io/name": "platform"},
	},
	"spec": {"groups": [{"name": "platform.telemetry", "rules": [
		{"alert": "OtelCollectorExportFailing", "expr": `sum by (exporter) (rate(otelcol_exporter_send_failed_spans_total[5m])) > 0`},
		{"alert": "TargetDown", "expr": `count by (job) (up == 0) > 0`},
	]}]},
}

test_platform_telemetry_rule_reads_the_platform_set if {
	count(prometheus_rules.deny) == 0 with input as fixtures.combine([telemetry])
}

test_platform_telemetry_rule_unknown_metric_denied if {
	bad := json.patch(telemetry, [{"op": "replace", "path": "/spec/groups/0/rules/0/expr", "value": `sum(rate(otelcol_exporter_send_failed_spans[5m])) > 0`}])
	msgs := {f.msg | some f in prometheus_rules.deny} with input as fixtures.combine([bad])
	msgs == {"metric otelcol_exporter_send_failed_spans (alert OtelCollectorExportFailing) is not exported by service platform"}
}

test_platform_set_is_not_a_service_set if {
	own := json.patch(rule, [{"op": "replace", "path": "/spec/groups/0/rules/0/expr", "value": `sum(rate(otelcol_exporter_send_failed_spans_total[5m])) > 0`}])
	msgs := {f.msg | some f in prometheus_rules.deny} with input as fixtures.combine([fixtures.rollout, own])
	msgs == {"metric otelcol_exporter_send_failed_spans_total (alert HTTPErrorBudgetFastBurn) is not exported by service order"}
}
