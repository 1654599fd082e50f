# The five order service repositories.
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

module "ecr" {
  source = "../.."

  services   = ["order", "payment", "store", "delivery", "eta", "notification"]
  account_id = "123456789012"
  region     = "eu-west-1"
  tags = {
    environment   = "shared"
    owner         = "platform"
    "cost-center" = "cc-1234"
  }
}

output "repository_urls" {
  value = module.ecr.repository_urls
}
