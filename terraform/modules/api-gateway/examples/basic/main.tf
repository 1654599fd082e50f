# An HTTP API forwarding everything to an internal ALB through a VPC link.
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

  name             = "bloody-sweet-example"
  vpc_id           = "vpc-0123456789abcdef0"
  vpc_cidr         = "10.90.0.0/16"
  subnet_ids       = ["subnet-0a", "subnet-0b", "subnet-0c"]
  alb_listener_arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/example/0123456789abcdef/0123456789abcdef"
  alb_server_name  = "api.dev.bloody-sweet.example.com"
  tags = {
    environment   = "dev"
    owner         = "platform"
    "cost-center" = "cc-1234"
  }
}

output "api_endpoint" {
  value = module.api.api_endpoint
}
