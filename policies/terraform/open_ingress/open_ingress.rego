# METADATA
# title: No ingress from the internet except HTTPS to the public ALB
# description: >-
#   Security groups do not accept traffic from 0.0.0.0/0 or ::/0 (inline ingress blocks,
#   aws_security_group_rule, aws_vpc_security_group_ingress_rule), with one exception: port 443 on the
#   public ALB's security group. The ALB's group is recognised by being attached to an internet-facing
#   aws_lb in the configuration, or by the tag exposure = public-alb.
# custom:
#   severity: critical
#   remediation: >-
#     Restrict the source to a security group or the VPC CIDR; for the public ALB allow only 443 (redirect
#     80 at CloudFront/ALB listener level instead of opening it), and tag its group exposure = public-alb
#     if it is not wired to the aws_lb in the same module.
package terraform.open_ingress

import data.lib.terraform as tf

# Inline ingress blocks of aws_security_group.
deny contains tf.finding(r, msg) if {
	some r in tf.of_type("aws_security_group")
	some rule in object.get(r.values, "ingress", [])
	some cidr in open_cidrs_of(rule)
	not https_to_public_alb(rule, r)
	msg := sprintf("ingress from %s on ports %v-%v", [cidr, rule.from_port, rule.to_port])
}

deny contains tf.finding(r, msg) if {
	some r in tf.of_type("aws_security_group_rule")
	r.values.type == "ingress"
	some cidr in open_cidrs_of(r.values)
	not allowed_rule(r)
	msg := sprintf("ingress from %s on ports %v-%v", [cidr, r.values.from_port, r.values.to_port])
}

deny contains tf.finding(r, msg) if {
	some r in tf.of_type("aws_vpc_security_group_ingress_rule")
	some cidr in {object.get(r.values, "cidr_ipv4", ""), object.get(r.values, "cidr_ipv6", "")}
	cidr in tf.open_cidrs
	not allowed_rule(r)
	msg := sprintf("ingress from %s on ports %v-%v", [cidr, object.get(r.values, "from_port", "all"), object.get(r.values, "to_port", "all")])
}

# allowed_rule(r) is true for an HTTPS rule on the public ALB's group.
allowed_rule(r) if {
	group := group_of(r, "security_group_id")
	https_to_public_alb(r.values, group)
}

open_cidrs_of(rule) := {cidr |
	some field in ["cidr_blocks", "ipv6_cidr_blocks"]
	some cidr in object.get(rule, field, [])
	cidr in tf.open_cidrs
}

https_to_public_alb(rule, group) if {
	rule.from_port == 443
	rule.to_port == 443
	object.get(rule, "protocol", "tcp") in {"tcp", "6"}
	public_alb_group(group)
}

# group_of(rule, attr) is the aws_security_group a rule attaches to, found
# through the configuration's references (the id is unknown at plan time).
group_of(rule, attr) := group if {
	some group in tf.of_type("aws_security_group")
	tf.refers_to(rule, attr, group)
}

public_alb_group(group) if tf.effective_tags(group).exposure == "public-alb"

public_alb_group(group) if {
	some lb in tf.of_type("aws_lb")
	not lb.values.internal == true
	object.get(lb.values, "load_balancer_type", "application") == "application"
	tf.refers_to(lb, "security_groups", group)
}
