package argocd.project_wildcards_test

import data.argocd.project_wildcards
import data.lib.fixtures

test_exact_project_allowed if {
	count(project_wildcards.deny) == 0 with input as fixtures.app_project
}

test_wildcard_repo_denied if {
	p := json.patch(fixtures.app_project, [{"op": "replace", "path": "/spec/sourceRepos", "value": ["*"]}])
	project_wildcards.deny == {`sourceRepos allows "*"`} with input as p
}

test_repo_glob_denied if {
	p := json.patch(fixtures.app_project, [{"op": "add", "path": "/spec/sourceRepos/-", "value": "https://github.com/bloody-sweet/*"}])
	count(project_wildcards.deny) == 1 with input as p
}

test_wildcard_namespace_denied if {
	p := json.patch(fixtures.app_project, [{"op": "add", "path": "/spec/destinations/-", "value": {"server": "https://kubernetes.default.svc", "namespace": "*"}}])
	count(project_wildcards.deny) == 1 with input as p
}

test_cluster_wildcard_denied if {
	p := json.patch(fixtures.app_project, [{"op": "replace", "path": "/spec/clusterResourceWhitelist", "value": [{"group": "*", "kind": "*"}]}])
	count(project_wildcards.deny) == 1 with input as p
}

test_cluster_group_wildcard_denied if {
	p := json.patch(fixtures.app_project, [{"op": "replace", "path": "/spec/clusterResourceWhitelist", "value": [{"group": "*", "kind": "ClusterRole"}]}])
	project_wildcards.deny == {`clusterResourceWhitelist allows kind "ClusterRole" of every group matching "*"`} with input as p
}

test_source_namespace_wildcard_denied if {
	p := json.patch(fixtures.app_project, [{"op": "add", "path": "/spec/sourceNamespaces", "value": ["argocd", "team-*"]}])
	project_wildcards.deny == {`sourceNamespaces allows "team-*": Applications from any such namespace could use the project`} with input as p
}

test_exact_source_namespace_allowed if {
	p := json.patch(fixtures.app_project, [{"op": "add", "path": "/spec/sourceNamespaces", "value": ["argocd"]}])
	count(project_wildcards.deny) == 0 with input as p
}
