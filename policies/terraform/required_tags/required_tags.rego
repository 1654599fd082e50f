# METADATA
# title: AWS resources must carry the required tags
# description: >-
#   Every taggable AWS resource carries environment, owner and cost-center (docs/CONTRACTS.md), counting
#   the provider's default_tags: tags_all when the plan knows it, otherwise the provider's default_tags
#   (a constant or a variable) merged with the resource's own tags.
# custom:
#   severity: low
#   remediation: >-
#     Set the tags in the aws provider's default_tags block (environment, owner, cost-center), or on the
#     resource.
package terraform.required_tags

import data.lib.terraform as tf

deny contains tf.finding(r, msg) if {
	some r in tf.resources
	startswith(r.type, "aws_")
	tf.taggable(r)
	tags := tf.effective_tags(r)
	missing := [t | some t in data.platform.required_tags; not tags[t]]
	count(missing) > 0
	msg := sprintf("missing required tags: %s", [concat(", ", missing)])
}
