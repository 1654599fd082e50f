package pod_security.env_secrets_test

import data.lib.fixtures
import data.pod_security.env_secrets

test_secret_ref_allowed if {
	count(env_secrets.deny) == 0 with input as fixtures.deployment
}

test_literal_password_denied if {
	obj := json.patch(fixtures.deployment, [{"op": "add", "path": "/spec/template/spec/containers/0/env/-", "value": {"name": "REDIS_PASSWORD", "value": "hunter2"}}])
	count(env_secrets.deny) == 1 with input as obj
}

test_database_url_with_password_denied if {
	obj := json.patch(fixtures.deployment, [{"op": "replace", "path": "/spec/template/spec/containers/0/env/1", "value": {"name": "DATABASE_URL", "value": "postgres://order:s3cret@db.internal:5432/orders"}}])
	some f in env_secrets.deny with input as obj
	contains(f.msg, "URL with a password")
}

test_aws_key_denied if {
	obj := json.patch(fixtures.deployment, [{"op": "add", "path": "/spec/template/spec/containers/0/env/-", "value": {"name": "AWS_ID", "value": "AKIAIOSFODNN7EXAMPLE"}}])
	count(env_secrets.deny) == 1 with input as obj
}

test_url_without_password_allowed if {
	obj := json.patch(fixtures.deployment, [{"op": "add", "path": "/spec/template/spec/containers/0/env/-", "value": {"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "http://otel-collector:4318"}}])
	count(env_secrets.deny) == 0 with input as obj
}

test_empty_secret_name_value_allowed if {
	obj := json.patch(fixtures.deployment, [{"op": "add", "path": "/spec/template/spec/containers/0/env/-", "value": {"name": "API_TOKEN_FILE_HINT", "value": ""}}])
	count(env_secrets.deny) == 0 with input as obj
}

config_map := {
	"apiVersion": "v1",
	"kind": "ConfigMap",
	"metadata": {"name": "order-config", "namespace": "orders-prod"},
	"data": {"KAFKA_BROKERS": "kafka.prod.bloody-sweet.internal:9098", "LOG_LEVEL": "info"},
}

test_plain_config_map_allowed if {
	count(env_secrets.deny) == 0 with input as config_map
}

test_config_map_password_denied if {
	cm := json.patch(config_map, [{"op": "add", "path": "/data/REDIS_PASSWORD", "value": "hunter2"}])
	env_secrets.deny == {"ConfigMap key REDIS_PASSWORD holds a literal value; secrets belong in a Secret"} with input as cm
}

test_config_map_url_with_password_denied if {
	cm := json.patch(config_map, [{"op": "add", "path": "/data/DATABASE_URL", "value": "postgres://order:s3cret@db:5432/orders"}])
	count(env_secrets.deny) == 1 with input as cm
}
