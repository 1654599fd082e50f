# METADATA
# title: Applications must stay in their environment's project and namespace
# description: >-
#   An Argo CD Application of environment <env> (label bloody-sweet.io/environment, or the
#   environments/<env> or apps/<env> path it deploys) belongs to AppProject bloody-sweet-<env>, deploys
#   from the platform repository and only that environment's folder, and targets namespace orders-<env>
#   (the app-of-apps, which deploys apps/<env>, targets the Argo CD namespace). A cluster add-on's
#   Application (label bloody-sweet.io/addon=<addon>) belongs to AppProject bloody-sweet-<env>-addons,
#   deploys the chart repository and targets the namespace policies/data/platform.json lists for that
#   add-on (addons.charts); the add-on "platform" deploys environments/<env>/_platform from the platform
#   repository.
# custom:
#   severity: high
#   kinds: [Application]
#   remediation: >-
#     Set spec.project to bloody-sweet-<env>, spec.destination.namespace to orders-<env> (argocd for the
#     app-of-apps), and source repoURL/path to the platform repository's environments/<env>/<service>
#     folder; for an add-on, bloody-sweet-<env>-addons and the add-on's namespace and chart repository
#     from policies/data/platform.json. Render it from the CUE model rather than editing it.
package argocd.app_project

import data.lib.argocd

platform := data.platform

addons := platform.addons

env := argocd.environment_of(input) if input.kind == "Application"

# addon is the add-on an Application installs, if any.
addon := input.metadata.labels["bloody-sweet.io/addon"] if input.kind == "Application"

# addon_target is what policies/data/platform.json allows the add-on:
# namespace and repoURL (and path, for the platform one).
addon_target := addons.charts[addon] if addon != "platform"

addon_target := {
	"namespace": addons.platform.namespace,
	"repoURL": platform.gitops_repo,
	"path": concat("/", ["environments", env, addons.platform.path]),
} if addon == "platform"

deny contains msg if {
	addon
	not addon_target
	msg := sprintf("add-on %q is not one of %v (policies/data/platform.json, addons.charts)", [addon, object.keys(addons.charts)])
}

deny contains msg if {
	addon_target.path
	some source in argocd.sources(input)
	trim_prefix(source.path, "./") != addon_target.path
	msg := sprintf("the platform add-on deploys %s, want %s", [source.path, addon_target.path])
}

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
	want := project
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
	not addon
	some source in argocd.sources(input)
	source.repoURL != platform.gitops_repo
	msg := sprintf("source repoURL %s is not the platform repository %s", [source.repoURL, platform.gitops_repo])
}

deny contains msg if {
	env
	some source in argocd.sources(input)
	source.repoURL != addon_target.repoURL
	msg := sprintf("add-on %s deploys from %s, want its chart repository %s", [addon, source.repoURL, addon_target.repoURL])
}

deny contains msg if {
	some source in argocd.sources(input)
	other := argocd.path_environment(source.path)
	other != env
	msg := sprintf("a %s Application deploys %s, which belongs to %s", [env, source.path, other])
}

project := concat("", [platform.project_prefix, env, addons.project_suffix]) if addon

project := concat("", [platform.project_prefix, env]) if not addon

destination_namespace := platform.argocd_namespace if argocd.is_app_of_apps(input)

destination_namespace := addon_target.namespace if {
	not argocd.is_app_of_apps(input)
	addon
}

destination_namespace := concat("", [platform.namespace_prefix, env]) if {
	not argocd.is_app_of_apps(input)
	not addon
}
