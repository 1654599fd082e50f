package availability.secret_refs_test

import data.availability.secret_refs
import data.lib.fixtures

# fixtures.deployment (orders-dev) reads DATABASE_URL from order-connections.
external_secret := {
	"apiVersion": "external-secrets.io/v1",
	"kind": "ExternalSecret",
	"metadata": {"name": "order-connections", "namespace": "orders-dev"},
	"spec": {
		"secretStoreRef": {"kind": "ClusterSecretStore", "name": "bloody-sweet-dev"},
		"target": {
			"name": "order-connections",
			"template": {"engineVersion": "v2", "data": {"DATABASE_URL": "postgres://{{ .db_host }}/orders"}},
		},
		"data": [{"secretKey": "db_host", "remoteRef": {"key": "bloody-sweet/dev/order/connections", "property": "db_host"}}],
	},
}

test_secret_produced_by_external_secret_allowed if {
	count(secret_refs.deny) == 0 with input as fixtures.combine([fixtures.deployment, external_secret])
}

test_missing_secret_denied if {
	some f in secret_refs.deny with input as fixtures.combine([fixtures.deployment])
	f.resource == {"kind": "Deployment", "namespace": "orders-dev", "name": "order"}
	f.path == "doc-0.yaml"
	f.msg == `Deployment order reads Secret "order-connections" (container order env DATABASE_URL) but no ExternalSecret or Secret in namespace "orders-dev" produces it`
}

test_typo_in_secret_name_denied if {
	typo := json.patch(fixtures.deployment, [{"op": "replace", "path": "/spec/template/spec/containers/0/env/1/valueFrom/secretKeyRef/name", "value": "order-conections"}])
	count(secret_refs.deny) == 1 with input as fixtures.combine([typo, external_secret])
}

test_external_secret_in_other_namespace_does_not_count if {
	other := json.patch(external_secret, [{"op": "replace", "path": "/metadata/namespace", "value": "orders-staging"}])
	count(secret_refs.deny) == 1 with input as fixtures.combine([fixtures.deployment, other])
}

test_target_defaults_to_external_secret_name if {
	untargeted := json.remove(external_secret, ["spec/target/name"])
	count(secret_refs.deny) == 0 with input as fixtures.combine([fixtures.deployment, untargeted])

	renamed := json.patch(untargeted, [{"op": "replace", "path": "/metadata/name", "value": "order-db"}])
	count(secret_refs.deny) == 1 with input as fixtures.combine([fixtures.deployment, renamed])
}

test_target_name_wins_over_external_secret_name if {
	es := json.patch(external_secret, [
		{"op": "replace", "path": "/metadata/name", "value": "order-connections"},
		{"op": "replace", "path": "/spec/target/name", "value": "order-db"},
	])
	count(secret_refs.deny) == 1 with input as fixtures.combine([fixtures.deployment, es])
}

test_rendered_secret_counts if {
	secret := {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "order-connections", "namespace": "orders-dev"}, "stringData": {"DATABASE_URL": "x"}}
	count(secret_refs.deny) == 0 with input as fixtures.combine([fixtures.deployment, secret])

	other_key := json.patch(secret, [{"op": "replace", "path": "/stringData", "value": {"REDIS_URL": "x"}}])
	count(secret_refs.deny) == 1 with input as fixtures.combine([fixtures.deployment, other_key])
}

test_key_not_in_template_denied if {
	typo := json.patch(fixtures.deployment, [{"op": "replace", "path": "/spec/template/spec/containers/0/env/1/valueFrom/secretKeyRef/key", "value": "DATABASE_URI"}])
	some f in secret_refs.deny with input as fixtures.combine([typo, external_secret])
	f.msg == `Deployment order reads key "DATABASE_URI" of Secret "order-connections" (container order env DATABASE_URL) but its producer only writes ["DATABASE_URL"]`
}

