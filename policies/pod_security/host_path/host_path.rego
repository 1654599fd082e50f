# METADATA
# title: Pods must not mount hostPath volumes
# description: >-
#   A hostPath volume exposes the node's filesystem to the pod and survives it; use emptyDir, ConfigMap,
#   Secret or persistent volumes.
# custom:
#   severity: high
#   kinds: [Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod, Rollout]
#   remediation: >-
#     Replace the hostPath volume with an emptyDir, ConfigMap, Secret or PersistentVolumeClaim.
package pod_security.host_path

import data.lib.kubernetes as k8s

deny contains msg if {
	some volume in k8s.pod_spec.volumes
	volume.hostPath
	msg := sprintf("volume %q mounts host path %s", [volume.name, volume.hostPath.path])
}
