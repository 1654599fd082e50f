# The HTTP API of the edge stage: custom domain, the edge Lambda authorizer on every route, and a
# VPC link to the internal ALB the AWS Load Balancer Controller created for the
# Ingress group bloody-sweet-example (looked up by the controller's tags: apply after
# the first Argo CD sync).
terraform {
  required_version = ">= 1.9"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }
}

provider "aws" {
  region = "eu-west-1"
}

module "api" {
  source = "../.."

  name                       = "bloody-sweet-example"
  subnet_ids                 = ["subnet-0a", "subnet-0b", "subnet-0c"]
  vpc_link_security_group_id = "sg-0123456789abcdef0"
  ingress_alb = {
    cluster_name      = "bloody-sweet-example"
    group             = "bloody-sweet-example"
    security_group_id = "sg-0fedcba9876543210"
  }
  alb_server_name = "api.dev.bloody-sweet.example.com"
  domain_name     = "api-origin.dev.bloody-sweet.example.com"
  certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
  zone_id         = "Z0123456789ABCDEFGHIJ"
  jwt_issuer      = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"
  jwt_audiences   = ["4example0client0id0abcdefgh"]

  origin_verify_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:bloody-sweet/dev/edge/origin-verify-AbCdEf"
  authorizer_s3_bucket     = "bloody-sweet-release-artifacts"
  authorizer_s3_key        = "edge-authorizer/1.0.0.zip"
  tags = {
    environment   = "dev"
    owner         = "platform"
    "cost-center" = "cc-1234"
  }
}

output "route_keys" {
  value = module.api.route_keys
}
