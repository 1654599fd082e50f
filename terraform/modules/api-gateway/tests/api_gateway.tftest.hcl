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

  origin_verify_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:bloody-sweet/dev/edge/origin-verify-AbCdEf"
  authorizer_s3_bucket     = "bloody-sweet-release-artifacts"
  authorizer_s3_key        = "edge-authorizer/1.0.0.zip"
  tags = {
    environment   = "dev"
    owner         = "platform"
    "cost-center" = "cc-1234"
  }
}

run "edge_authorizer_on_every_route_to_the_controllers_alb" {
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
    condition     = aws_apigatewayv2_integration.alb.request_parameters == tomap({ "remove:header.X-Origin-Verify" = "''" })
    error_message = "the integration must drop the origin secret before the request reaches the services"
  }

  assert {
    condition     = aws_apigatewayv2_integration.alb.tls_config[0].server_name_to_verify == "api.dev.bloody-sweet.example.com"
    error_message = "the API must verify the ALB's TLS certificate name"
  }

  assert {
    condition     = aws_apigatewayv2_authorizer.edge.authorizer_type == "REQUEST" && aws_apigatewayv2_authorizer.edge.authorizer_payload_format_version == "2.0" && aws_apigatewayv2_authorizer.edge.enable_simple_responses
    error_message = "the edge authorizer must be a Lambda REQUEST authorizer, payload 2.0, simple responses"
  }

  assert {
    condition     = aws_apigatewayv2_authorizer.edge.identity_sources == toset(["$request.header.Authorization", "$request.header.X-Origin-Verify", "$context.routeKey"]) && aws_apigatewayv2_authorizer.edge.authorizer_result_ttl_in_seconds == 300
    error_message = "answers must be cached a few minutes, keyed on the token, the origin header and the route"
  }

  assert {
    condition     = length(aws_apigatewayv2_route.this) == 5 && alltrue([for r in aws_apigatewayv2_route.this : r.authorization_type == "CUSTOM" && r.authorization_scopes == null])
    error_message = "every route must be behind the Lambda authorizer (which checks the scopes)"
  }

  assert {
    condition     = jsondecode(aws_lambda_function.authorizer.environment[0].variables.EDGE_AUTH_ROUTE_SCOPES) == {}
    error_message = "the customer routes need a valid token and no scope"
  }

  assert {
    condition     = length([for k in keys(aws_apigatewayv2_route.this) : k if endswith(k, "/stream")]) == 0
    error_message = "the SSE status streams bypass API Gateway: no route for them"
  }

  assert {
    condition     = aws_lambda_function.authorizer.environment[0].variables.EDGE_AUTH_ISSUER == var.jwt_issuer && aws_lambda_function.authorizer.environment[0].variables.EDGE_AUTH_AUDIENCES == "4example0client0id0abcdefgh" && aws_lambda_function.authorizer.environment[0].variables.EDGE_AUTH_ORIGIN_SECRET_ID == var.origin_verify_secret_arn
    error_message = "the authorizer must check the configured issuer, audience and origin secret"
  }

  assert {
    condition     = aws_lambda_function.authorizer.runtime == "provided.al2023" && aws_lambda_function.authorizer.architectures == tolist(["arm64"]) && aws_lambda_function.authorizer.handler == "bootstrap" && aws_lambda_function.authorizer.s3_bucket == "bloody-sweet-release-artifacts" && aws_lambda_function.authorizer.s3_key == "edge-authorizer/1.0.0.zip"
    error_message = "the authorizer runs the release's bootstrap zip on provided.al2023/arm64"
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.authorizer_secret.policy).Statement == [{ Sid = "ReadOriginVerifySecret", Effect = "Allow", Action = ["secretsmanager:GetSecretValue"], Resource = [var.origin_verify_secret_arn] }]
    error_message = "the authorizer's role reads that one secret and nothing else of Secrets Manager"
  }

  assert {
    condition     = aws_apigatewayv2_stage.default.access_log_settings[0].format != null && jsondecode(aws_apigatewayv2_stage.default.access_log_settings[0].format).subject == "$context.authorizer.sub"
    error_message = "the access log takes the subject from the Lambda authorizer's context"
  }

  assert {
    condition     = !contains(keys(aws_apigatewayv2_route.this), "$default") && alltrue([for k in keys(aws_apigatewayv2_route.this) : !strcontains(k, "healthz") && !strcontains(k, "readyz") && !strcontains(k, "metrics")])
    error_message = "no $default route, and no health, readiness or metrics route"
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

# With the mock provider's made-up IDs: the references plan time cannot show.
run "every_route_uses_the_lambda_authorizer" {
  command = apply

  assert {
    condition     = alltrue([for r in aws_apigatewayv2_route.this : r.authorizer_id == aws_apigatewayv2_authorizer.edge.id])
    error_message = "every route must name the edge authorizer"
  }

  assert {
    condition     = aws_apigatewayv2_authorizer.edge.authorizer_uri == aws_lambda_function.authorizer.invoke_arn && aws_lambda_function.authorizer.role == aws_iam_role.authorizer.arn
    error_message = "the authorizer must invoke the Lambda function, which runs as its own role"
  }

  assert {
    condition     = aws_lambda_permission.api_gateway.principal == "apigateway.amazonaws.com" && aws_lambda_permission.api_gateway.function_name == aws_lambda_function.authorizer.function_name && aws_lambda_permission.api_gateway.source_arn == "${aws_apigatewayv2_api.this.execution_arn}/authorizers/${aws_apigatewayv2_authorizer.edge.id}"
    error_message = "only this API's edge authorizer may invoke the function"
  }

  assert {
    condition     = aws_iam_role_policy.authorizer_secret.role == aws_iam_role.authorizer.name && aws_iam_role_policy.authorizer_logs.role == aws_iam_role.authorizer.name && jsondecode(aws_iam_role_policy.authorizer_logs.policy).Statement[0].Resource == ["${aws_cloudwatch_log_group.authorizer.arn}:*"]
    error_message = "the role writes to its own log group only"
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

run "rejects_an_origin_secret_that_is_not_an_arn" {
  command = plan

  variables {
    origin_verify_secret_arn = "bloody-sweet/dev/edge/origin-verify"
  }

  expect_failures = [var.origin_verify_secret_arn]
}

run "rejects_an_authorizer_zip_outside_the_release_layout" {
  command = plan

  variables {
    authorizer_s3_key = "lambda/bootstrap.zip"
  }

  expect_failures = [var.authorizer_s3_key]
}

run "rejects_a_name_too_long_for_the_authorizer_function" {
  command = plan

  variables {
    name = "bloody-sweet-a-very-long-environment-name-for-an-api"
  }

  expect_failures = [var.name]
}

# A route with scopes: the authorizer gets them (API Gateway checks route scopes for
# JWT authorizers only).
run "route_scopes_reach_the_authorizer" {
  command = plan

  variables {
    routes = {
      "GET /v1/orders"         = {}
      "DELETE /v1/orders/{id}" = { authorization_scopes = ["orders/admin"] }
    }
  }

  assert {
    condition     = jsondecode(aws_lambda_function.authorizer.environment[0].variables.EDGE_AUTH_ROUTE_SCOPES) == { "DELETE /v1/orders/{id}" = ["orders/admin"] }
    error_message = "a route's scopes must reach the authorizer, and only the routes with scopes"
  }
}

run "rejects_a_stream_route" {
  command = plan

  variables {
    routes = {
      "GET /v1/orders"             = {}
      "GET /v1/orders/{id}/stream" = {}
    }
  }

  expect_failures = [var.routes]
}

run "rejects_the_all_orders_stream_route" {
  command = plan

  variables {
    routes = {
      "GET /v1/stream" = { authorization_scopes = ["orders/stream.all"] }
    }
  }

  expect_failures = [var.routes]
}
