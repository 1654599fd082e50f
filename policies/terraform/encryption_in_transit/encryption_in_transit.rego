# METADATA
# title: Data stores must require encryption in transit
# description: >-
#   Clients reach MSK over TLS only (client_broker TLS, in-cluster encryption on); ElastiCache
#   replication groups have transit encryption on; Postgres parameter groups set rds.force_ssl = 1 and
#   Postgres instances and clusters do not run on the default parameter group (where force_ssl is off
#   before Postgres 16); DocumentDB parameter groups keep tls enabled.
# custom:
#   severity: high
#   remediation: >-
#     MSK: encryption_info { encryption_in_transit { client_broker = "TLS", in_cluster = true } }.
#     ElastiCache: transit_encryption_enabled = true. RDS/Aurora Postgres: a parameter group with
#     parameter { name = "rds.force_ssl", value = "1" } attached to the instance or cluster. DocumentDB:
#     do not set the tls parameter to disabled.
package terraform.encryption_in_transit

import data.lib.terraform as tf

deny contains tf.finding(r, msg) if {
	some r in tf.of_type("aws_msk_cluster")
	transit := tf.block(tf.block(r.values, "encryption_info"), "encryption_in_transit")
	transit.client_broker in {"PLAINTEXT", "TLS_PLAINTEXT"}
	msg := sprintf("client_broker is %s: clients may connect without TLS", [transit.client_broker])
}

deny contains tf.finding(r, "in_cluster encryption is off: brokers replicate in plaintext") if {
	some r in tf.of_type("aws_msk_cluster")
	transit := tf.block(tf.block(r.values, "encryption_info"), "encryption_in_transit")
	transit.in_cluster == false
}

deny contains tf.finding(r, "transit_encryption_enabled is not true: Redis traffic is plaintext") if {
	some r in tf.of_type("aws_elasticache_replication_group")
	not r.values.transit_encryption_enabled == true
}

deny contains tf.finding(r, msg) if {
	some type in {"aws_db_parameter_group", "aws_rds_cluster_parameter_group"}
	some r in tf.of_type(type)
	postgres_family(r.values.family)
	not forces_ssl(r.values)
	msg := sprintf("Postgres parameter group (family %s) does not set rds.force_ssl = 1", [r.values.family])
}

deny contains tf.finding(r, msg) if {
	some [type, attr] in [["aws_db_instance", "parameter_group_name"], ["aws_rds_cluster", "db_cluster_parameter_group_name"]]
	some r in tf.of_type(type)
	contains(r.values.engine, "postgres")
	tf.known(r, attr)
	default_group(object.get(r.values, attr, null))
	msg := sprintf("Postgres %s uses the default parameter group, where rds.force_ssl is off: attach one that sets it to 1", [r.values.engine])
}

deny contains tf.finding(r, "DocumentDB parameter group sets tls to disabled") if {
	some r in tf.of_type("aws_docdb_cluster_parameter_group")
	some p in object.get(r.values, "parameter", [])
	p.name == "tls"
	p.value == "disabled"
}

postgres_family(family) if startswith(family, "postgres")

postgres_family(family) if startswith(family, "aurora-postgresql")

forces_ssl(values) if {
	some p in object.get(values, "parameter", [])
	p.name == "rds.force_ssl"
	p.value in {"1", 1, "true"}
}

default_group(null)

default_group("")

default_group(name) if startswith(name, "default.")
