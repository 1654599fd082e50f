# Loki's log bucket and IRSA role for dev, keeping logs for 7 days.
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

module "log_store" {
  source = "../.."

  environment       = "dev"
  account_id        = "123456789012"
  retention_days    = 7
  oidc_provider_arn = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
  oidc_issuer_host  = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
  tags = {
    environment   = "dev"
    owner         = "platform"
    "cost-center" = "cc-1234"
  }
}

output "bucket_name" {
  value = module.log_store.bucket_name
}

output "role_arn" {
  value = module.log_store.role_arn
}
