mock_provider "aws" {}

mock_provider "aws" {
  alias = "us_east_1"
}

# The origin-verify secret created by the bootstrap step (64 letters and digits).
override_data {
  target = data.aws_secretsmanager_secret_version.origin_verify
  values = {
    secret_string = "Tst0riginVerify0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLM"
  }
}

variables {
  environment = "dev"
  tags = {
    environment   = "dev"
    owner         = "platform"
    "cost-center" = "cc-1234"
  }
}

run "dev_domain_waf_and_tls" {
  command = plan

  assert {
    condition     = output.api_host == "api.dev.bloody-sweet.example.com"
    error_message = "dev must serve api.dev.bloody-sweet.example.com"
  }

  assert {
    condition     = aws_wafv2_web_acl.this.scope == "CLOUDFRONT" && length(jsondecode(aws_wafv2_web_acl.this.rule_json)) == 4 && jsondecode(aws_wafv2_web_acl.this.rule_json)[0].Statement.RateBasedStatement.Limit == 2000
    error_message = "the web ACL must be CloudFront-scoped with rate limiting and three managed rule groups"
  }

  assert {
    condition     = aws_cloudfront_distribution.api.viewer_certificate[0].minimum_protocol_version == "TLSv1.2_2021" && aws_cloudfront_distribution.api.default_cache_behavior[0].viewer_protocol_policy == "redirect-to-https"
    error_message = "viewers must use TLS 1.2+"
  }

  assert {
    condition     = length(aws_route53_record.validation) == 2 && length(aws_route53_record.api) == 2
    error_message = "validation records for api. and api-origin., and A/AAAA aliases for the API"
  }

  assert {
    condition     = output.origin_host == "api-origin.dev.bloody-sweet.example.com" && one(aws_cloudfront_distribution.api.origin).domain_name == output.origin_host
    error_message = "CloudFront's origin must be API Gateway's custom domain api-origin.<domain>, not the execute-api endpoint"
  }

  assert {
    condition     = aws_acm_certificate.regional.domain_name == output.api_host && aws_acm_certificate.regional.subject_alternative_names == toset([output.origin_host])
    error_message = "the regional certificate covers the ALB's name and the API's custom domain"
  }
}

run "cloudfront_sends_the_origin_verify_secret" {
  command = plan

  assert {
    condition     = data.aws_secretsmanager_secret_version.origin_verify.secret_id == "bloody-sweet/dev/edge/origin-verify" && output.origin_verify_secret_name == "bloody-sweet/dev/edge/origin-verify"
    error_message = "the secret is read by its conventional name, the one the edge authorizer reads"
  }

  assert {
    condition     = one(one(aws_cloudfront_distribution.api.origin).custom_header).name == "X-Origin-Verify"
    error_message = "CloudFront must send exactly one custom header to the origin: X-Origin-Verify"
  }

  assert {
    condition     = one(one(aws_cloudfront_distribution.api.origin).custom_header).value == data.aws_secretsmanager_secret_version.origin_verify.secret_string
    error_message = "the header's value must be the secret's AWSCURRENT value"
  }
}

run "rejects_a_short_origin_verify_secret" {
  command = plan

  override_data {
    target = data.aws_secretsmanager_secret_version.origin_verify
    values = {
      secret_string = "changeme"
    }
  }

  expect_failures = [data.aws_secretsmanager_secret_version.origin_verify]
}

run "rejects_a_bad_secret_name" {
  command = plan

  variables {
    origin_verify_secret_name = "has spaces"
  }

  expect_failures = [var.origin_verify_secret_name]
}

run "prod_serves_the_apex_domain" {
  command = plan

  variables {
    environment = "prod"
  }

  assert {
    condition     = output.api_host == "api.bloody-sweet.example.com"
    error_message = "prod must serve api.bloody-sweet.example.com"
  }
}

run "rejects_low_rate_limit" {
  command = plan

  variables {
    rate_limit_per_5min = 10
  }

  expect_failures = [var.rate_limit_per_5min]
}
