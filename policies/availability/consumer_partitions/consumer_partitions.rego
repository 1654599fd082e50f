# METADATA
# title: Consumer services must not scale beyond their topics' partitions
# description: >-
#   A Kafka consumer group gets at most one member per partition: consumers beyond the partition count
#   of the smallest topic a consumer service reads sit idle while the HPA believes it added capacity.
#   The HPA's maxReplicas, a KEDA ScaledObject's maxReplicaCount (and its fallback replicas) and the
#   workload's replicas stay at or below that count, and a consumer
#   Rollout's canary uses maxSurge 0 so canary pods never push the group above it.
# custom:
#   severity: medium
#   kinds: [HorizontalPodAutoscaler, ScaledObject, Deployment, StatefulSet, ReplicaSet, Rollout]
#   remediation: >-
#     Lower autoscaling maxReplicas (ScaledObject maxReplicaCount, fallback replicas; and replicas) to the partition count of the topics the service
#     consumes, or add partitions first; set strategy.canary.maxSurge: 0 on consumer Rollouts.
package availability.consumer_partitions

import data.lib.kubernetes as k8s

deny contains msg if {
	input.kind == "HorizontalPodAutoscaler"
	is_consumer
	limit := partitions(k8s.service_of(input))
	input.spec.maxReplicas > limit
	msg := sprintf("maxReplicas %d exceeds the %d partitions consumer service %s can use", [input.spec.maxReplicas, limit, k8s.service_of(input)])
}

deny contains msg if {
	input.kind == "ScaledObject"
	is_consumer
	limit := partitions(k8s.service_of(input))
	some field, n in {
		"maxReplicaCount": object.get(input.spec, "maxReplicaCount", 100),
		"fallback.replicas": object.get(input.spec, ["fallback", "replicas"], 0),
	}
	n > limit
	msg := sprintf("ScaledObject %s %d exceeds the %d partitions consumer service %s can use", [field, n, limit, k8s.service_of(input)])
}

deny contains msg if {
	input.kind in k8s.scalable_kinds
	is_consumer
	limit := partitions(k8s.service_of(input))
	k8s.replicas_of(input) > limit
	msg := sprintf("replicas %d exceed the %d partitions consumer service %s can use", [k8s.replicas_of(input), limit, k8s.service_of(input)])
}

deny contains msg if {
	input.kind == "Rollout"
	is_consumer
	canary := input.spec.strategy.canary
	not object.get(canary, "maxSurge", "25%") in {0, "0", "0%"}
	msg := sprintf("consumer Rollout canary has maxSurge %v: canary pods come on top of the stable ones; use maxSurge: 0", [object.get(canary, "maxSurge", "25% (default)")])
}

is_consumer if k8s.component_of(input) == "consumer"

# partitions(svc) is the partition count of the smallest topic the service
# consumes; for a consumer the platform does not know, the smallest topic.
partitions(svc) := min({data.platform.topic_partitions[topic] | some topic in data.platform.services[svc].consumes})

partitions(svc) := min({n | some n in data.platform.topic_partitions}) if not data.platform.services[svc]
