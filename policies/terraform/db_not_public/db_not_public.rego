# METADATA
# title: Databases must not be publicly accessible
# description: >-
#   RDS instances and Aurora cluster instances are never publicly_accessible: the order data stays in
#   private subnets, reached from the cluster only.
# custom:
#   severity: critical
#   remediation: >-
#     Set publicly_accessible = false and place the database in private subnets; reach it from EKS through
#     its security group.
package terraform.db_not_public

import data.lib.terraform as tf

types := {"aws_db_instance", "aws_rds_cluster_instance"}

deny contains tf.finding(r, "publicly_accessible is true: the database gets a public address") if {
	some type in types
	some r in tf.of_type(type)
	r.values.publicly_accessible == true
}
