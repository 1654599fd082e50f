# IRSA roles of two services that talk over MSK.
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

module "iam" {
  source = "../.."

  environment       = "dev"
  account_id        = "123456789012"
  region            = "eu-west-1"
  oidc_provider_arn = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
  oidc_issuer_host  = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
  msk_cluster_name  = "bloody-sweet-dev"
  services = {
    order = { produces = ["order.events.v1"], consumes = ["payment.events.v1"] }
    store = { produces = ["store.events.v1"], consumes = ["order.events.v1"] }
  }
  tags = {
    environment   = "dev"
    owner         = "platform"
    "cost-center" = "cc-1234"
  }
}

output "role_arns" {
  value = module.iam.role_arns
}
