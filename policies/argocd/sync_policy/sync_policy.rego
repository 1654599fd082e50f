# METADATA
# title: Applications must use their environment's sync policy
# description: >-
#   Each environment requires a sync policy (policies/data/platform.json, sync_policy): dev and staging
#   sync automatically with prune and self-heal; prod syncs automatically and self-heals but never
#   prunes, so deleting anything in prod takes a person who read the diff.
# custom:
#   severity: medium
#   kinds: [Application]
#   remediation: >-
#     Set spec.syncPolicy.automated with the prune and selfHeal values the environment requires (render it
#     from the environment's sync settings in the CUE model).
package argocd.sync_policy

import data.lib.argocd

required := data.platform.sync_policy[argocd.environment_of(input)] if input.kind == "Application"

automated := object.get(input, ["spec", "syncPolicy", "automated"], null)

deny contains "the environment requires automated sync; spec.syncPolicy.automated is missing" if {
	required.automated == true
	automated == null
}

deny contains "the environment requires manual sync; remove spec.syncPolicy.automated" if {
	required.automated == false
	automated != null
}

deny contains msg if {
	required.automated == true
	automated != null
	some field in ["prune", "selfHeal"]
	got := object.get(automated, field, false)
	got != required[field]
	msg := sprintf("syncPolicy.automated.%s is %v, the environment requires %v", [field, got, required[field]])
}
