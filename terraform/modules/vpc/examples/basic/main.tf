# A VPC with a single NAT gateway, as in dev.
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

module "vpc" {
  source = "../.."

  name = "bloody-sweet-example"
  cidr = "10.90.0.0/16"
  azs  = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
  tags = {
    environment   = "dev"
    owner         = "platform"
    "cost-center" = "cc-1234"
  }
}

output "private_subnet_ids" {
  value = module.vpc.private_subnet_ids
}