test_keys_from_data_without_template if {
	es := json.remove(external_secret, ["spec/target/template"])
	count(secret_refs.deny) == 1 with input as fixtures.combine([fixtures.deployment, es])

	named := json.patch(es, [{"op": "replace", "path": "/spec/data/0/secretKey", "value": "DATABASE_URL"}])
	count(secret_refs.deny) == 0 with input as fixtures.combine([fixtures.deployment, named])
}

test_unknowable_keys_not_checked if {
	# Merge keeps the fetched keys next to the template's; dataFrom brings
	# keys the provider names: neither can be told from the manifest.
	merge := json.patch(external_secret, [
		{"op": "add", "path": "/spec/target/template/mergePolicy", "value": "Merge"},
		{"op": "replace", "path": "/spec/target/template/data", "value": {"OTHER": "x"}},
	])
	count(secret_refs.deny) == 0 with input as fixtures.combine([fixtures.deployment, merge])

	from := json.patch(json.remove(external_secret, ["spec/target/template"]), [{"op": "add", "path": "/spec/dataFrom", "value": [{"extract": {"key": "bloody-sweet/dev/order/env"}}]}])
	count(secret_refs.deny) == 0 with input as fixtures.combine([fixtures.deployment, from])
}

test_optional_reference_exempt if {
	optional := json.patch(fixtures.deployment, [{"op": "add", "path": "/spec/template/spec/containers/0/env/1/valueFrom/secretKeyRef/optional", "value": true}])
	count(secret_refs.deny) == 0 with input as fixtures.combine([optional])
}

test_env_from_volume_and_projected_refs_denied if {
	obj := json.patch(fixtures.deployment, [
		{"op": "add", "path": "/spec/template/spec/containers/0/envFrom", "value": [{"secretRef": {"name": "order-env"}}]},
		{"op": "add", "path": "/spec/template/spec/volumes/-", "value": {"name": "tls", "secret": {"secretName": "order-tls"}}},
		{"op": "add", "path": "/spec/template/spec/volumes/-", "value": {"name": "bundle", "projected": {"sources": [{"secret": {"name": "order-bundle"}}, {"configMap": {"name": "order-config"}}]}}},
	])
	msgs := {f.msg | some f in secret_refs.deny} with input as fixtures.combine([obj, external_secret])
	msgs == {
		`Deployment order reads Secret "order-env" (container order envFrom) but no ExternalSecret or Secret in namespace "orders-dev" produces it`,
		`Deployment order reads Secret "order-tls" (volume tls) but no ExternalSecret or Secret in namespace "orders-dev" produces it`,
		`Deployment order reads Secret "order-bundle" (volume bundle) but no ExternalSecret or Secret in namespace "orders-dev" produces it`,
	}
}

test_init_container_refs_checked if {
	init := json.patch(fixtures.deployment, [{"op": "add", "path": "/spec/template/spec/initContainers", "value": [{"name": "migrate", "env": [{"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": "order-migrations", "key": "database-url"}}}]}]}])
	some f in secret_refs.deny with input as fixtures.combine([init, external_secret])
	contains(f.msg, `"order-migrations" (container migrate env DATABASE_URL)`)
}

test_cronjob_pod_template_checked if {
	cron := {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"metadata": {"name": "report", "namespace": "orders-dev"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": fixtures.pod_spec}}}},
	}
	count(secret_refs.deny) == 1 with input as fixtures.combine([cron])
	count(secret_refs.deny) == 0 with input as fixtures.combine([cron, external_secret])
}

test_single_document_input_ignored if {
	count(secret_refs.deny) == 0 with input as fixtures.deployment
}

test_conftest_multi_document_entry if {
	count(secret_refs.deny) == 1 with input as [{"path": "m.yaml", "contents": [fixtures.deployment]}]
	count(secret_refs.deny) == 0 with input as [{"path": "m.yaml", "contents": [fixtures.deployment, external_secret]}]
}
