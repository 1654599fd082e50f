# A one-instance DocumentDB cluster with TLS and encryption.
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

module "documentdb" {
  source = "../.."

  name                = "bloody-sweet-example"
  instance_class      = "db.t4g.medium"
  deletion_protection = false
  vpc_id              = "vpc-0123456789abcdef0"
  subnet_ids          = ["subnet-0a", "subnet-0b", "subnet-0c"]
  client_cidrs        = ["10.90.0.0/19"]
  tags = {
    environment   = "dev"
    owner         = "platform"
    "cost-center" = "cc-1234"
  }
}

output "endpoint" {
  value = module.documentdb.endpoint
}
