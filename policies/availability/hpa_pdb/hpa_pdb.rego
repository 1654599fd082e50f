# METADATA
# title: An HPA must be compatible with its target and its PodDisruptionBudget
# description: >-
#   An HPA that scales a Rollout uses apiVersion argoproj.io/v1alpha1 and names a Rollout that exists in
#   its namespace; and at the HPA's minReplicas the PodDisruptionBudget of the target still allows some
#   evictions (minAvailable below minReplicas, maxUnavailable above 0) without allowing all of them
#   (maxUnavailable below minReplicas). Otherwise node drains block forever or take the whole service
#   down.
# custom:
#   severity: high
#   remediation: >-
#     Point scaleTargetRef at the Rollout (apiVersion argoproj.io/v1alpha1, kind Rollout, its name), and
#     size the PDB against the HPA: minAvailable < minReplicas, or 0 < maxUnavailable < minReplicas.
#   combine: true
package availability.hpa_pdb

import data.lib.combined
import data.lib.kubernetes as k8s

rollouts_api := "argoproj.io/v1alpha1"

# hpas are the autoscalers: HPAs and KEDA ScaledObjects (KEDA's HPA takes
# the ScaledObject's scaleTargetRef and floor).
hpas contains entry if {
	some kind in k8s.autoscaler_kinds
	some entry in combined.by_kind[kind]
}

deny contains combined.finding(entry, msg) if {
	some entry in hpas
	ref := entry.contents.spec.scaleTargetRef
	ref.kind == "Rollout"
	ref.apiVersion != rollouts_api
	msg := sprintf("scaleTargetRef of Rollout %s has apiVersion %s, want %s", [ref.name, ref.apiVersion, rollouts_api])
}

deny contains combined.finding(entry, msg) if {
	some entry in hpas
	ref := entry.contents.spec.scaleTargetRef
	ref.kind == "Rollout"
	count(targets_of(entry.contents)) == 0
	msg := sprintf("scales Rollout %s, which does not exist in namespace %s", [ref.name, k8s.namespace_of(entry.contents)])
}

deny contains combined.finding(entry, msg) if {
	some entry in hpas
	hpa := entry.contents
	some target in targets_of(hpa)
	some pdb_entry in combined.by_kind.PodDisruptionBudget
	pdb := pdb_entry.contents
	k8s.namespace_of(pdb) == k8s.namespace_of(hpa)
	k8s.selector_matches(object.get(pdb.spec, "selector", {}), k8s.pod_labels_of(target))
	why := problem(pdb.spec, k8s.min_replicas_of(hpa))
	msg := sprintf("PodDisruptionBudget %s %s", [k8s.name_of(pdb), why])
}

# targets_of(hpa) is a set: the same object may come from two files (the
# rendered manifests and a review copy), possibly differing.
targets_of(hpa) := {obj |
	some target in combined.by_kind[hpa.spec.scaleTargetRef.kind]
	obj := target.contents
	k8s.targets(hpa, obj)
}

# problem(spec, min) says what is wrong with a PDB spec at min replicas.
# minAvailable and maxUnavailable are mutually exclusive in a valid PDB.
problem(spec, min) := msg if {
	is_number(spec.minAvailable)
	spec.minAvailable >= min
	msg := sprintf("has minAvailable %d: at the HPA's minReplicas %d no pod can ever be evicted", [spec.minAvailable, min])
}

problem(spec, _) := "has minAvailable 100%: no pod can ever be evicted" if spec.minAvailable == "100%"

problem(spec, _) := "has maxUnavailable 0: no pod can ever be evicted" if {
	not k8s.has_key(spec, "minAvailable")
	spec.maxUnavailable in {0, "0%"}
}

problem(spec, min) := msg if {
	not k8s.has_key(spec, "minAvailable")
	is_number(spec.maxUnavailable)
	spec.maxUnavailable > 0
	spec.maxUnavailable >= min
	msg := sprintf("has maxUnavailable %d: at the HPA's minReplicas %d a drain may evict every pod", [spec.maxUnavailable, min])
}
