# METADATA
# title: Containers must not run privileged
# description: >-
#   A privileged container has every capability and access to all host devices; it is root on the node.
# custom:
#   severity: critical
#   kinds: [Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod, Rollout]
#   remediation: >-
#     Remove securityContext.privileged (or set it to false) on every container.
package pod_security.privileged

import data.lib.kubernetes as k8s

deny contains {"msg": msg, "container": c.name} if {
	some c in k8s.containers
	c.securityContext.privileged == true
	msg := sprintf("container %q runs privileged", [c.name])
}
