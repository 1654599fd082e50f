# The security groups of an environment's internal ALB (created by the AWS Load
# Balancer Controller) and of the API Gateway VPC link in front of it.
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

module "alb" {
  source = "../.."

  name     = "bloody-sweet-example"
  vpc_id   = "vpc-0123456789abcdef0"
  vpc_cidr = "10.90.0.0/16"
  tags = {
    environment   = "dev"
    owner         = "platform"
    "cost-center" = "cc-1234"
  }
}

output "ingress_security_groups_annotation" {
  value = module.alb.security_group_name
}
