# The customers' identity provider of one environment: a user pool with email sign-in,
# the orders resource server, the mobile app's public client and a machine client for
# the operators' stream, and the hosted pages on a Cognito prefix domain.
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

module "identity" {
  source = "../.."

  name          = "bloody-sweet-example"
  environment   = "dev"
  domain_prefix = "bloody-sweet-example"
  callback_urls = ["bloodysweet://auth/callback"]
  logout_urls   = ["bloodysweet://auth/signout"]

  scopes = {
    "stream.all" = "Read the live changes of every order (operators and the load harness)"
  }
  machine_client_scopes = ["stream.all"]

  access_token_validity_minutes = 60
  refresh_token_validity_days   = 30
  threat_protection             = "AUDIT"
  tags = {
    environment   = "dev"
    owner         = "platform"
    "cost-center" = "cc-1234"
  }
}

output "issuer_url" {
  value = module.identity.issuer_url
}

output "audiences" {
  value = module.identity.audiences
}
