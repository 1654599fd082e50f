package lib.terraform_test

import data.lib.terraform as tf

nested_plan := {
	"format_version": "1.2",
	"resource_changes": [{
		"address": "module.app.module.db[0].aws_db_instance.this",
		"module_address": "module.app.module.db[0]",
		"mode": "managed",
		"type": "aws_db_instance",
		"name": "this",
		"change": {"actions": ["create"], "after": {"engine": "postgres"}},
	}],
	"configuration": {"root_module": {"module_calls": {"app": {"module": {"module_calls": {"db": {"module": {"resources": [{
		"address": "aws_db_instance.this",
		"mode": "managed",
		"type": "aws_db_instance",
		"name": "this",
		"expressions": {"parameter_group_name": {"references": ["aws_db_parameter_group.this.name", "aws_db_parameter_group.this"]}},
	}]}}}}}}}},
}

test_nested_module_keys if {
	[r.key | some r in tf.resources] == ["module.app.module.db.aws_db_instance.this"] with input as nested_plan
	object.keys(tf.config_resources) == {"module.app.module.db.aws_db_instance.this"} with input as nested_plan
}

test_references_are_made_absolute if {
	some r in tf.resources with input as nested_plan
	tf.references(r, "parameter_group_name") == [
		"module.app.module.db.aws_db_parameter_group.this.name",
		"module.app.module.db.aws_db_parameter_group.this",
	] with input as nested_plan
	tf.refers_to(r, "parameter_group_name", {"key": "module.app.module.db.aws_db_parameter_group.this"}) with input as nested_plan
	not tf.refers_to(r, "parameter_group_name", {"key": "module.app.module.db.aws_db_parameter_group.th"}) with input as nested_plan
}

test_missing_after_unknown_keeps_resource if {
	count(tf.resources) == 1 with input as nested_plan
}

test_not_a_plan if {
	not tf.is_plan with input as {"kind": "Deployment", "format_version": "1"}
	count(tf.resources) == 0 with input as {"apiVersion": "v1", "kind": "ConfigMap"}
}
