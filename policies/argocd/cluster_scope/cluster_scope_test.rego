package argocd.cluster_scope_test

import data.argocd.cluster_scope
import data.lib.fixtures

addons_project := {
	"apiVersion": "argoproj.io/v1alpha1",
	"kind": "AppProject",
	"metadata": {"name": "bloody-sweet-prod-addons", "namespace": "argocd"},
	"spec": {
		"sourceRepos": ["https://charts.external-secrets.io"],
		"destinations": [{"server": "https://kubernetes.default.svc", "namespace": "external-secrets"}],
		"clusterResourceWhitelist": [
			{"group": "apiextensions.k8s.io", "kind": "CustomResourceDefinition"},
			{"group": "", "kind": "Namespace"},
			{"group": "external-secrets.io", "kind": "ClusterSecretStore"},
		],
	},
}

test_services_project_without_cluster_kinds_allowed if {
	count(cluster_scope.deny) == 0 with input as fixtures.app_project
}

test_addons_project_allowed if {
	count(cluster_scope.deny) == 0 with input as addons_project
}

test_services_project_with_cluster_kind_denied if {
	p := json.patch(fixtures.app_project, [{"op": "replace", "path": "/spec/clusterResourceWhitelist", "value": [{"group": "rbac.authorization.k8s.io", "kind": "ClusterRole"}]}])
	cluster_scope.deny == {"project bloody-sweet-prod allows the cluster-scoped kind rbac.authorization.k8s.io/ClusterRole; only an add-ons project (bloody-sweet-<env>-addons) may"} with input as p
}

test_addons_project_of_unknown_environment_denied if {
	p := json.patch(addons_project, [{"op": "replace", "path": "/metadata/name", "value": "bloody-sweet-qa-addons"}])
	count(cluster_scope.deny) == 3 with input as p
}

test_addons_project_extra_kind_denied if {
	p := json.patch(addons_project, [{"op": "add", "path": "/spec/clusterResourceWhitelist/-", "value": {"group": "", "kind": "PersistentVolume"}}])
	cluster_scope.deny == {"add-ons project bloody-sweet-prod-addons allows the cluster-scoped kind PersistentVolume, which no add-on needs (policies/data/platform.json, addons.cluster_kinds)"} with input as p
}

test_addons_project_named_entry_denied if {
	# a name pattern is not in the reviewed list either
	p := json.patch(addons_project, [{"op": "replace", "path": "/spec/clusterResourceWhitelist/1", "value": {"group": "", "kind": "Namespace", "name": "*"}}])
	count(cluster_scope.deny) == 1 with input as p
}

test_other_kinds_ignored if {
	count(cluster_scope.deny) == 0 with input as fixtures.application
}
