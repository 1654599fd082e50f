package terraform.encryption_at_rest_test

import data.lib.fixtures
import data.terraform.encryption_at_rest

test_encrypted_allowed if {
	p := fixtures.plan([
		{"type": "aws_db_instance", "name": "orders", "values": {"storage_encrypted": true}},
		{"type": "aws_elasticache_replication_group", "name": "redis", "values": {"at_rest_encryption_enabled": true}},
		{"type": "aws_docdb_cluster", "name": "docs", "values": {"storage_encrypted": true}},
	])
	count(encryption_at_rest.deny) == 0 with input as p
}

test_unencrypted_rds_denied if {
	p := fixtures.plan([{"type": "aws_db_instance", "name": "orders", "module": "module.rds", "values": {"storage_encrypted": false}}])
	encryption_at_rest.deny == {{
		"msg": "storage_encrypted is not true: data is stored unencrypted",
		"resource": {"kind": "aws_db_instance", "name": "module.rds.aws_db_instance.orders"},
	}} with input as p
}

test_missing_flag_denied if {
	p := fixtures.plan([{"type": "aws_rds_cluster", "name": "aurora", "values": {"engine": "aurora-postgresql"}}])
	count(encryption_at_rest.deny) == 1 with input as p
}

test_redis_at_rest_off_denied if {
	p := fixtures.plan([{"type": "aws_elasticache_replication_group", "name": "redis", "values": {"at_rest_encryption_enabled": false}}])
	count(encryption_at_rest.deny) == 1 with input as p
}

test_deleted_resource_ignored if {
	p := json.patch(fixtures.plan([{"type": "aws_db_instance", "name": "old", "values": {"storage_encrypted": false}}]), [{"op": "replace", "path": "/resource_changes/0/change/actions", "value": ["delete"]}])
	count(encryption_at_rest.deny) == 0 with input as p
}
