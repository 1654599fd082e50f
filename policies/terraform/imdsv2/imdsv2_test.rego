package terraform.imdsv2_test

import data.lib.fixtures
import data.terraform.imdsv2

launch_template(options) := {"type": "aws_launch_template", "name": "nodes", "module": "module.eks", "values": {"name_prefix": "bloody-sweet-prod-", "metadata_options": options}}

test_required_tokens_allowed if {
	p := fixtures.plan([launch_template([{"http_endpoint": "enabled", "http_tokens": "required", "http_put_response_hop_limit": 2}])])
	count(imdsv2.deny) == 0 with input as p
}

test_optional_tokens_denied if {
	p := fixtures.plan([launch_template([{"http_endpoint": "enabled", "http_tokens": "optional"}])])
	imdsv2.deny == {{"msg": "metadata_options.http_tokens is optional: IMDSv1 is allowed", "resource": {"kind": "aws_launch_template", "name": "module.eks.aws_launch_template.nodes"}}} with input as p
}

test_missing_options_denied if {
	p := fixtures.plan([{"type": "aws_instance", "name": "bastion", "values": {"instance_type": "t3.micro"}}])
	count(imdsv2.deny) == 1 with input as p
}

test_disabled_endpoint_allowed if {
	p := fixtures.plan([{"type": "aws_instance", "name": "bastion", "values": {"metadata_options": [{"http_endpoint": "disabled"}]}}])
	count(imdsv2.deny) == 0 with input as p
}
