# The edge of a dev environment, with the platform stage's outputs written out (the
# live roots pass data.terraform_remote_state.platform.outputs instead).
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

module "edge" {
  source = "../.."

  environment = "dev"
  platform = {
    cluster_name               = "bloody-sweet-dev"
    ingress_group              = "bloody-sweet-dev"
    private_subnet_ids         = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]
    vpc_link_security_group_id = "sg-0a1b2c3d4e5f60001"
    alb_security_group_id      = "sg-0a1b2c3d4e5f60002"
    api_host                   = "api.dev.bloody-sweet.example.com"
    api_origin_host            = "api-origin.dev.bloody-sweet.example.com"
    regional_certificate_arn   = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
    zone_id                    = "Z0123456789ABCDEFGHIJ"
    jwt_issuer                 = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_example"
    jwks_url                   = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_example/.well-known/jwks.json"
    jwt_audiences              = ["exampleclientid"]
  }
  authorizer_version = "1.0.0"
  log_retention_days = 14
  tags = {
    environment   = "dev"
    owner         = "platform"
    "cost-center" = "cc-4200"
  }
}
