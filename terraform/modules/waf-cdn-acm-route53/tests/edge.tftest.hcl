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

# Before the first sync there is no ALB: the streams stay on the default behavior.
run "no_stream_origin_without_the_alb" {
  command = plan

  assert {
    condition     = length(aws_cloudfront_vpc_origin.streams) == 0 && length(aws_cloudfront_distribution.api.ordered_cache_behavior) == 0 && length(output.stream_paths) == 0
    error_message = "without stream_origin there is no VPC origin and no stream behavior"
  }
}

# With the ingress ALB: the SSE streams go to it through a VPC origin, uncached, with
# the viewer's headers (Authorization, Last-Event-ID, Host) and query string.
run "streams_go_to_the_alb_through_a_vpc_origin" {
  command = apply

  variables {
    stream_origin = {
      alb_arn      = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/k8s-bloodysweet-0123456789/0123456789abcdef"
      alb_dns_name = "internal-k8s-bloodysweet-0123456789.eu-west-1.elb.amazonaws.com"
    }
  }

  assert {
    condition = (
      aws_cloudfront_vpc_origin.streams[0].vpc_origin_endpoint_config[0].arn == var.stream_origin.alb_arn &&
      aws_cloudfront_vpc_origin.streams[0].vpc_origin_endpoint_config[0].origin_protocol_policy == "https-only" &&
      aws_cloudfront_vpc_origin.streams[0].vpc_origin_endpoint_config[0].https_port == 443 &&
      aws_cloudfront_vpc_origin.streams[0].vpc_origin_endpoint_config[0].origin_ssl_protocols[0].items == toset(["TLSv1.2"])
    )
    error_message = "the VPC origin is the ALB, over HTTPS with TLS 1.2"
  }

  assert {
    condition = alltrue([for o in [one([for o in aws_cloudfront_distribution.api.origin : o if o.origin_id == "notification-streams"])] :
      o.domain_name == var.stream_origin.alb_dns_name &&
      o.vpc_origin_config[0].vpc_origin_id == aws_cloudfront_vpc_origin.streams[0].id &&
      o.vpc_origin_config[0].origin_read_timeout > 15 && o.vpc_origin_config[0].origin_keepalive_timeout > 15
    ]) && length(aws_cloudfront_distribution.api.origin) == 2
    error_message = "the distribution's stream origin is the VPC origin, with read and keep-alive timeouts above the 15 s SSE heartbeat"
  }

  assert {
    condition     = tolist([for b in aws_cloudfront_distribution.api.ordered_cache_behavior : b.path_pattern]) == tolist(["/v1/stream", "/v1/orders/*/stream"]) && output.stream_paths == tolist(["/v1/stream", "/v1/orders/*/stream"])
    error_message = "both stream paths have their own behavior"
  }

  assert {
    condition = alltrue([for b in aws_cloudfront_distribution.api.ordered_cache_behavior :
      b.target_origin_id == "notification-streams" &&
      b.allowed_methods == toset(["GET", "HEAD"]) &&
      b.cache_policy_id == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad" &&
      b.origin_request_policy_id == "216adef6-5c7f-47e4-b989-5492eafa07d3" &&
      b.viewer_protocol_policy == "https-only"
    ])
    error_message = "the stream behaviors: GET/HEAD to the VPC origin, CachingDisabled, AllViewer (Authorization, Last-Event-ID, query string, Host)"
  }

  assert {
    condition     = aws_cloudfront_distribution.api.web_acl_id == aws_wafv2_web_acl.this.arn && aws_cloudfront_distribution.api.default_cache_behavior[0].target_origin_id == "api-gateway"
    error_message = "the web ACL covers the whole distribution; everything else still goes to API Gateway"
  }
}

run "rejects_a_stream_origin_that_is_not_an_alb" {
  command = plan

  variables {
    stream_origin = {
      alb_arn      = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/k8s-nlb/0123456789abcdef"
      alb_dns_name = "k8s-nlb.elb.eu-west-1.amazonaws.com"
    }
  }

  expect_failures = [var.stream_origin]
}
