# METADATA
# title: Containers must not allow privilege escalation
# description: >-
#   Every container sets securityContext.allowPrivilegeEscalation to false, so setuid binaries cannot
#   gain more privileges than the process started with. The Kubernetes default is true, so the field
#   must be explicit.
# custom:
#   severity: high
#   kinds: [Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod, Rollout]
#   remediation: >-
#     Set securityContext.allowPrivilegeEscalation: false on every container, init containers included.
package pod_security.privilege_escalation

import data.lib.kubernetes as k8s

deny contains {"msg": msg, "container": c.name} if {
	some c in k8s.containers
	not c.securityContext.allowPrivilegeEscalation == false
	msg := sprintf("container %q does not set allowPrivilegeEscalation: false", [c.name])
}
