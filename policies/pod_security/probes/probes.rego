# METADATA
# title: Long-running containers must have liveness and readiness probes
# description: >-
#   Every app container of a long-running workload (Deployment, StatefulSet, DaemonSet, ReplicaSet,
#   Rollout, Pod) has a readiness probe, so traffic and canary steps wait until it can serve, and a
#   liveness probe, so a wedged process is restarted. Jobs and CronJobs run to completion and are
#   exempt; init containers cannot have probes.
# custom:
#   severity: medium
#   kinds: [Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod, Rollout]
#   remediation: >-
#     Add readinessProbe (httpGet /readyz on port http) and livenessProbe (httpGet /healthz on port http)
#     to the container.
package pod_security.probes

import data.lib.kubernetes as k8s

batch_kinds := {"Job", "CronJob"}

deny contains {"msg": msg, "container": c.name} if {
	not input.kind in batch_kinds
	some c in k8s.app_containers
	some probe in ["livenessProbe", "readinessProbe"]
	not c[probe]
	msg := sprintf("container %q has no %s", [c.name, probe])
}
