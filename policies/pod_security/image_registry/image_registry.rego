# METADATA
# title: Images must come from the platform's ECR registry
# description: >-
#   Only images from the platform's own ECR repositories (123456789012.dkr.ecr.eu-
#   west-1.amazonaws.com/bloody-sweet/...) run: they are scanned on push and their tags are immutable.
# custom:
#   severity: high
#   kinds: [Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod, Rollout]
#   remediation: >-
#     Push the image to the service's ECR repository and reference it from there.
package pod_security.image_registry

import data.lib.kubernetes as k8s

deny contains {"msg": msg, "container": c.name} if {
	some c in k8s.containers
	not startswith(c.image, data.platform.registry)
	msg := sprintf("container %q image %s is not from %s", [c.name, c.image, data.platform.registry])
}
