# METADATA
# title: Containers must run as a non-root user
# description: >-
#   Every container runs with runAsNonRoot: true (set on the container or inherited from the pod) or an
#   explicit non-zero runAsUser, and never with runAsUser: 0.
# custom:
#   severity: high
#   kinds: [Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod, Rollout]
#   remediation: >-
#     Set spec.securityContext.runAsNonRoot: true and a non-zero runAsUser (for example 65532) in the pod
#     template, and build the image with a non-root USER.
package pod_security.non_root

import data.lib.kubernetes as k8s

deny contains {"msg": msg, "container": c.name} if {
	some c in k8s.containers
	not runs_as_non_root(c)
	msg := sprintf("container %q may run as root: set runAsNonRoot: true or a non-zero runAsUser", [c.name])
}

deny contains {"msg": msg, "container": c.name} if {
	some c in k8s.containers
	k8s.security_context(k8s.pod_spec, c, "runAsUser") == 0
	msg := sprintf("container %q runs as user 0 (root)", [c.name])
}

runs_as_non_root(c) if k8s.security_context(k8s.pod_spec, c, "runAsNonRoot") == true

runs_as_non_root(c) if k8s.security_context(k8s.pod_spec, c, "runAsUser") > 0
