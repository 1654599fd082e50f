package terraform.db_not_public_test

import data.lib.fixtures
import data.terraform.db_not_public

test_private_allowed if {
	p := fixtures.plan([{"type": "aws_db_instance", "name": "orders", "values": {"publicly_accessible": false}}])
	count(db_not_public.deny) == 0 with input as p
}

test_public_instance_denied if {
	p := fixtures.plan([{"type": "aws_db_instance", "name": "orders", "values": {"publicly_accessible": true}}])
	count(db_not_public.deny) == 1 with input as p
}

test_public_cluster_instance_denied if {
	p := fixtures.plan([{"type": "aws_rds_cluster_instance", "name": "writer", "module": "module.aurora", "values": {"publicly_accessible": true}}])
	some f in db_not_public.deny with input as p
	f.resource.name == "module.aurora.aws_rds_cluster_instance.writer"
}

test_not_a_plan_ignored if {
	count(db_not_public.deny) == 0 with input as {"kind": "ConfigMap", "publicly_accessible": true}
}
