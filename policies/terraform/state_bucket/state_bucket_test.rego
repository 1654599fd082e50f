package terraform.state_bucket_test

import data.lib.fixtures
import data.terraform.state_bucket

bucket := {"type": "aws_s3_bucket", "name": "state", "values": {"bucket": "bloody-sweet-tfstate-123456789012"}}

versioning(status) := {"type": "aws_s3_bucket_versioning", "name": "state", "values": {"bucket": "bloody-sweet-tfstate-123456789012", "versioning_configuration": [{"status": status}]}}

sse := {"type": "aws_s3_bucket_server_side_encryption_configuration", "name": "state", "values": {"bucket": "bloody-sweet-tfstate-123456789012", "rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms"}], "bucket_key_enabled": true}]}}

test_versioned_encrypted_allowed if {
	count(state_bucket.deny) == 0 with input as fixtures.plan([bucket, versioning("Enabled"), sse])
}

test_suspended_versioning_denied if {
	some f in state_bucket.deny with input as fixtures.plan([bucket, versioning("Suspended"), sse])
	contains(f.msg, "versioning")
}

test_no_companions_denied_twice if {
	count(state_bucket.deny) == 2 with input as fixtures.plan([bucket])
}

test_matched_by_reference if {
	v := json.patch(versioning("Enabled"), [{"op": "remove", "path": "/values/bucket"}, {"op": "add", "path": "/expressions", "value": {"bucket": {"references": ["aws_s3_bucket.state.id", "aws_s3_bucket.state"]}}}])
	count(state_bucket.deny) == 0 with input as fixtures.plan([bucket, v, sse])
}

test_other_buckets_ignored if {
	logs := json.patch(bucket, [{"op": "replace", "path": "/values/bucket", "value": "bloody-sweet-logs"}])
	count(state_bucket.deny) == 0 with input as fixtures.plan([logs])
}
