# The HTTP API of an environment: CloudFront -> this API (custom domain
# api-origin.<domain>, the edge Lambda authorizer on every route) -> VPC link -> the internal ALB
# the AWS Load Balancer Controller created for the Ingress group -> pods.
#
# The ALB exists only after the first Argo CD sync, so this module is applied in the
# edge stage (terraform/live/<env>/edge) and looks the ALB up by the tags the
# controller puts on it.

data "aws_lb" "ingress" {
  tags = {
    "elbv2.k8s.aws/cluster" = var.ingress_alb.cluster_name
    "ingress.k8s.aws/stack" = var.ingress_alb.group
  }

  lifecycle {
    postcondition {
      condition     = self.internal == true && self.load_balancer_type == "application"
      error_message = "The ALB of Ingress group ${var.ingress_alb.group} must be an internal application load balancer: check the Ingress annotation alb.ingress.kubernetes.io/scheme."
    }
    postcondition {
      condition     = contains(self.security_groups, var.ingress_alb.security_group_id)
      error_message = "The ALB of Ingress group ${var.ingress_alb.group} does not carry the security group ${var.ingress_alb.security_group_id} that admits only the VPC link: check the Ingress annotation alb.ingress.kubernetes.io/security-groups."
    }
  }
}

data "aws_lb_listener" "https" {
  load_balancer_arn = data.aws_lb.ingress.arn
  port              = 443

  lifecycle {
    postcondition {
      condition     = self.protocol == "HTTPS"
      error_message = "The ALB's listener on 443 must be HTTPS (Ingress annotation alb.ingress.kubernetes.io/listen-ports)."
    }
  }
}

resource "aws_apigatewayv2_vpc_link" "this" {
  name               = var.name
  subnet_ids         = var.subnet_ids
  security_group_ids = [var.vpc_link_security_group_id]
  tags               = var.tags
}

resource "aws_apigatewayv2_api" "this" {
  name          = var.name
  protocol_type = "HTTP"
  description   = "Public API of ${var.name}; CloudFront, through the custom domain ${var.domain_name}, is the only intended caller"
  # Only the custom domain serves the API: https://<id>.execute-api.<region>.amazonaws.com
  # answers 403, so nobody reaches the API around CloudFront by its default name.
  disable_execute_api_endpoint = true
  tags                         = var.tags
}

# The edge authorizer (services/edge-authorizer, a Lambda REQUEST authorizer) on every
# route. An HTTP API takes neither WAF nor a resource policy and a route has one
# authorizer, so one Lambda checks both that the request came through CloudFront
# (X-Origin-Verify, the secret CloudFront sends: module waf-cdn-acm-route53) and the
# customer's bearer JWT (signature against the issuer's JWKS, iss, aud, exp/nbf, and
# the route's scopes, which API Gateway checks only for JWT authorizers).
resource "aws_apigatewayv2_authorizer" "edge" {
  api_id                            = aws_apigatewayv2_api.this.id
  name                              = "${var.name}-edge"
  authorizer_type                   = "REQUEST"
  authorizer_uri                    = aws_lambda_function.authorizer.invoke_arn
  authorizer_payload_format_version = "2.0"
  enable_simple_responses           = true
  # The cache key: the token, the origin secret (a rotated value is authorized anew)
  # and the route (an answer for a route without scopes must not serve one with).
  # API Gateway answers 401 without calling the Lambda when a header is missing.
  identity_sources                 = ["$request.header.Authorization", "$request.header.X-Origin-Verify", "$context.routeKey"]
  authorizer_result_ttl_in_seconds = var.authorizer_cache_ttl_seconds
}

resource "aws_apigatewayv2_integration" "alb" {
  api_id             = aws_apigatewayv2_api.this.id
  integration_type   = "HTTP_PROXY"
  integration_method = "ANY"
  integration_uri    = data.aws_lb_listener.https.arn
  connection_type    = "VPC_LINK"
  connection_id      = aws_apigatewayv2_vpc_link.this.id

  # The origin secret stops here: the services (and their logs) never see it.
  request_parameters = {
    "remove:header.X-Origin-Verify" = "''"
  }

  tls_config {
    server_name_to_verify = var.alb_server_name
  }
}

# One route per customer operation, each behind the edge authorizer (which enforces
# the route's scopes). There is no $default route: anything else (/healthz, /readyz,
# /metrics) gets API Gateway's 404.
resource "aws_apigatewayv2_route" "this" {
  for_each = var.routes

  api_id             = aws_apigatewayv2_api.this.id
  route_key          = each.key
  target             = "integrations/${aws_apigatewayv2_integration.alb.id}"
  authorization_type = "CUSTOM"
  authorizer_id      = aws_apigatewayv2_authorizer.edge.id
}

resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/apigateway/${var.name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.this.id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_burst_limit = var.throttling_burst_limit
    throttling_rate_limit  = var.throttling_rate_limit
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format = jsonencode({
      requestId = "$context.requestId"
      ip        = "$context.identity.sourceIp"
      method    = "$context.httpMethod"
      path      = "$context.path"
      route     = "$context.routeKey"
      status    = "$context.status"
      latency   = "$context.responseLatency"
      subject   = "$context.authorizer.sub"
      authError = "$context.authorizer.error"
    })
  }

  tags = var.tags
}

resource "aws_apigatewayv2_domain_name" "this" {
  domain_name = var.domain_name

  domain_name_configuration {
    certificate_arn = var.certificate_arn
    endpoint_type   = "REGIONAL"
    security_policy = "TLS_1_2"
  }

  tags = var.tags
}

resource "aws_apigatewayv2_api_mapping" "this" {
  api_id      = aws_apigatewayv2_api.this.id
  domain_name = aws_apigatewayv2_domain_name.this.id
  stage       = aws_apigatewayv2_stage.default.id
}

resource "aws_route53_record" "origin" {
  zone_id = var.zone_id
  name    = var.domain_name
  type    = "A"

  alias {
    name                   = aws_apigatewayv2_domain_name.this.domain_name_configuration[0].target_domain_name
    zone_id                = aws_apigatewayv2_domain_name.this.domain_name_configuration[0].hosted_zone_id
    evaluate_target_health = false
  }
}
