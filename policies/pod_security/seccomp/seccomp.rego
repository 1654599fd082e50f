# METADATA
# title: Pods must use the RuntimeDefault seccomp profile
# description: >-
#   Every container runs under the RuntimeDefault seccomp profile (or a Localhost profile), set on the
#   pod or the container, and never Unconfined.
# custom:
#   severity: medium
#   kinds: [Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod, Rollout]
#   remediation: >-
#     Set spec.securityContext.seccompProfile.type: RuntimeDefault in the pod template.
package pod_security.seccomp

import data.lib.kubernetes as k8s

allowed_types := {"RuntimeDefault", "Localhost"}

deny contains {"msg": msg, "container": c.name} if {
	some c in k8s.containers
	not confined(c)
	msg := sprintf("container %q does not run under the RuntimeDefault seccomp profile", [c.name])
}

confined(c) if {
	profile := k8s.security_context(k8s.pod_spec, c, "seccompProfile")
	profile.type in allowed_types
}
