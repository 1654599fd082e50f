# METADATA
# title: Pods must not share host namespaces
# description: >-
#   hostNetwork, hostPID and hostIPC give a pod the node's network stack, process table or IPC; none of
#   the platform's workloads needs them.
# custom:
#   severity: critical
#   kinds: [Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod, Rollout]
#   remediation: >-
#     Remove hostNetwork, hostPID and hostIPC from the pod spec (or set them to false).
package pod_security.host_namespaces

import data.lib.kubernetes as k8s

deny contains msg if {
	some field in ["hostNetwork", "hostPID", "hostIPC"]
	k8s.pod_spec[field] == true
	msg := sprintf("pod spec sets %s: true", [field])
}
