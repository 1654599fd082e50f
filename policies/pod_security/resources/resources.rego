# METADATA
# title: Containers must declare resource requests and limits
# description: >-
#   Every container requests CPU and memory (so the scheduler can place it and the HPA can scale on
#   utilisation) and has a memory limit (so a leak kills the container, not the node). A missing CPU
#   limit is only a warning: CPU is compressible and limits throttle latency-sensitive services.
# custom:
#   severity: medium
#   kinds: [Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod, Rollout]
#   remediation: >-
#     Set resources.requests.cpu, resources.requests.memory and resources.limits.memory (and preferably
#     resources.limits.cpu) on every container.
package pod_security.resources

import data.lib.kubernetes as k8s

required := [["requests", "cpu"], ["requests", "memory"], ["limits", "memory"]]

deny contains {"msg": msg, "container": c.name} if {
	some c in k8s.containers
	not c.name in ephemeral
	some path in required
	object.get(c, array.concat(["resources"], path), null) == null
	msg := sprintf("container %q has no resources.%s", [c.name, concat(".", path)])
}

warn contains {"msg": msg, "container": c.name} if {
	some c in k8s.containers
	not c.name in ephemeral
	not c.resources.limits.cpu
	msg := sprintf("container %q has no CPU limit", [c.name])
}

# Ephemeral debug containers cannot declare resources.
ephemeral := {c.name | some c in object.get(k8s.pod_spec, "ephemeralContainers", [])}
