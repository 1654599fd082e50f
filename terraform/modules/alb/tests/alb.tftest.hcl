mock_provider "aws" {}

variables {
  name            = "bloody-sweet-test"
  vpc_id          = "vpc-0123456789abcdef0"
  vpc_cidr        = "10.20.0.0/16"
  subnet_ids      = ["subnet-0a", "subnet-0b", "subnet-0c"]
  ingress_cidrs   = ["10.20.0.0/16"]
  certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
  target_groups = {
    order        = { path_patterns = ["/v1/orders", "/v1/orders/*"], priority = 20 }
    notification = { path_patterns = ["/v1/stream", "/v1/orders/*/stream"], priority = 10 }
  }
  tags = {
    environment   = "dev"
    owner         = "platform"
    "cost-center" = "cc-1234"
  }
}

run "internal_tls_and_readiness_checks" {
  command = plan

  assert {
    condition     = aws_lb.this.internal && aws_lb.this.drop_invalid_header_fields
    error_message = "the ALB must be internal and drop invalid headers"
  }

  assert {
    condition     = aws_lb_listener.https.protocol == "HTTPS" && startswith(aws_lb_listener.https.ssl_policy, "ELBSecurityPolicy-TLS13")
    error_message = "the listener must be HTTPS with a TLS 1.3 policy"
  }

  assert {
    condition     = alltrue([for g in values(aws_lb_target_group.this) : g.port == 8080 && g.target_type == "ip" && g.health_check[0].path == "/readyz"])
    error_message = "targets are pod IPs on 8080 checked on /readyz"
  }

  assert {
    condition     = aws_lb_listener_rule.service["notification"].priority < aws_lb_listener_rule.service["order"].priority
    error_message = "the stream route must be matched before the generic order route"
  }
}

run "rejects_open_ingress" {
  command = plan

  variables {
    ingress_cidrs = ["0.0.0.0/0"]
  }

  expect_failures = [var.ingress_cidrs]
}

run "rejects_duplicate_priorities" {
  command = plan

  variables {
    target_groups = {
      order        = { path_patterns = ["/v1/orders"], priority = 10 }
      notification = { path_patterns = ["/v1/stream"], priority = 10 }
    }
  }

  expect_failures = [var.target_groups]
}
