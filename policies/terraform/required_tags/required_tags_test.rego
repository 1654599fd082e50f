package terraform.required_tags_test

import data.lib.fixtures
import data.terraform.required_tags

test_default_tags_allowed if {
	p := fixtures.plan([{"type": "aws_s3_bucket", "name": "logs", "values": {"bucket": "bloody-sweet-prod-logs", "tags": null}, "unknown": {"tags_all": true}}])
	count(required_tags.deny) == 0 with input as p
}

test_tags_all_known_allowed if {
	p := json.patch(fixtures.plan([{"type": "aws_sqs_queue", "name": "q", "values": {"tags": {"owner": "x"}, "tags_all": {"environment": "dev", "owner": "x", "cost-center": "cc-1"}}}]), [{"op": "remove", "path": "/configuration/provider_config"}])
	count(required_tags.deny) == 0 with input as p
}

test_missing_tags_denied if {
	p := json.patch(fixtures.plan([{"type": "aws_s3_bucket", "name": "logs", "values": {"tags": {"environment": "prod"}}, "unknown": {"tags_all": true}}]), [{"op": "remove", "path": "/configuration/provider_config"}])
	required_tags.deny == {{"msg": "missing required tags: owner, cost-center", "resource": {"kind": "aws_s3_bucket", "name": "aws_s3_bucket.logs"}}} with input as p
}

test_default_tags_from_variable if {
	p := json.patch(fixtures.plan([{"type": "aws_s3_bucket", "name": "logs", "values": {"tags": null}, "unknown": {"tags_all": true}}]), [
		{"op": "replace", "path": "/configuration/provider_config/aws/expressions/default_tags/0/tags", "value": {"references": ["var.tags"]}},
		{"op": "add", "path": "/variables", "value": {"tags": {"value": {"environment": "dev", "owner": "platform-team", "cost-center": "cc-1"}}}},
	])
	count(required_tags.deny) == 0 with input as p
}

test_untaggable_resource_ignored if {
	p := json.patch(fixtures.plan([{"type": "aws_s3_bucket_versioning", "name": "state", "values": {"bucket": "x"}}]), [{"op": "remove", "path": "/configuration/provider_config"}])
	count(required_tags.deny) == 0 with input as p
}
