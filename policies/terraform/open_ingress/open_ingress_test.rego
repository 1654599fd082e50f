package terraform.open_ingress_test

import data.lib.fixtures
import data.terraform.open_ingress

alb_sg := {"type": "aws_security_group", "name": "alb", "module": "module.alb", "values": {"name": "bloody-sweet-prod-alb", "tags": {"exposure": "public-alb"}, "ingress": [{"from_port": 443, "to_port": 443, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": ["::/0"]}]}}

test_https_to_public_alb_allowed if {
	count(open_ingress.deny) == 0 with input as fixtures.plan([alb_sg])
}

test_ssh_from_world_denied if {
	sg := {"type": "aws_security_group", "name": "bastion", "values": {"ingress": [{"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]}]}}
	open_ingress.deny == {{"msg": "ingress from 0.0.0.0/0 on ports 22-22", "resource": {"kind": "aws_security_group", "name": "aws_security_group.bastion"}}} with input as fixtures.plan([sg])
}

test_https_to_other_group_denied if {
	sg := json.patch(alb_sg, [{"op": "replace", "path": "/values/tags", "value": {}}])
	count(open_ingress.deny) == 2 with input as fixtures.plan([sg])
}

test_http_on_public_alb_denied if {
	sg := json.patch(alb_sg, [{"op": "add", "path": "/values/ingress/-", "value": {"from_port": 80, "to_port": 80, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]}}])
	count(open_ingress.deny) == 1 with input as fixtures.plan([sg])
}

test_rule_resource_denied if {
	rule := {"type": "aws_vpc_security_group_ingress_rule", "name": "pg", "values": {"cidr_ipv4": "0.0.0.0/0", "from_port": 5432, "to_port": 5432, "ip_protocol": "tcp"}}
	count(open_ingress.deny) == 1 with input as fixtures.plan([rule])
}

test_rule_on_alb_group_via_lb_reference_allowed if {
	sg := {"type": "aws_security_group", "name": "alb", "values": {"name": "alb"}}
	lb := {"type": "aws_lb", "name": "public", "values": {"internal": false, "load_balancer_type": "application"}, "expressions": {"security_groups": {"references": ["aws_security_group.alb.id", "aws_security_group.alb"]}}}
	rule := {"type": "aws_security_group_rule", "name": "https", "values": {"type": "ingress", "from_port": 443, "to_port": 443, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]}, "expressions": {"security_group_id": {"references": ["aws_security_group.alb.id", "aws_security_group.alb"]}}}
	count(open_ingress.deny) == 0 with input as fixtures.plan([sg, lb, rule])
}

test_internal_lb_does_not_exempt if {
	sg := {"type": "aws_security_group", "name": "alb", "values": {"name": "alb"}}
	lb := {"type": "aws_lb", "name": "internal", "values": {"internal": true}, "expressions": {"security_groups": {"references": ["aws_security_group.alb.id"]}}}
	rule := {"type": "aws_security_group_rule", "name": "https", "values": {"type": "ingress", "from_port": 443, "to_port": 443, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]}, "expressions": {"security_group_id": {"references": ["aws_security_group.alb.id"]}}}
	count(open_ingress.deny) == 1 with input as fixtures.plan([sg, lb, rule])
}
