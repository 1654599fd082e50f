package terraform.encryption_in_transit_test

import data.lib.fixtures
import data.terraform.encryption_in_transit

msk(transit) := {"type": "aws_msk_cluster", "name": "kafka", "values": {"encryption_info": [{"encryption_at_rest_kms_key_arn": "arn:aws:kms:eu-west-1:123456789012:key/1", "encryption_in_transit": [transit]}]}}

pg_group(params) := {"type": "aws_db_parameter_group", "name": "pg", "values": {"family": "postgres15", "parameter": params}}

test_tls_everywhere_allowed if {
	p := fixtures.plan([
		msk({"client_broker": "TLS", "in_cluster": true}),
		{"type": "aws_elasticache_replication_group", "name": "redis", "values": {"transit_encryption_enabled": true}},
		pg_group([{"name": "rds.force_ssl", "value": "1", "apply_method": "immediate"}]),
		{"type": "aws_db_instance", "name": "orders", "values": {"engine": "postgres"}, "unknown": {"parameter_group_name": true}},
	])
	count(encryption_in_transit.deny) == 0 with input as p
}

test_msk_plaintext_denied if {
	p := fixtures.plan([msk({"client_broker": "TLS_PLAINTEXT", "in_cluster": false})])
	count(encryption_in_transit.deny) == 2 with input as p
}

test_redis_plaintext_denied if {
	p := fixtures.plan([{"type": "aws_elasticache_replication_group", "name": "redis", "values": {"transit_encryption_enabled": false}}])
	count(encryption_in_transit.deny) == 1 with input as p
}

test_parameter_group_without_force_ssl_denied if {
	p := fixtures.plan([pg_group([{"name": "log_min_duration_statement", "value": "500"}])])
	some f in encryption_in_transit.deny with input as p
	contains(f.msg, "rds.force_ssl")
}

test_default_parameter_group_denied if {
	p := fixtures.plan([{"type": "aws_db_instance", "name": "orders", "values": {"engine": "postgres", "parameter_group_name": "default.postgres15"}}])
	count(encryption_in_transit.deny) == 1 with input as p
}

test_docdb_tls_disabled_denied if {
	p := fixtures.plan([{"type": "aws_docdb_cluster_parameter_group", "name": "docs", "values": {"family": "docdb5.0", "parameter": [{"name": "tls", "value": "disabled"}]}}])
	count(encryption_in_transit.deny) == 1 with input as p
}
