# The edge stage of staging (module edge: API Gateway behind the edge Lambda
# authorizer, with a VPC link to the Ingress group's internal ALB), built on the
# outputs of the platform stage live/staging. Apply it after live/staging and the first
# Argo CD sync of the api services (terraform/README.md, "Edge").
locals {
  environment = "staging"
  account_id  = "123456789012"
  region      = "eu-west-1"

  tags = {
    environment   = local.environment
    owner         = "platform"
    "cost-center" = "cc-4200"
  }
}

provider "aws" {
  region              = local.region
  allowed_account_ids = [local.account_id]

  default_tags {
    tags = local.tags
  }
}

# The platform stage's outputs: subnets, security groups, certificate, zone, names.
data "terraform_remote_state" "platform" {
  backend = "s3"
  config = {
    bucket = "bloody-sweet-terraform-state"
    key    = "live/${local.environment}/terraform.tfstate"
    region = local.region
  }
}

module "edge" {
  source = "../../../modules/edge"

  environment = local.environment
  platform    = data.terraform_remote_state.platform.outputs
  # The edge authorizer release to run. Bump it to deploy a new one.
  authorizer_version = "1.0.0"
  log_retention_days = 30
  tags               = local.tags
}

# The API was a module of this root before the edge module existed: keep its state.
moved {
  from = module.api
  to   = module.edge.module.api
}
