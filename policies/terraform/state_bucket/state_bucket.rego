# METADATA
# title: The Terraform state bucket must be versioned and encrypted
# description: >-
#   The S3 bucket that holds Terraform state (its name contains tfstate, tf-state or terraform-state)
#   has versioning enabled, so a corrupted or deleted state can be restored, and server-side encryption
#   (SSE-S3 or KMS), since state holds secrets. The aws_s3_bucket_versioning and
#   aws_s3_bucket_server_side_encryption_configuration resources are matched to the bucket by name or by
#   reference.
# custom:
#   severity: high
#   remediation: >-
#     Add aws_s3_bucket_versioning with versioning_configuration { status = "Enabled" } and
#     aws_s3_bucket_server_side_encryption_configuration with an apply_server_side_encryption_by_default
#     rule (aws:kms or AES256) for the state bucket.
package terraform.state_bucket

import data.lib.terraform as tf

state_buckets contains r if {
	some r in tf.of_type("aws_s3_bucket")
	names := [name | some field in ["bucket", "bucket_prefix"]; name := r.values[field]; is_string(name)]
	regex.match(`(?i)(tfstate|tf-state|terraform-state)`, concat(" ", names))
}

deny contains tf.finding(bucket, "versioning is not enabled: a bad write or delete of the state cannot be undone") if {
	some bucket in state_buckets
	not versioned(bucket)
}

deny contains tf.finding(bucket, "no server-side encryption configuration: state files hold secrets") if {
	some bucket in state_buckets
	not encrypted(bucket)
}

# belongs_to(r, bucket) matches a bucket's companion resource by the bucket's
# name when it is known, else by the configuration reference.
belongs_to(r, bucket) if {
	is_string(bucket.values.bucket)
	r.values.bucket == bucket.values.bucket
}

belongs_to(r, bucket) if tf.refers_to(r, "bucket", bucket)

versioned(bucket) if {
	some v in tf.of_type("aws_s3_bucket_versioning")
	belongs_to(v, bucket)
	tf.block(v.values, "versioning_configuration").status == "Enabled"
}

encrypted(bucket) if {
	some sse in tf.of_type("aws_s3_bucket_server_side_encryption_configuration")
	belongs_to(sse, bucket)
	some rule in sse.values.rule
	tf.block(rule, "apply_server_side_encryption_by_default").sse_algorithm in {"aws:kms", "aws:kms:dsse", "AES256"}
}
