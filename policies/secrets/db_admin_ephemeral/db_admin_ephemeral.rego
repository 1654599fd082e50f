# METADATA
# title: The master credentials Secret exists only while the migrate hook runs
# description: >-
#   The ExternalSecret that produces a <service>-db-admin Secret (the RDS master user's database-url) is an
#   Argo CD PreSync hook deleted when the sync succeeds (hook-delete-policy with HookSucceeded, Argo CD
#   deletes such hooks once the whole sync operation has succeeded, after the migrate Job) and owns its
#   Secret (target.creationPolicy Owner), so Kubernetes deletes the Secret with it. Between syncs the
#   master password is then in no Secret of the services' namespace; after a failed sync it stays for the
#   retry, and BeforeHookCreation replaces it on the next sync.
# custom:
#   severity: high
#   kinds: [ExternalSecret]
#   remediation: >-
#     Render the ExternalSecret from the CUE model (#DBAdminSecret in cue/templates/externalsecret.cue):
#     annotations argocd.argoproj.io/hook=PreSync and
#     argocd.argoproj.io/hook-delete-policy=BeforeHookCreation,HookSucceeded, target.creationPolicy Owner.
package secrets.db_admin_ephemeral

import data.lib.kubernetes as k8s

suffix := data.platform.secrets.db_admin_suffix

target := object.get(input.spec, "target", {})

# admin: an ExternalSecret that writes a *-db-admin Secret.
admin if {
	input.kind == "ExternalSecret"
	endswith(object.get(target, "name", k8s.name_of(input)), suffix)
}

annotation_set(name) := {trim_space(v) | some v in split(object.get(input.metadata, ["annotations", name], ""), ",")}

deny contains msg if {
	admin
	annotation_set("argocd.argoproj.io/hook") != {"PreSync"}
	msg := sprintf("ExternalSecret %s writes the master credentials into %q but is not a PreSync hook: the Secret would live in the namespace between syncs", [k8s.name_of(input), object.get(target, "name", k8s.name_of(input))])
}

deny contains msg if {
	admin
	not "HookSucceeded" in annotation_set("argocd.argoproj.io/hook-delete-policy")
	msg := sprintf("ExternalSecret %s (master credentials) has no HookSucceeded delete policy: Argo CD would keep it, and its Secret, after the sync", [k8s.name_of(input)])
}

deny contains msg if {
	admin
	object.get(target, "creationPolicy", "Owner") != "Owner"
	msg := sprintf("ExternalSecret %s (master credentials) has target.creationPolicy %s: only Owner deletes the Secret with the ExternalSecret", [k8s.name_of(input), target.creationPolicy])
}
