# The edge authorizer's Lambda function, its log group and its role. The code is the
# release's zip (.github/workflows/release.yml uploads edge-authorizer/<version>.zip:
# a static arm64 binary named bootstrap for the provided.al2023 runtime).

locals {
  authorizer_name = "${var.name}-edge-authorizer"
  # Only the routes that need a scope: the authorizer admits a token for them only
  # if it carries one of these (API Gateway checks route scopes for JWT authorizers only).
  route_scopes = { for k, r in var.routes : k => r.authorization_scopes if length(r.authorization_scopes) > 0 }
}

resource "aws_cloudwatch_log_group" "authorizer" {
  name              = "/aws/lambda/${local.authorizer_name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_iam_role" "authorizer" {
  name        = local.authorizer_name
  description = "The edge authorizer of ${var.name}: writes its log, reads the origin-verify secret"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

# Least privilege, in two policies so that the secret's is known at plan time (the
# log group's ARN is not): the one secret, both of its stages, and nothing else of
# Secrets Manager. The secret uses the aws/secretsmanager key, which needs no grant.
resource "aws_iam_role_policy" "authorizer_secret" {
  name = "read-origin-verify-secret"
  role = aws_iam_role.authorizer.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "ReadOriginVerifySecret"
      Effect   = "Allow"
      Action   = ["secretsmanager:GetSecretValue"]
      Resource = [var.origin_verify_secret_arn]
    }]
  })
}

# Its own log group only (Terraform creates it, so no logs:CreateLogGroup).
resource "aws_iam_role_policy" "authorizer_logs" {
  name = "write-own-logs"
  role = aws_iam_role.authorizer.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "WriteOwnLogs"
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = ["${aws_cloudwatch_log_group.authorizer.arn}:*"]
    }]
  })
}

resource "aws_lambda_function" "authorizer" {
  function_name = local.authorizer_name
  description   = "Admits a request to ${var.domain_name} only through CloudFront (X-Origin-Verify) and with a valid bearer JWT"
  role          = aws_iam_role.authorizer.arn
  runtime       = "provided.al2023"
  architectures = ["arm64"]
  handler       = "bootstrap"
  s3_bucket     = var.authorizer_s3_bucket
  s3_key        = var.authorizer_s3_key
  memory_size   = 256
  # API Gateway waits at most 10 s for an authorizer; a JWKS fetch times out at 5 s.
  timeout = 10

  environment {
    variables = {
      EDGE_AUTH_ISSUER           = var.jwt_issuer
      EDGE_AUTH_AUDIENCES        = join(",", var.jwt_audiences)
      EDGE_AUTH_JWKS_URL         = var.jwks_url == null ? "" : var.jwks_url
      EDGE_AUTH_ROUTE_SCOPES     = jsonencode(local.route_scopes)
      EDGE_AUTH_ORIGIN_SECRET_ID = var.origin_verify_secret_arn
      EDGE_AUTH_SECRET_TTL       = "${var.origin_verify_cache_seconds}s"
    }
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.authorizer.name
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.authorizer_logs]
}

# API Gateway may invoke the function, for this API's edge authorizer only.
resource "aws_lambda_permission" "api_gateway" {
  statement_id  = "AllowApiGatewayAuthorizer"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.authorizer.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this.execution_arn}/authorizers/${aws_apigatewayv2_authorizer.edge.id}"
}
