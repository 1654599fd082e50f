package lib.promql_test

import data.lib.promql

test_metrics_of_rate_ratio if {
	q := `sum(rate(http_requests_total{service="order",code!~"5.."}[2m])) / sum(rate(http_requests_total{service="order"}[2m]))`
	promql.metrics(q) == {"http_requests_total"}
}

test_histogram_quantile_with_grouping if {
	q := `histogram_quantile(0.99, sum by (le, route) (rate(http_request_duration_seconds_bucket{pod=~"order-{{args.canary-hash}}-.*"}[5m])))`
	promql.metrics(q) == {"http_request_duration_seconds_bucket"}
}

test_binary_operators_and_offsets if {
	q := `sum(kafka_consumer_lag) by (topic) > on(topic) group_left() max(kafka_messages_consumed_total offset 5m) or vector(0)`
	promql.metrics(q) == {"kafka_consumer_lag", "kafka_messages_consumed_total"}
}

test_base_name if {
	promql.base_name("http_request_duration_seconds_bucket") == "http_request_duration_seconds"
	promql.base_name("saga_stage_duration_seconds_count") == "saga_stage_duration_seconds"
	promql.base_name("outbox_backlog") == "outbox_backlog"
}
