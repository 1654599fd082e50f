package argocd.app_project_test

import data.argocd.app_project
import data.lib.fixtures

test_service_app_allowed if {
	count(app_project.deny) == 0 with input as fixtures.application
}

test_root_app_allowed if {
	count(app_project.deny) == 0 with input as fixtures.root_application
}

test_wrong_project_denied if {
	app := json.patch(fixtures.application, [{"op": "replace", "path": "/spec/project", "value": "default"}])
	app_project.deny == {`project is "default", want "bloody-sweet-prod" for environment prod`} with input as app
}

test_wrong_namespace_denied if {
	app := json.patch(fixtures.application, [{"op": "replace", "path": "/spec/destination/namespace", "value": "orders-staging"}])
	count(app_project.deny) == 1 with input as app
}

test_cross_environment_path_denied if {
	app := json.patch(fixtures.application, [{"op": "replace", "path": "/spec/source/path", "value": "environments/dev/order"}])
	app_project.deny == {"a prod Application deploys environments/dev/order, which belongs to dev"} with input as app
}

test_foreign_repo_denied if {
	app := json.patch(fixtures.application, [{"op": "replace", "path": "/spec/source/repoURL", "value": "https://github.com/someone/fork.git"}])
	count(app_project.deny) == 1 with input as app
}

test_wildcard_destination_denied if {
	app := json.patch(fixtures.application, [{"op": "replace", "path": "/spec/destination/server", "value": "*"}])
	count(app_project.deny) == 1 with input as app
}

test_environment_from_path if {
	app := json.patch(fixtures.application, [{"op": "remove", "path": "/metadata/labels"}])
	count(app_project.deny) == 0 with input as app
}

test_unknown_environment_denied if {
	app := json.patch(fixtures.application, [{"op": "replace", "path": "/metadata/labels/bloody-sweet.io~1environment", "value": "qa"}])
	some msg in app_project.deny with input as app
	contains(msg, `environment "qa" is not one of`)
}

addon_app := {
	"apiVersion": "argoproj.io/v1alpha1",
	"kind": "Application",
	"metadata": {"name": "prod-addon-kube-prometheus-stack", "namespace": "argocd", "labels": {"bloody-sweet.io/environment": "prod", "bloody-sweet.io/addon": "kube-prometheus-stack"}},
	"spec": {
		"project": "bloody-sweet-prod-addons",
		"source": {"repoURL": "https://prometheus-community.github.io/helm-charts", "chart": "kube-prometheus-stack", "targetRevision": "77.6.0"},
		"destination": {"server": "https://kubernetes.default.svc", "namespace": "monitoring"},
	},
}

platform_app := {
	"apiVersion": "argoproj.io/v1alpha1",
	"kind": "Application",
	"metadata": {"name": "prod-platform", "namespace": "argocd", "labels": {"bloody-sweet.io/environment": "prod", "bloody-sweet.io/addon": "platform"}},
	"spec": {
		"project": "bloody-sweet-prod-addons",
		"source": {"repoURL": "https://github.com/bloody-sweet/platform.git", "targetRevision": "main", "path": "environments/prod/_platform"},
		"destination": {"server": "https://kubernetes.default.svc", "namespace": "monitoring"},
	},
}

test_addon_app_allowed if {
	count(app_project.deny) == 0 with input as addon_app
	count(app_project.deny) == 0 with input as platform_app
}

test_addon_in_services_project_denied if {
	app := json.patch(addon_app, [{"op": "replace", "path": "/spec/project", "value": "bloody-sweet-prod"}])
	app_project.deny == {`project is "bloody-sweet-prod", want "bloody-sweet-prod-addons" for environment prod`} with input as app
}

test_addon_in_another_namespace_denied if {
	app := json.patch(addon_app, [{"op": "replace", "path": "/spec/destination/namespace", "value": "orders-prod"}])
	app_project.deny == {`destination namespace is "orders-prod", want "monitoring"`} with input as app
}

test_addon_from_another_repo_denied if {
	app := json.patch(addon_app, [{"op": "replace", "path": "/spec/source/repoURL", "value": "https://charts.example.com"}])
	app_project.deny == {"add-on kube-prometheus-stack deploys from https://charts.example.com, want its chart repository https://prometheus-community.github.io/helm-charts"} with input as app
}

test_unknown_addon_denied if {
	app := json.patch(addon_app, [{"op": "replace", "path": "/metadata/labels/bloody-sweet.io~1addon", "value": "cert-manager"}])
	some msg in app_project.deny with input as app
	startswith(msg, `add-on "cert-manager" is not one of`)
}

test_platform_addon_other_folder_denied if {
	app := json.patch(platform_app, [{"op": "replace", "path": "/spec/source/path", "value": "environments/prod/order"}])
	app_project.deny == {"the platform add-on deploys environments/prod/order, want environments/prod/_platform"} with input as app
}

test_platform_addon_other_environment_denied if {
	app := json.patch(platform_app, [{"op": "replace", "path": "/spec/source/path", "value": "environments/dev/_platform"}])
	count(app_project.deny) == 2 with input as app
}
