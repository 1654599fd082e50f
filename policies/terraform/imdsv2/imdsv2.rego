# METADATA
# title: Instances must require IMDSv2
# description: >-
#   EC2 instances and launch templates (EKS node groups use them) set metadata_options.http_tokens =
#   required, so the instance metadata service answers only session-token (IMDSv2) requests and an SSRF
#   cannot read the node role's credentials.
# custom:
#   severity: high
#   remediation: >-
#     Add metadata_options { http_endpoint = "enabled", http_tokens = "required",
#     http_put_response_hop_limit = 1 } (hop limit 2 if pods must reach IMDS).
package terraform.imdsv2

import data.lib.terraform as tf

types := {"aws_instance", "aws_launch_template"}

deny contains tf.finding(r, msg) if {
	some type in types
	some r in tf.of_type(type)
	options := tf.block(r.values, "metadata_options")
	not imdsv2(options)
	msg := sprintf("metadata_options.http_tokens is %v: IMDSv1 is allowed", [object.get(options, "http_tokens", "unset")])
}

imdsv2(options) if options.http_tokens == "required"

imdsv2(options) if options.http_endpoint == "disabled"
