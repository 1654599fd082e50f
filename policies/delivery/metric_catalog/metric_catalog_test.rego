package delivery.metric_catalog_test

import data.delivery.metric_catalog
import data.lib.fixtures

test_catalog_metrics_allowed if {
	count(metric_catalog.deny) == 0 with input as fixtures.analysis_template
}

test_unknown_metric_denied if {
	t := json.patch(fixtures.analysis_template, [{"op": "replace", "path": "/spec/metrics/0/provider/prometheus/query", "value": "sum(rate(http_server_errors_total{service=\"order\"}[5m]))"}])
	metric_catalog.deny == {"metric http_server_errors_total (query of success-rate) is not exported by service order"} with input as t
}

test_service_specific_metric_allowed if {
	t := json.patch(fixtures.analysis_template, [{"op": "replace", "path": "/spec/metrics/0/provider/prometheus/query", "value": "histogram_quantile(0.99, sum by (le, stage) (rate(saga_stage_duration_seconds_bucket{stage=\"placed_to_paid\"}[5m])))"}])
	count(metric_catalog.deny) == 0 with input as t
}

test_other_services_metric_denied if {
	t := json.patch(fixtures.analysis_template, [
		{"op": "replace", "path": "/metadata/labels", "value": {"app.kubernetes.io/name": "payment"}},
		{"op": "replace", "path": "/spec/metrics", "value": [{"name": "stuck", "provider": {"prometheus": {"query": "sum(orders_by_status{status=\"PLACED\"})"}}}]},
	])
	count(metric_catalog.deny) == 1 with input as t
}

test_api_metrics_need_api_kind if {
	t := json.patch(fixtures.analysis_template, [{"op": "replace", "path": "/metadata/labels", "value": {"app.kubernetes.io/name": "store"}}])
	count(metric_catalog.deny) == 2 with input as t
}

test_unlabelled_template_denied if {
	t := json.patch(fixtures.analysis_template, [{"op": "remove", "path": "/metadata/labels"}])
	count(metric_catalog.deny) == 1 with input as t
}
