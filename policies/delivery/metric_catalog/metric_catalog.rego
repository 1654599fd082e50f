# METADATA
# title: AnalysisTemplates may only query metrics their service exports
# description: >-
#   Every metric an AnalysisTemplate's Prometheus queries read is in the service's set in
#   policies/data/metric_catalog.json: common, plus api for api services, plus the service's own entry
#   (histogram series _bucket, _sum and _count count as their metric). A query on a metric nobody
#   exports returns no data, and an analysis on no data proves nothing.
# custom:
#   severity: high
#   kinds: [AnalysisTemplate, ClusterAnalysisTemplate]
#   remediation: >-
#     Query a metric the service exports (see policies/data/metric_catalog.json and docs/CONTRACTS.md), or
#     export the new metric from the service and add it to the catalog in the same change. Label the
#     template app.kubernetes.io/name=<service>.
package delivery.metric_catalog

import data.lib.kubernetes as k8s
import data.lib.promql

template_kinds := {"AnalysisTemplate", "ClusterAnalysisTemplate"}

catalog := data.metric_catalog

deny contains msg if {
	input.kind in template_kinds
	uses_prometheus
	not k8s.service_of(input)
	msg := "cannot tell which service the template analyses: label it app.kubernetes.io/name=<service>"
}

deny contains msg if {
	input.kind in template_kinds
	svc := k8s.service_of(input)
	exported := allowed(svc)
	some metric in input.spec.metrics
	some name in promql.metrics(metric.provider.prometheus.query)
	not name in exported
	not promql.base_name(name) in exported
	msg := sprintf("metric %s (query of %s) is not exported by service %s", [name, metric.name, svc])
}

uses_prometheus if {
	some metric in input.spec.metrics
	metric.provider.prometheus
}

# allowed(svc) is the service's metric set: common, api for api services,
# and the service's own catalog entry.
allowed(svc) := {name |
	some group in groups(svc)
	some name in object.get(catalog, group, [])
}

groups(svc) := {"common", svc} | {"api" | k8s.component_of(input) == "api"}
