package secrets.db_admin_readers_test

import data.lib.fixtures
import data.secrets.db_admin_readers as readers

# The migrate hook Job as the chart renders it (fields the rule reads).
job := {
	"apiVersion": "batch/v1",
	"kind": "Job",
	"metadata": {
		"name": "order-migrate",
		"namespace": "orders-prod",
		"labels": {"app.kubernetes.io/name": "order"},
		"annotations": {
			"argocd.argoproj.io/hook": "PreSync",
			"argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation,HookSucceeded",
		},
	},
	"spec": {"template": {"spec": {
		"restartPolicy": "Never",
		"containers": [{
			"name": "migrate",
			"args": ["migrate"],
			"env": [{"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": "order-db-admin", "key": "database-url"}}}],
		}],
	}}},
}

test_presync_migrate_job_allowed if {
	count(readers.deny) == 0 with input as job
}

test_rollout_reading_db_admin_denied if {
	ro := json.patch(fixtures.rollout, [{"op": "replace", "path": "/spec/template/spec/containers/0/env/1/valueFrom/secretKeyRef/name", "value": "order-db-admin"}])
	readers.deny == {`Rollout order reads the master credentials Secret "order-db-admin" (container order env DATABASE_URL): only the service's PreSync migrate Job may`} with input as ro
}

test_rollout_reading_connections_allowed if {
	count(readers.deny) == 0 with input as fixtures.rollout
}

test_job_without_hook_denied if {
	plain := json.remove(job, ["metadata/annotations/argocd.argoproj.io~1hook"])
	count(readers.deny) == 1 with input as plain
}

test_postsync_or_extra_phase_denied if {
	post := json.patch(job, [{"op": "replace", "path": "/metadata/annotations/argocd.argoproj.io~1hook", "value": "PostSync"}])
	count(readers.deny) == 1 with input as post
	both := json.patch(job, [{"op": "replace", "path": "/metadata/annotations/argocd.argoproj.io~1hook", "value": "PreSync, Sync"}])
	count(readers.deny) == 1 with input as both
}

test_other_services_db_admin_denied if {
	other := json.patch(job, [{"op": "replace", "path": "/spec/template/spec/containers/0/env/0/valueFrom/secretKeyRef/name", "value": "payment-db-admin"}])
	readers.deny == {`Job order-migrate of service "order" reads "payment-db-admin" (container migrate env DATABASE_URL): a migrate Job reads only its own service's order-db-admin`} with input as other
}

test_envfrom_counts if {
	envfrom := json.patch(fixtures.rollout, [{"op": "add", "path": "/spec/template/spec/containers/0/envFrom", "value": [{"secretRef": {"name": "order-db-admin", "optional": true}}]}])
	count(readers.deny) == 1 with input as envfrom
}

test_volumes_count if {
	vol := json.patch(fixtures.deployment, [{"op": "add", "path": "/spec/template/spec/volumes", "value": [{"name": "creds", "secret": {"secretName": "order-db-admin"}}]}])
	count(readers.deny) == 1 with input as vol
	projected := json.patch(fixtures.deployment, [{"op": "add", "path": "/spec/template/spec/volumes", "value": [{"name": "creds", "projected": {"sources": [{"secret": {"name": "order-db-admin"}}]}}]}])
	count(readers.deny) == 1 with input as projected
}

test_init_container_counts if {
	init := json.patch(fixtures.deployment, [{"op": "add", "path": "/spec/template/spec/initContainers", "value": [{"name": "peek", "env": [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "store-db-admin", "key": "database-url"}}}]}]}])
	count(readers.deny) == 1 with input as init
}
