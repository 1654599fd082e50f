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
