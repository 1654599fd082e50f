# METADATA
# title: Argo CD helpers
# description: Which environment an Argo CD Application belongs to.
package lib.argocd

import data.lib.kubernetes as k8s

# sources lists the Application's sources, single or multiple.
sources(app) := [app.spec.source] if app.spec.source

sources(app) := app.spec.sources if not app.spec.source

# environment_of(app) is read from the bloody-sweet.io/environment label or,
# failing that, from what the Application deploys: environments/<env>/... or
# apps/<env> (the app-of-apps).
environment_of(app) := k8s.labels_of(app)["bloody-sweet.io/environment"]

environment_of(app) := env if {
	not k8s.labels_of(app)["bloody-sweet.io/environment"]
	envs := {path_environment(s.path) | some s in sources(app)}
	count(envs) == 1
	some env in envs
}

# path_environment(path) is <env> for environments/<env>/... and apps/<env>/...
path_environment(path) := parts[1] if {
	parts := split(trim_prefix(path, "./"), "/")
	parts[0] in {"environments", "apps"}
	count(parts) > 1
}

# is_app_of_apps(app) is true for an Application that deploys the apps/<env>
# folder, that is other Applications, into the Argo CD namespace.
is_app_of_apps(app) if {
	some s in sources(app)
	startswith(trim_prefix(s.path, "./"), "apps/")
}
