# METADATA
# title: AppProjects must not use wildcards
# description: >-
#   An AppProject is the security boundary of an environment: a wildcard source repository lets any
#   repository deploy into it, a wildcard destination lets its Applications deploy to any cluster or
#   namespace, a wildcard cluster resource whitelist (kind or group) lets them create cluster-scoped
#   objects, and a wildcard source namespace lets Applications outside the Argo CD namespace use it.
# custom:
#   severity: critical
#   kinds: [AppProject]
#   remediation: >-
#     List the platform repository in spec.sourceRepos and the exact server and namespace pairs in
#     spec.destinations; whitelist only the kinds the environment needs.
package argocd.project_wildcards

deny contains msg if {
	input.kind == "AppProject"
	some repo in input.spec.sourceRepos
	contains(repo, "*")
	msg := sprintf("sourceRepos allows %q", [repo])
}

deny contains msg if {
	input.kind == "AppProject"
	some dest in input.spec.destinations
	some field in ["server", "name", "namespace"]
	contains(object.get(dest, field, ""), "*")
	msg := sprintf("destination %s %q is a wildcard", [field, dest[field]])
}

deny contains msg if {
	input.kind == "AppProject"
	some entry in object.get(input.spec, "clusterResourceWhitelist", [])
	entry.kind == "*"
	msg := sprintf("clusterResourceWhitelist allows every kind of group %q", [entry.group])
}

deny contains msg if {
	input.kind == "AppProject"
	some entry in object.get(input.spec, "clusterResourceWhitelist", [])
	entry.kind != "*"
	contains(entry.group, "*")
	msg := sprintf("clusterResourceWhitelist allows kind %q of every group matching %q", [entry.kind, entry.group])
}

deny contains msg if {
	input.kind == "AppProject"
	some ns in object.get(input.spec, "sourceNamespaces", [])
	contains(ns, "*")
	msg := sprintf("sourceNamespaces allows %q: Applications from any such namespace could use the project", [ns])
}
