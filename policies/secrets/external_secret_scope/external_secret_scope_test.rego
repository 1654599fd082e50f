package secrets.external_secret_scope_test

import data.secrets.external_secret_scope as scope

# As the chart renders the migrate hook's for order in prod.
es := {
	"apiVersion": "external-secrets.io/v1",
	"kind": "ExternalSecret",
	"metadata": {"name": "order-db-admin", "namespace": "orders-prod"},
	"spec": {
		"secretStoreRef": {"kind": "ClusterSecretStore", "name": "bloody-sweet-prod"},
		"target": {"name": "order-db-admin"},
		"data": [{"secretKey": "db_host", "remoteRef": {"key": "bloody-sweet/prod/order/connections", "property": "db_host"}}],
		"dataFrom": [{
			"find": {"path": "rds!db-", "tags": {"aws:rds:primaryDBInstanceArn": "arn:aws:rds:eu-west-1:123456789012:db:bloody-sweet-prod"}},
			"rewrite": [{"regexp": {"source": "^.*$", "target": "db_master"}}],
		}],
	},
}

test_rendered_external_secret_allowed if {
	count(scope.deny) == 0 with input as es
}

test_other_environments_store_denied if {
	obj := json.patch(es, [{"op": "replace", "path": "/spec/secretStoreRef/name", "value": "bloody-sweet-dev"}])
	scope.deny == {`reads through ClusterSecretStore "bloody-sweet-dev"; environment prod reads through ClusterSecretStore "bloody-sweet-prod"`} with input as obj
}

test_namespaced_store_denied if {
	obj := json.patch(es, [{"op": "replace", "path": "/spec/secretStoreRef", "value": {"name": "bloody-sweet-prod"}}])
	count(scope.deny) == 1 with input as obj
}

test_other_environments_key_denied if {
	obj := json.patch(es, [{"op": "replace", "path": "/spec/data/0/remoteRef/key", "value": "bloody-sweet/dev/order/connections"}])
	scope.deny == {`reads secret "bloody-sweet/dev/order/connections", outside environment prod's bloody-sweet/prod/`} with input as obj
}

test_prefix_must_end_at_the_environment if {
	obj := json.patch(es, [{"op": "replace", "path": "/spec/data/0/remoteRef/key", "value": "bloody-sweet/prod-copy/order/connections"}])
	count(scope.deny) == 1 with input as obj
}

test_extract_key_checked if {
	obj := json.patch(es, [{"op": "add", "path": "/spec/dataFrom/-", "value": {"extract": {"key": "bloody-sweet/staging/order/connections"}}}])
	count(scope.deny) == 1 with input as obj
}

test_other_environments_database_denied if {
	obj := json.patch(es, [{"op": "replace", "path": "/spec/dataFrom/0/find/tags/aws:rds:primaryDBInstanceArn", "value": "arn:aws:rds:eu-west-1:123456789012:db:bloody-sweet-dev"}])
	count(scope.deny) == 1 with input as obj
}

test_find_by_name_only_denied if {
	obj := json.patch(es, [{"op": "replace", "path": "/spec/dataFrom/0/find", "value": {"name": {"regexp": ".*"}}}])
	count(scope.deny) == 1 with input as obj
}

test_find_under_environment_path_allowed if {
	obj := json.patch(es, [{"op": "replace", "path": "/spec/dataFrom/0/find", "value": {"path": "bloody-sweet/prod/order/"}}])
	count(scope.deny) == 0 with input as obj
}

test_environment_from_label if {
	obj := json.patch(es, [
		{"op": "replace", "path": "/metadata/namespace", "value": "payments"},
		{"op": "add", "path": "/metadata/labels", "value": {"bloody-sweet.io/environment": "prod"}},
	])
	count(scope.deny) == 0 with input as obj
}

test_unknown_environment_denied if {
	obj := json.patch(es, [{"op": "replace", "path": "/metadata/namespace", "value": "payments"}])
	scope.deny == {"cannot tell the ExternalSecret's environment: deploy it to orders-<env> or label it bloody-sweet.io/environment=<env>"} with input as obj
}

test_master_secret_in_connections_denied if {
	obj := json.patch(es, [
		{"op": "replace", "path": "/metadata/name", "value": "order-connections"},
		{"op": "replace", "path": "/spec/target/name", "value": "order-connections"},
	])
	scope.deny == {`finds the RDS master secret but produces Secret "order-connections": only a <service>-db-admin Secret, read by the migrate hook alone, may hold the master credentials`} with input as obj
}

test_master_secret_target_defaults_to_name if {
	untargeted := json.remove(es, ["spec/target/name"])
	count(scope.deny) == 0 with input as untargeted
	renamed := json.patch(untargeted, [{"op": "replace", "path": "/metadata/name", "value": "order-db"}])
	count(scope.deny) == 1 with input as renamed
}

test_connections_without_master_allowed if {
	obj := json.remove(json.patch(es, [{"op": "replace", "path": "/spec/target/name", "value": "order-connections"}]), ["spec/dataFrom"])
	count(scope.deny) == 0 with input as obj
}

test_other_kinds_ignored if {
	count(scope.deny) == 0 with input as {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x", "namespace": "orders-prod"}}
}
