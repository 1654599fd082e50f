# An internal ALB with one target group per api service.
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

  name                = "bloody-sweet-example"
  vpc_id              = "vpc-0123456789abcdef0"
  vpc_cidr            = "10.90.0.0/16"
  subnet_ids          = ["subnet-0a", "subnet-0b", "subnet-0c"]
  ingress_cidrs       = ["10.90.0.0/16"]
  certificate_arn     = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
  deletion_protection = false
  target_groups = {
    order        = { path_patterns = ["/v1/orders", "/v1/orders/*"], priority = 20 }
    notification = { path_patterns = ["/v1/stream", "/v1/orders/*/stream"], priority = 10 }
  }
  tags = {
    environment   = "dev"
    owner         = "platform"
    "cost-center" = "cc-1234"
  }
}

output "listener_arn" {
  value = module.alb.https_listener_arn
}
