# METADATA
# title: Replicated workloads must have a PodDisruptionBudget
# description: >-
#   A Deployment, StatefulSet, ReplicaSet or Rollout that runs more than one replica (spec.replicas, or
#   the floor of the HPA or KEDA ScaledObject that scales it) has a PodDisruptionBudget in its namespace selecting its
#   pods, so node drains and cluster upgrades never take all of its pods at once.
# custom:
#   severity: medium
#   remediation: >-
#     Add a PodDisruptionBudget (policy/v1) in the same namespace whose selector matches the pod template
#     labels, for example maxUnavailable: 1.
#   combine: true
package availability.pdb

import data.lib.combined
import data.lib.kubernetes as k8s

deny contains combined.finding(entry, msg) if {
	some kind in k8s.scalable_kinds
	some entry in combined.by_kind[kind]
	obj := entry.contents
	replicas := min_replicas(obj)
	replicas > 1
	not has_pdb(obj)
	msg := sprintf("%s %s runs at least %d replicas but no PodDisruptionBudget selects its pods", [obj.kind, k8s.name_of(obj), replicas])
}

# min_replicas(obj) is the fewest replicas the workload runs: its own count or
# the floor of an autoscaler scaling it, whichever is larger.
min_replicas(obj) := max({k8s.replicas_of(obj)} | {k8s.min_replicas_of(hpa) |
	some kind in k8s.autoscaler_kinds
	some hpa_entry in combined.by_kind[kind]
	hpa := hpa_entry.contents
	k8s.targets(hpa, obj)
})

has_pdb(obj) if {
	some pdb_entry in combined.by_kind.PodDisruptionBudget
	pdb := pdb_entry.contents
	k8s.namespace_of(pdb) == k8s.namespace_of(obj)
	k8s.selector_matches(object.get(pdb.spec, "selector", {}), k8s.pod_labels_of(obj))
}
