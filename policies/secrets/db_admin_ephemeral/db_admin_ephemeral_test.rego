package secrets.db_admin_ephemeral_test

import data.secrets.db_admin_ephemeral as ephemeral

# The migrate hook's ExternalSecret as the chart renders it (fields the rule reads).
admin := {
	"apiVersion": "external-secrets.io/v1",
	"kind": "ExternalSecret",
	"metadata": {
		"name": "order-db-admin",
		"namespace": "orders-prod",
		"annotations": {
			"argocd.argoproj.io/hook": "PreSync",
			"argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation,HookSucceeded",
			"argocd.argoproj.io/sync-wave": "-1",
		},
	},
	"spec": {"target": {"name": "order-db-admin", "creationPolicy": "Owner"}},
}

test_presync_hook_deleted_on_success_allowed if {
	count(ephemeral.deny) == 0 with input as admin
}

test_not_a_hook_denied if {
	es := json.remove(admin, ["metadata/annotations/argocd.argoproj.io~1hook", "metadata/annotations/argocd.argoproj.io~1hook-delete-policy"])
	ephemeral.deny == {
		`ExternalSecret order-db-admin writes the master credentials into "order-db-admin" but is not a PreSync hook: the Secret would live in the namespace between syncs`,
		`ExternalSecret order-db-admin (master credentials) has no HookSucceeded delete policy: Argo CD would keep it, and its Secret, after the sync`,
	} with input as es
}

test_kept_after_success_denied if {
	es := json.patch(admin, [{"op": "replace", "path": "/metadata/annotations/argocd.argoproj.io~1hook-delete-policy", "value": "BeforeHookCreation"}])
	ephemeral.deny == {`ExternalSecret order-db-admin (master credentials) has no HookSucceeded delete policy: Argo CD would keep it, and its Secret, after the sync`} with input as es
}

test_orphan_secret_denied if {
	es := json.patch(admin, [{"op": "replace", "path": "/spec/target/creationPolicy", "value": "Orphan"}])
	ephemeral.deny == {`ExternalSecret order-db-admin (master credentials) has target.creationPolicy Orphan: only Owner deletes the Secret with the ExternalSecret`} with input as es
}

test_target_name_defaults_to_metadata_name if {
	es := json.remove(admin, ["spec/target/name", "metadata/annotations/argocd.argoproj.io~1hook"])
	count(ephemeral.deny) == 1 with input as es
}

test_connections_secret_not_concerned if {
	es := json.patch(admin, [
		{"op": "replace", "path": "/metadata/name", "value": "order-connections"},
		{"op": "replace", "path": "/spec/target/name", "value": "order-connections"},
		{"op": "remove", "path": "/metadata/annotations/argocd.argoproj.io~1hook"},
	])
	count(ephemeral.deny) == 0 with input as es
}
