# METADATA
# title: Containers must drop all capabilities
# description: >-
#   Every container drops ALL Linux capabilities and adds back at most NET_BIND_SERVICE; the services
#   listen on 8080 and need none.
# custom:
#   severity: high
#   kinds: [Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod, Rollout]
#   remediation: >-
#     Set securityContext.capabilities.drop: ["ALL"] and remove capabilities.add (NET_BIND_SERVICE is the
#     only one tolerated).
package pod_security.capabilities

import data.lib.kubernetes as k8s

allowed_additions := {"NET_BIND_SERVICE"}

deny contains {"msg": msg, "container": c.name} if {
	some c in k8s.containers
	not "ALL" in object.get(c, ["securityContext", "capabilities", "drop"], [])
	msg := sprintf("container %q does not drop ALL capabilities", [c.name])
}

deny contains {"msg": msg, "container": c.name} if {
	some c in k8s.containers
	some cap in object.get(c, ["securityContext", "capabilities", "add"], [])
	not cap in allowed_additions
	msg := sprintf("container %q adds capability %s", [c.name, cap])
}
