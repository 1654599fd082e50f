package availability.consumer_partitions_test

import data.availability.consumer_partitions
import data.lib.fixtures

consumer_hpa := json.patch(fixtures.hpa, [
	{"op": "replace", "path": "/metadata/labels", "value": {"app.kubernetes.io/name": "payment", "app.kubernetes.io/component": "consumer"}},
	{"op": "replace", "path": "/spec/maxReplicas", "value": 12},
])

consumer_rollout := json.patch(fixtures.rollout, [
	{"op": "replace", "path": "/metadata/labels", "value": {"app.kubernetes.io/name": "payment", "app.kubernetes.io/component": "consumer"}},
	{"op": "replace", "path": "/spec/strategy/canary", "value": {"maxSurge": 0, "maxUnavailable": 1, "steps": [{"setWeight": 50}]}},
])

test_at_partition_count_allowed if {
	count(consumer_partitions.deny) == 0 with input as consumer_hpa
	count(consumer_partitions.deny) == 0 with input as consumer_rollout
}

test_hpa_above_partitions_denied if {
	hpa := json.patch(consumer_hpa, [{"op": "replace", "path": "/spec/maxReplicas", "value": 20}])
	consumer_partitions.deny == {"maxReplicas 20 exceeds the 12 partitions consumer service payment can use"} with input as hpa
}

test_replicas_above_partitions_denied if {
	r := json.patch(consumer_rollout, [{"op": "replace", "path": "/spec/replicas", "value": 13}])
	count(consumer_partitions.deny) == 1 with input as r
}

test_consumer_canary_surge_denied if {
	r := json.patch(consumer_rollout, [{"op": "remove", "path": "/spec/strategy/canary/maxSurge"}])
	some msg in consumer_partitions.deny with input as r
	contains(msg, "maxSurge 25% (default)")
}

test_kind_from_service_table if {
	hpa := json.patch(consumer_hpa, [{"op": "replace", "path": "/metadata/labels", "value": {"app.kubernetes.io/name": "store"}}, {"op": "replace", "path": "/spec/maxReplicas", "value": 30}])
	count(consumer_partitions.deny) == 1 with input as hpa
}

test_api_service_may_scale_further if {
	hpa := json.patch(fixtures.hpa, [{"op": "replace", "path": "/spec/maxReplicas", "value": 40}])
	count(consumer_partitions.deny) == 0 with input as hpa
}

consumer_scaledobject := {
	"apiVersion": "keda.sh/v1alpha1",
	"kind": "ScaledObject",
	"metadata": {"name": "payment", "namespace": "orders-dev", "labels": {"app.kubernetes.io/name": "payment", "app.kubernetes.io/component": "consumer"}},
	"spec": {
		"scaleTargetRef": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "payment"},
		"minReplicaCount": 2,
		"maxReplicaCount": 12,
		"fallback": {"failureThreshold": 3, "replicas": 12},
	},
}

test_scaledobject_at_partition_count_allowed if {
	count(consumer_partitions.deny) == 0 with input as consumer_scaledobject
}

test_scaledobject_above_partitions_denied if {
	so := json.patch(consumer_scaledobject, [{"op": "replace", "path": "/spec/maxReplicaCount", "value": 13}])
	consumer_partitions.deny == {"ScaledObject maxReplicaCount 13 exceeds the 12 partitions consumer service payment can use"} with input as so
}

test_scaledobject_fallback_above_partitions_denied if {
	so := json.patch(consumer_scaledobject, [{"op": "replace", "path": "/spec/fallback/replicas", "value": 20}])
	consumer_partitions.deny == {"ScaledObject fallback.replicas 20 exceeds the 12 partitions consumer service payment can use"} with input as so
}

test_scaledobject_without_max_denied if {
	# KEDA's default maxReplicaCount is 100
	so := json.patch(consumer_scaledobject, [{"op": "remove", "path": "/spec/maxReplicaCount"}])
	count(consumer_partitions.deny) == 1 with input as so
}
