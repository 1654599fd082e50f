mock_provider "aws" {}

# What the AWS Load Balancer Controller would have created for the Ingress group: an
# internal ALB with the Terraform-made security group and an HTTPS listener.
override_data {
  target = data.aws_lb.ingress
  values = {
    arn                = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/k8s-bloodysweettest-0123456789/0123456789abcdef"
    internal           = true
    load_balancer_type = "application"
    security_groups    = ["sg-0fedcba9876543210", "sg-0aaaaaaaaaaaaaaaa"]
  }
}

override_data {
  target = data.aws_lb_listener.https
  values = {
    arn      = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/k8s-bloodysweettest-0123456789/0123456789abcdef/0123456789abcdef"
    protocol = "HTTPS"
  }
}

variables {
  name                       = "bloody-sweet-test"
  subnet_ids                 = ["subnet-0a", "subnet-0b", "subnet-0c"]
  vpc_link_security_group_id = "sg-0123456789abcdef0"
  ingress_alb = {
    cluster_name      = "bloody-sweet-dev"
    group             = "bloody-sweet-dev"
    security_group_id = "sg-0fedcba9876543210"
  }
  alb_server_name = "api.dev.bloody-sweet.example.com"
  domain_name     = "api-origin.dev.bloody-sweet.example.com"
  certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
  zone_id         = "Z0123456789ABCDEFGHIJ"
  jwt_issuer      = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"
  jwt_audiences   = ["4example0client0id0abcdefgh"]
  tags = {
    environment   = "dev"
    owner         = "platform"
    "cost-center" = "cc-1234"
  }
}

run "jwt_on_every_route_to_the_controllers_alb" {
  command = plan

  assert {
    condition     = aws_apigatewayv2_api.this.protocol_type == "HTTP" && aws_apigatewayv2_api.this.disable_execute_api_endpoint
    error_message = "an HTTP API whose default execute-api endpoint is disabled"
  }

  assert {
    condition     = data.aws_lb.ingress.tags["elbv2.k8s.aws/cluster"] == "bloody-sweet-dev" && data.aws_lb.ingress.tags["ingress.k8s.aws/stack"] == "bloody-sweet-dev"
    error_message = "the ALB is found by the controller's cluster and stack (Ingress group) tags"
  }

  assert {
    condition     = aws_apigatewayv2_integration.alb.connection_type == "VPC_LINK" && aws_apigatewayv2_integration.alb.integration_uri == data.aws_lb_listener.https.arn && data.aws_lb_listener.https.port == 443
    error_message = "the integration must reach the controller's ALB's 443 listener through the VPC link"
  }

  assert {
    condition     = aws_apigatewayv2_integration.alb.tls_config[0].server_name_to_verify == "api.dev.bloody-sweet.example.com"
    error_message = "the API must verify the ALB's TLS certificate name"
  }

  assert {
    condition     = aws_apigatewayv2_authorizer.jwt.authorizer_type == "JWT" && aws_apigatewayv2_authorizer.jwt.jwt_configuration[0].issuer == var.jwt_issuer && aws_apigatewayv2_authorizer.jwt.jwt_configuration[0].audience == toset(var.jwt_audiences)
    error_message = "the JWT authorizer must check the configured issuer and audience"
  }

  assert {
    condition     = length(aws_apigatewayv2_route.this) == 5 && alltrue([for r in aws_apigatewayv2_route.this : r.authorization_type == "JWT"])
    error_message = "every route must be behind the JWT authorizer"
  }

  assert {
    condition     = !contains(keys(aws_apigatewayv2_route.this), "$default") && alltrue([for k in keys(aws_apigatewayv2_route.this) : !strcontains(k, "healthz") && !strcontains(k, "readyz") && !strcontains(k, "metrics")])
    error_message = "no $default route, and no health, readiness or metrics route"
  }

  assert {
    condition     = aws_apigatewayv2_route.this["GET /v1/stream"].authorization_scopes == toset(["orders/stream.all"]) && aws_apigatewayv2_route.this["POST /v1/orders"].authorization_scopes == null
    error_message = "the all-orders stream needs its scope; customer routes a valid token"
  }

  assert {
    condition     = aws_apigatewayv2_domain_name.this.domain_name_configuration[0].endpoint_type == "REGIONAL" && aws_apigatewayv2_domain_name.this.domain_name_configuration[0].security_policy == "TLS_1_2"
    error_message = "the custom domain must be regional with TLS 1.2"
  }

  assert {
    condition     = aws_route53_record.origin.name == "api-origin.dev.bloody-sweet.example.com"
    error_message = "the custom domain gets its alias record"
  }

  assert {
    condition     = aws_apigatewayv2_stage.default.default_route_settings[0].throttling_rate_limit == 1000
    error_message = "the routes must be throttled"
  }
}

run "rejects_an_internet_facing_alb" {
  command = plan

  override_data {
    target = data.aws_lb.ingress
    values = {
      arn                = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/k8s-public/0123456789abcdef"
      internal           = false
      load_balancer_type = "application"
      security_groups    = ["sg-0fedcba9876543210"]
    }
  }

  expect_failures = [data.aws_lb.ingress]
}

run "rejects_an_alb_without_the_terraform_security_group" {
  command = plan

  override_data {
    target = data.aws_lb.ingress
    values = {
      arn                = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/k8s-open/0123456789abcdef"
      internal           = true
      load_balancer_type = "application"
      security_groups    = ["sg-0bbbbbbbbbbbbbbbb"]
    }
  }

  expect_failures = [data.aws_lb.ingress]
}

run "rejects_a_plain_http_listener" {
  command = plan

  override_data {
    target = data.aws_lb_listener.https
    values = {
      arn      = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/k8s-bloodysweettest-0123456789/0123456789abcdef/0123456789abcdef"
      protocol = "HTTP"
    }
  }

  expect_failures = [data.aws_lb_listener.https]
}

run "rejects_a_health_route" {
  command = plan

  variables {
    routes = { "GET /v1/healthz" = {} }
  }

  expect_failures = [var.routes]
}

run "rejects_a_default_route" {
  command = plan

  variables {
    routes = { "$default" = {} }
  }

  expect_failures = [var.routes]
}

run "rejects_a_plain_http_issuer" {
  command = plan

  variables {
    jwt_issuer = "http://idp.example.com/"
  }

  expect_failures = [var.jwt_issuer]
}

run "rejects_no_audience" {
  command = plan

  variables {
    jwt_audiences = []
  }

  expect_failures = [var.jwt_audiences]
}
