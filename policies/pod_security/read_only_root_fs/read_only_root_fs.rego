# METADATA
# title: Containers must have a read-only root filesystem
# description: >-
#   Every container sets securityContext.readOnlyRootFilesystem: true, so an intruder cannot change the
#   binaries or drop tools into the image. Writable scratch space comes from emptyDir volumes.
# custom:
#   severity: medium
#   kinds: [Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod, Rollout]
#   remediation: >-
#     Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir at the paths the process
#     writes to (for example /tmp).
package pod_security.read_only_root_fs

import data.lib.kubernetes as k8s

deny contains {"msg": msg, "container": c.name} if {
	some c in k8s.containers
	not c.securityContext.readOnlyRootFilesystem == true
	msg := sprintf("container %q has a writable root filesystem", [c.name])
}
