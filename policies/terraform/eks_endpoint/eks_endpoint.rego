# METADATA
# title: The EKS API endpoint must not be open to the internet
# description: >-
#   An EKS cluster either keeps its API endpoint private or limits public access to named CIDRs;
#   endpoint_public_access defaults to true and public_access_cidrs to 0.0.0.0/0, so leaving them out
#   opens the API to the world.
# custom:
#   severity: critical
#   remediation: >-
#     Set vpc_config { endpoint_private_access = true, endpoint_public_access = false } or list the
#     office/VPN CIDRs in public_access_cidrs.
package terraform.eks_endpoint

import data.lib.terraform as tf

deny contains tf.finding(r, msg) if {
	some r in tf.of_type("aws_eks_cluster")
	vpc := tf.block(r.values, "vpc_config")
	not vpc.endpoint_public_access == false
	cidrs := object.get(vpc, "public_access_cidrs", [])
	problem := open_to_world(cidrs)
	msg := sprintf("public API endpoint %s", [problem])
}

open_to_world(cidrs) := "is open to 0.0.0.0/0" if "0.0.0.0/0" in cidrs

open_to_world(cidrs) := "has no public_access_cidrs, so it defaults to 0.0.0.0/0" if count(cidrs) == 0

open_to_world(null) := "has no public_access_cidrs, so it defaults to 0.0.0.0/0"
