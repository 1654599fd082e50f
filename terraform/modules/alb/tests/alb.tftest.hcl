mock_provider "aws" {
  mock_data "aws_ec2_managed_prefix_list" {
    defaults = {
      id = "pl-4fa04526"
    }
  }
}

variables {
  name     = "bloody-sweet-test"
  vpc_id   = "vpc-0123456789abcdef0"
  vpc_cidr = "10.20.0.0/16"
  tags = {
    environment   = "dev"
    owner         = "platform"
    "cost-center" = "cc-1234"
  }
}

run "only_the_vpc_link_reaches_the_alb" {
  command = apply

  assert {
    condition     = aws_vpc_security_group_ingress_rule.alb_from_vpc_link.referenced_security_group_id == aws_security_group.vpc_link.id && aws_vpc_security_group_ingress_rule.alb_from_vpc_link.cidr_ipv4 == null
    error_message = "the ALB must admit the VPC link's security group, and no CIDR"
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.alb_from_vpc_link.from_port == 443 && aws_vpc_security_group_ingress_rule.alb_from_vpc_link.to_port == 443
    error_message = "the ALB admits HTTPS only"
  }

  assert {
    condition     = aws_vpc_security_group_egress_rule.vpc_link_to_alb.referenced_security_group_id == aws_security_group.alb.id
    error_message = "the VPC link may only talk to the ALB"
  }

  assert {
    condition     = aws_vpc_security_group_egress_rule.alb_to_pods.from_port == 8080 && aws_vpc_security_group_egress_rule.alb_to_pods.cidr_ipv4 == "10.20.0.0/16"
    error_message = "the ALB reaches the pods on 8080 inside the VPC only"
  }
}

run "name_tag_is_the_ingress_annotation" {
  command = plan

  assert {
    condition     = aws_security_group.alb.tags["Name"] == "bloody-sweet-test-alb" && output.security_group_name == "bloody-sweet-test-alb"
    error_message = "the controller resolves alb.ingress.kubernetes.io/security-groups by the Name tag: it must be <name>-alb"
  }
}

run "rejects_open_vpc_cidr" {
  command = plan

  variables {
    vpc_cidr = "0.0.0.0/0"
  }

  expect_failures = [var.vpc_cidr]
}

run "cloudfront_vpc_origins_reach_the_alb_on_https_only" {
  command = plan

  assert {
    condition     = data.aws_ec2_managed_prefix_list.cloudfront.name == "com.amazonaws.global.cloudfront.origin-facing"
    error_message = "the CloudFront source is AWS's managed origin-facing prefix list"
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.alb_from_cloudfront.prefix_list_id == "pl-4fa04526" && aws_vpc_security_group_ingress_rule.alb_from_cloudfront.cidr_ipv4 == null && aws_vpc_security_group_ingress_rule.alb_from_cloudfront.referenced_security_group_id == null
    error_message = "the CloudFront rule admits the prefix list and nothing else"
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.alb_from_cloudfront.from_port == 443 && aws_vpc_security_group_ingress_rule.alb_from_cloudfront.to_port == 443 && aws_vpc_security_group_ingress_rule.alb_from_cloudfront.ip_protocol == "tcp"
    error_message = "CloudFront reaches the ALB on HTTPS only"
  }
}
