# METADATA
# title: Every service is alerted on, on metrics it exports
# description: >-
#   Every service workload (a Deployment, StatefulSet or Rollout of a platform service: named in
#   policies/data/platform.json or labelled app.kubernetes.io/part-of=bloody-sweet) has a
#   monitoring.coreos.com/v1 PrometheusRule with at least one alert for the same service
#   (app.kubernetes.io/name) in its namespace: without one nobody is paged when it fails outside a
#   canary. Every expression of such a rule reads only metrics in the service's set in
#   policies/data/metric_catalog.json (common, plus api for api services, plus the service's own
#   entry; histogram series count as their metric) or series recorded by the same PrometheusRule: an
#   alert on a metric nobody exports never fires.
# custom:
#   severity: high
#   kinds: [Deployment, StatefulSet, Rollout, PrometheusRule]
#   remediation: >-
#     Render the service with the shared chart, which renders <service> PrometheusRule from the CUE
#     model (cue/templates/prometheusrule.cue); query only metrics the service exports (see
#     policies/data/metric_catalog.json and docs/CONTRACTS.md), or export the new metric and add it to
#     the catalog in the same change. Label the rule app.kubernetes.io/name=<service>.
#   combine: true
package observability.prometheus_rules

import data.lib.combined
import data.lib.kubernetes as k8s
import data.lib.promql

workload_kinds := {"Deployment", "StatefulSet", "Rollout"}

deny contains combined.finding(entry, msg) if {
	some entry in combined.entries
	obj := entry.contents
	service_workload(obj)
	svc := k8s.service_of(obj)
	ns := k8s.namespace_of(obj)
	count(alerting_rules(ns, svc)) == 0
	msg := sprintf("%s %s (service %s) has no PrometheusRule with an alert for service %s in namespace %q", [obj.kind, k8s.name_of(obj), svc, svc, ns])
}

deny contains combined.finding(entry, msg) if {
	some entry in combined.entries
	obj := entry.contents
	obj.kind == "PrometheusRule"
	not k8s.service_of(obj)
	msg := sprintf("cannot tell which service PrometheusRule %s alerts on: label it app.kubernetes.io/name=<service>", [k8s.name_of(obj)])
}

deny contains combined.finding(entry, msg) if {
	some entry in combined.entries
	obj := entry.contents
	obj.kind == "PrometheusRule"
	svc := k8s.service_of(obj)
	exported := allowed(obj, svc) | recorded(obj)
	some rule in rules_of(obj)
	some name in promql.metrics(rule.expr)
	not name in exported
	not promql.base_name(name) in exported
	msg := sprintf("metric %s (%s) is not exported by service %s", [name, rule_name(rule), svc])
}

# service_workload(obj) is true for the long-running workloads of the
# platform's services.
service_workload(obj) if {
	obj.kind in workload_kinds
	k8s.service_of(obj) in object.keys(data.platform.services)
}

service_workload(obj) if {
	obj.kind in workload_kinds
	k8s.labels_of(obj)["app.kubernetes.io/part-of"] == "bloody-sweet"
	k8s.service_of(obj)
}

# alerting_rules(ns, svc) are the PrometheusRules of service svc in
# namespace ns that hold at least one alert.
alerting_rules(ns, svc) := {k8s.name_of(e.contents) |
	some e in combined.by_kind.PrometheusRule
	k8s.namespace_of(e.contents) == ns
	k8s.service_of(e.contents) == svc
	some rule in rules_of(e.contents)
	rule.alert
}

# rules_of(obj) are the rules of every group whose expression is PromQL text.
rules_of(obj) := [rule |
	some group in object.get(obj, ["spec", "groups"], [])
	some rule in object.get(group, "rules", [])
	is_string(rule.expr)
]

rule_name(rule) := sprintf("alert %s", [rule.alert]) if rule.alert

rule_name(rule) := sprintf("record %s", [rule.record]) if not rule.alert

# recorded(obj) are the series the rule's own recording rules write.
recorded(obj) := {rule.record | some rule in rules_of(obj); rule.record}

# allowed(obj, svc) is the service's metric set: common, api for api
# services, and the service's own catalog entry. The platform's rule on its
# own telemetry (cue/templates/alerting.cue) is named platform, so it reads
# the catalog's platform set (collector, Loki, Prometheus, Alertmanager).
allowed(obj, svc) := {name |
	some group in groups(obj, svc)
	some name in object.get(data.metric_catalog, group, [])
}

groups(obj, svc) := {"common", svc} | {"api" | k8s.component_of(obj) == "api"}
