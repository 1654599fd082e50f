package terraform.eks_endpoint_test

import data.lib.fixtures
import data.terraform.eks_endpoint

eks(vpc) := {"type": "aws_eks_cluster", "name": "this", "module": "module.eks", "values": {"name": "bloody-sweet-prod", "vpc_config": [vpc]}}

test_private_endpoint_allowed if {
	p := fixtures.plan([eks({"endpoint_private_access": true, "endpoint_public_access": false})])
	count(eks_endpoint.deny) == 0 with input as p
}

test_restricted_public_endpoint_allowed if {
	p := fixtures.plan([eks({"endpoint_private_access": true, "endpoint_public_access": true, "public_access_cidrs": ["203.0.113.0/24"]})])
	count(eks_endpoint.deny) == 0 with input as p
}

test_open_endpoint_denied if {
	p := fixtures.plan([eks({"endpoint_public_access": true, "public_access_cidrs": ["0.0.0.0/0"]})])
	count(eks_endpoint.deny) == 1 with input as p
}

test_default_cidrs_denied if {
	p := fixtures.plan([eks({"endpoint_private_access": true})])
	some f in eks_endpoint.deny with input as p
	contains(f.msg, "defaults to 0.0.0.0/0")
}
