# METADATA
# title: Only the add-ons project may create cluster-scoped objects
# description: >-
#   Cluster-scoped objects (CRDs, ClusterRoles, webhooks, namespaces, the ClusterSecretStore) affect
#   every namespace of the cluster, so only the AppProject of an environment's cluster add-ons,
#   bloody-sweet-<env>-addons, may whitelist any, and only the kinds the add-ons need
#   (policies/data/platform.json, addons.cluster_kinds). Every other AppProject whitelists none, so its
#   Applications cannot create one however their manifests change.
# custom:
#   severity: critical
#   kinds: [AppProject]
#   remediation: >-
#     Leave clusterResourceWhitelist empty in every project but bloody-sweet-<env>-addons. A new add-on
#     that needs another cluster-scoped kind adds it to #addonClusterKinds in cue/templates/addons.cue
#     and to addons.cluster_kinds in policies/data/platform.json, for review.
package argocd.cluster_scope

platform := data.platform

# addons_project is true for bloody-sweet-<env>-addons of a known environment.
addons_project if {
	some env in platform.environments
	input.metadata.name == concat("", [platform.project_prefix, env, platform.addons.project_suffix])
}

whitelist := object.get(input, ["spec", "clusterResourceWhitelist"], [])

deny contains msg if {
	input.kind == "AppProject"
	not addons_project
	some entry in whitelist
	msg := sprintf("project %s allows the cluster-scoped kind %s; only an add-ons project (%s<env>%s) may", [input.metadata.name, group_kind(entry), platform.project_prefix, platform.addons.project_suffix])
}

deny contains msg if {
	input.kind == "AppProject"
	addons_project
	some entry in whitelist
	not allowed(entry)
	msg := sprintf("add-ons project %s allows the cluster-scoped kind %s, which no add-on needs (policies/data/platform.json, addons.cluster_kinds)", [input.metadata.name, group_kind(entry)])
}

allowed(entry) if {
	some k in platform.addons.cluster_kinds
	k.group == entry.group
	k.kind == entry.kind
	not entry.name
}

group_kind(entry) := entry.kind if entry.group == ""

group_kind(entry) := concat("/", [entry.group, entry.kind]) if entry.group != ""
