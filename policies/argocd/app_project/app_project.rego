# METADATA
# title: Applications must stay in their environment's project and namespace
# description: >-
#   An Argo CD Application of environment <env> (label bloody-sweet.io/environment, or the
#   environments/<env> or apps/<env> path it deploys) belongs to AppProject bloody-sweet-<env>, deploys
#   from the platform repository and only that environment's folder, and targets namespace orders-<env>
#   (the app-of-apps, which deploys apps/<env>, targets the Argo CD namespace).
# custom:
#   severity: high
#   kinds: [Application]
#   remediation: >-
#     Set spec.project to bloody-sweet-<env>, spec.destination.namespace to orders-<env> (argocd for the
#     app-of-apps), and source repoURL/path to the platform repository's environments/<env>/<service>
#     folder. Render it from the CUE model rather than editing it.
package argocd.app_project

import data.lib.argocd

platform := data.platform

env := argocd.environment_of(input) if input.kind == "Application"

deny contains "cannot tell the Application's environment: label it bloody-sweet.io/environment=<env>" if {
	input.kind == "Application"
	not env
}

deny contains msg if {
	env
	not env in platform.environments
	msg := sprintf("environment %q is not one of %v", [env, platform.environments])
}

deny contains msg if {
	want := concat("", [platform.project_prefix, env])
	input.spec.project != want
	msg := sprintf("project is %q, want %q for environment %s", [input.spec.project, want, env])
}

deny contains msg if {
	want := destination_namespace
	input.spec.destination.namespace != want
	msg := sprintf("destination namespace is %q, want %q", [input.spec.destination.namespace, want])
}

deny contains msg if {
	some field in ["server", "name", "namespace"]
	contains(object.get(input.spec.destination, field, ""), "*")
	msg := sprintf("destination %s is a wildcard", [field])
}

deny contains msg if {
	env
	some source in argocd.sources(input)
	source.repoURL != platform.gitops_repo
	msg := sprintf("source repoURL %s is not the platform repository %s", [source.repoURL, platform.gitops_repo])
}

deny contains msg if {
	some source in argocd.sources(input)
	other := argocd.path_environment(source.path)
	other != env
	msg := sprintf("a %s Application deploys %s, which belongs to %s", [env, source.path, other])
}

destination_namespace := platform.argocd_namespace if argocd.is_app_of_apps(input)

destination_namespace := concat("", [platform.namespace_prefix, env]) if not argocd.is_app_of_apps(input)
