# METADATA
# title: Staging and prod run released images, by digest from the platform's ECR registry
# description: >-
#   In staging and prod every container image is referenced by digest (@sha256:...) in the platform's ECR
#   repositories, the form release.yml builds once, signs (cosign, keyless) and records in
#   cue/config/images.cue: a tag can be re-pushed or moved, a digest names exactly the image that was
#   built, signed and run in the environment before.
# custom:
#   severity: high
#   kinds: [Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod, Rollout]
#   remediation: >-
#     Move images into staging and prod with `platform promote` (it copies the digest the environment before
#     runs); a release writes dev's digest (release.yml). Do not edit a staging or prod tag by hand.
package delivery.release_digest

import data.lib.kubernetes as k8s

released_environments := {"staging", "prod"}

# repository[:tag]@sha256:<64 hex> after the registry prefix.
released_ref := `^[a-z0-9]+([._/-][a-z0-9]+)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?@sha256:[0-9a-f]{64}$`

deny contains {"msg": msg, "container": c.name} if {
	env := k8s.environment_of(input)
	env in released_environments
	some c in k8s.containers
	not released(c.image)
	msg := sprintf("container %q image %s in %s is not a digest from %s (want %s<repository>[:tag]@sha256:<64 hex>)", [c.name, c.image, env, data.platform.registry, data.platform.registry])
}

released(image) if {
	startswith(image, data.platform.registry)
	regex.match(released_ref, substring(image, count(data.platform.registry), -1))
}
