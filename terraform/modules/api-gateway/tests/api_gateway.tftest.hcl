mock_provider "aws" {}

variables {
  name             = "bloody-sweet-test"
  vpc_id           = "vpc-0123456789abcdef0"
  vpc_cidr         = "10.20.0.0/16"
  subnet_ids       = ["subnet-0a", "subnet-0b", "subnet-0c"]
  alb_listener_arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/example/0123456789abcdef/0123456789abcdef"
  alb_server_name  = "api.dev.bloody-sweet.example.com"
  tags = {
    environment   = "dev"
    owner         = "platform"
    "cost-center" = "cc-1234"
  }
}

run "proxies_to_alb_through_vpc_link" {
  command = plan

  assert {
    condition     = aws_apigatewayv2_api.this.protocol_type == "HTTP"
    error_message = "the API must be an HTTP API"
  }

  assert {
    condition     = aws_apigatewayv2_integration.alb.connection_type == "VPC_LINK" && aws_apigatewayv2_integration.alb.integration_uri == var.alb_listener_arn
    error_message = "the integration must reach the ALB listener through the VPC link"
  }

  assert {
    condition     = aws_apigatewayv2_integration.alb.tls_config[0].server_name_to_verify == "api.dev.bloody-sweet.example.com"
    error_message = "the API must verify the ALB's TLS certificate name"
  }

  assert {
    condition     = aws_apigatewayv2_stage.default.default_route_settings[0].throttling_rate_limit == 1000
    error_message = "the default route must be throttled"
  }
}

run "rejects_bad_server_name" {
  command = plan

  variables {
    alb_server_name = "not a host"
  }

  expect_failures = [var.alb_server_name]
}
