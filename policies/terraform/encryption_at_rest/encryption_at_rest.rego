# METADATA
# title: Data stores must be encrypted at rest
# description: >-
#   RDS instances and Aurora clusters, DocumentDB clusters and ElastiCache replication groups are
#   created with storage encryption on (it cannot be turned on later without a rebuild). MSK always
#   encrypts at rest, so it needs no check here.
# custom:
#   severity: high
#   remediation: >-
#     Set storage_encrypted = true (aws_db_instance, aws_rds_cluster, aws_docdb_cluster) or
#     at_rest_encryption_enabled = true (aws_elasticache_replication_group), with a customer-managed KMS
#     key where the module offers one.
package terraform.encryption_at_rest

import data.lib.terraform as tf

flags := {
	"aws_db_instance": "storage_encrypted",
	"aws_rds_cluster": "storage_encrypted",
	"aws_docdb_cluster": "storage_encrypted",
	"aws_elasticache_replication_group": "at_rest_encryption_enabled",
}

deny contains tf.finding(r, msg) if {
	some type, attr in flags
	some r in tf.of_type(type)
	not enabled(object.get(r.values, attr, false))
	msg := sprintf("%s is not true: data is stored unencrypted", [attr])
}

enabled(true)

enabled("true")
