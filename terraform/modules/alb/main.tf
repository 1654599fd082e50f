# The application load balancer itself belongs to the AWS Load Balancer Controller:
# it creates one internal ALB per Ingress group (bloody-sweet-<env>) and Argo Rollouts
# shifts canary weights on it. Terraform owns what the controller must not decide:
# the ALB's security group, attached by the Ingress annotation
# alb.ingress.kubernetes.io/security-groups (the controller resolves its Name tag),
# and the API Gateway VPC link's group; that group and CloudFront's VPC origins (the
# status streams, which bypass API Gateway) are the only sources it admits.

locals {
  alb_group_name      = "${var.name}-alb"
  vpc_link_group_name = "${var.name}-vpc-link"
}

resource "aws_security_group" "alb" {
  name        = local.alb_group_name
  description = "Internal ALB of ${var.name} (AWS Load Balancer Controller, Ingress group ${var.name})"
  vpc_id      = var.vpc_id
  # The controller matches the annotation against the Name tag, not the group name.
  tags = merge(var.tags, { Name = local.alb_group_name })
}

resource "aws_security_group" "vpc_link" {
  name        = local.vpc_link_group_name
  description = "API Gateway VPC link of ${var.name}"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = local.vpc_link_group_name })
}

resource "aws_vpc_security_group_ingress_rule" "alb_from_vpc_link" {
  security_group_id            = aws_security_group.alb.id
  description                  = "HTTPS from the API Gateway VPC link only"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.vpc_link.id
  tags                         = var.tags
}

# CloudFront's VPC origin (module waf-cdn-acm-route53: the SSE status streams) reaches
# the ALB from network interfaces CloudFront places in the VPC. AWS documents two
# sources for the origin's group: the group CloudFront-VPCOrigins-Service-SG, which
# CloudFront creates in the VPC only when the first VPC origin is created (a lookup
# would fail at the first plan, before the ALB and its VPC origin exist), or the
# managed prefix list com.amazonaws.global.cloudfront.origin-facing, which exists in
# every region. The prefix list it is: it names CloudFront only, nothing else in the
# VPC. Its entries count against the group's rule quota (about 55 of the default 60).
data "aws_ec2_managed_prefix_list" "cloudfront" {
  name = "com.amazonaws.global.cloudfront.origin-facing"
}

resource "aws_vpc_security_group_ingress_rule" "alb_from_cloudfront" {
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from CloudFront VPC origins (the SSE status streams)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = data.aws_ec2_managed_prefix_list.cloudfront.id
  tags              = var.tags
}

# The controller also attaches its shared backend group and opens the pods to it
# (manage-backend-security-group-rules); this rule keeps the ALB's own group usable
# on its own.
resource "aws_vpc_security_group_egress_rule" "alb_to_pods" {
  security_group_id = aws_security_group.alb.id
  description       = "to the pods (IP targets on the container port)"
  ip_protocol       = "tcp"
  from_port         = var.pod_port
  to_port           = var.pod_port
  cidr_ipv4         = var.vpc_cidr
  tags              = var.tags
}

resource "aws_vpc_security_group_egress_rule" "vpc_link_to_alb" {
  security_group_id            = aws_security_group.vpc_link.id
  description                  = "HTTPS to the internal ALB only"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.alb.id
  tags                         = var.tags
}
