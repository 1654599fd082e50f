# Karpenter's IAM role and interruption queue for a dev cluster.
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

module "autoscaling" {
  source = "../.."

  mode              = "karpenter"
  cluster_name      = "bloody-sweet-dev"
  account_id        = "123456789012"
  region            = "eu-west-1"
  oidc_provider_arn = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
  oidc_issuer_host  = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
  node_role_arn     = "arn:aws:iam::123456789012:role/bloody-sweet-dev-node"
  tags = {
    environment   = "dev"
    owner         = "platform"
    "cost-center" = "cc-1234"
  }
}

output "queue" {
  value = module.autoscaling.interruption_queue_name
}
