# METADATA
# title: Images must be pinned to a version tag or digest
# description: >-
#   An image without a tag, or tagged latest, changes under the same manifest: what runs is no longer
#   what was reviewed, and a rollback does not roll back.
# custom:
#   severity: high
#   kinds: [Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod, Rollout]
#   remediation: >-
#     Reference the image by an immutable version tag (the release version) or by digest (@sha256:...).
package pod_security.image_tag

import data.lib.kubernetes as k8s

deny contains {"msg": msg, "container": c.name} if {
	some c in k8s.containers
	problem := tag_problem(c.image)
	msg := sprintf("container %q image %s %s", [c.name, c.image, problem])
}

tag_problem(image) := "has no tag" if {
	not contains(image, "@")
	not regex.match(`:[^/:]+$`, image)
}

tag_problem(image) := "uses the latest tag" if {
	not contains(image, "@")
	endswith(image, ":latest")
}
