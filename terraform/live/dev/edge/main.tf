# The edge stage of dev: API Gateway (the edge Lambda authorizer verifying the tokens of
# the customers' Cognito user pool, which the platform stage creates; custom
# domain api-origin.<domain>, execute-api endpoint disabled) with a VPC link to the
# internal ALB that the AWS Load Balancer Controller created for the Ingress group.
# Apply it after live/dev and the first Argo CD sync of the api services
# (terraform/README.md, "Edge").
locals {
  environment = "dev"
  account_id  = "123456789012"
  region      = "eu-west-1"

  tags = {
    environment   = local.environment
    owner         = "platform"
    "cost-center" = "cc-4200"
  }

  platform = data.terraform_remote_state.platform.outputs

  # The edge authorizer release to run: the zip .github/workflows/release.yml uploaded
  # for that tag (without the v) to the artifacts bucket. Bump it to deploy a new one.
  authorizer_version = "1.0.0"
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

# The secret CloudFront sends as X-Origin-Verify (module waf-cdn-acm-route53 reads
# its value under the same name). Created once by the bootstrap step in
# terraform/README.md, "Edge"; the plan fails here if it was skipped.
data "aws_secretsmanager_secret" "origin_verify" {
  name = "bloody-sweet/${local.environment}/edge/origin-verify"
}

module "api" {
  source = "../../../modules/api-gateway"

  name                       = "bloody-sweet-${local.environment}"
  subnet_ids                 = local.platform.private_subnet_ids
  vpc_link_security_group_id = local.platform.vpc_link_security_group_id
  ingress_alb = {
    cluster_name      = local.platform.cluster_name
    group             = local.platform.ingress_group
    security_group_id = local.platform.alb_security_group_id
  }
  alb_server_name = local.platform.api_host
  domain_name     = local.platform.api_origin_host
  certificate_arn = local.platform.regional_certificate_arn
  zone_id         = local.platform.zone_id

  # Tokens of this environment's user pool only (module identity, in the platform
  # stage): its issuer and keys, and the client IDs of its app clients as the audience
  # (Cognito access tokens carry client_id).
  jwt_issuer    = local.platform.jwt_issuer
  jwks_url      = local.platform.jwks_url
  jwt_audiences = local.platform.jwt_audiences

  origin_verify_secret_arn = data.aws_secretsmanager_secret.origin_verify.arn
  authorizer_s3_bucket     = "bloody-sweet-release-artifacts"
  authorizer_s3_key        = "edge-authorizer/${local.authorizer_version}.zip"

  log_retention_days = 14
  tags               = local.tags
}
