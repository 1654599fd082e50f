# The connections secrets of two services, one with a database, and the External
# Secrets Operator's role that reads them.
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

module "connection_secrets" {
  source = "../.."

  environment   = "dev"
  account_id    = "123456789012"
  region        = "eu-west-1"
  kafka_brokers = "b-1.example.kafka.eu-west-1.amazonaws.com:9098,b-2.example.kafka.eu-west-1.amazonaws.com:9098"
  database = {
    identifier = "bloody-sweet-dev"
    host       = "bloody-sweet-dev.abcdefghijkl.eu-west-1.rds.amazonaws.com"
    port       = 5432
    name       = "orders"
  }
  redis = {
    host = "master.bloody-sweet-dev.abcdef.euw1.cache.amazonaws.com"
    port = 6379
    user = "app_user"
  }
  services = {
    order        = { database = true }
    notification = { database = false }
  }
  oidc_provider_arn = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
  oidc_issuer_host  = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
  tags = {
    environment   = "dev"
    owner         = "platform"
    "cost-center" = "cc-1234"
  }
}

output "secret_names" {
  value = module.connection_secrets.secret_names
}

output "operator_role_arn" {
  value = module.connection_secrets.operator_role_arn
}
