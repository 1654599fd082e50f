# The secret CloudFront sends as X-Origin-Verify (module waf-cdn-acm-route53 reads
# its value under the same name). Created once by the bootstrap step in
# terraform/README.md, "Edge"; the plan fails here if it was skipped.
data "aws_secretsmanager_secret" "origin_verify" {
  name = "bloody-sweet/${var.environment}/edge/origin-verify"
}

module "api" {
  source = "../api-gateway"

  name                       = "bloody-sweet-${var.environment}"
  subnet_ids                 = var.platform.private_subnet_ids
  vpc_link_security_group_id = var.platform.vpc_link_security_group_id
  ingress_alb = {
    cluster_name      = var.platform.cluster_name
    group             = var.platform.ingress_group
    security_group_id = var.platform.alb_security_group_id
  }
  alb_server_name = var.platform.api_host
  domain_name     = var.platform.api_origin_host
  certificate_arn = var.platform.regional_certificate_arn
  zone_id         = var.platform.zone_id

  # Tokens of this environment's user pool only (module identity, in the platform
  # stage): its issuer and keys, and the client IDs of its app clients as the audience
  # (Cognito access tokens carry client_id).
  jwt_issuer    = var.platform.jwt_issuer
  jwks_url      = var.platform.jwks_url
  jwt_audiences = var.platform.jwt_audiences

  origin_verify_secret_arn = data.aws_secretsmanager_secret.origin_verify.arn
  authorizer_s3_bucket     = var.artifacts_bucket
  authorizer_s3_key        = "edge-authorizer/${var.authorizer_version}.zip"

  log_retention_days = var.log_retention_days
  tags               = var.tags
}
