locals {
  domain   = var.environment == "prod" ? var.base_domain : "${var.environment}.${var.base_domain}"
  api_host = "api.${local.domain}"
  # CloudFront's origin: API Gateway's custom domain (the default execute-api
  # endpoint is disabled). CloudFront sends this name as Host (the
  # AllViewerExceptHostHeader policy), which is how API Gateway picks the API.
  origin_host = "api-origin.${local.domain}"

  # The shared secret CloudFront sends to the origin as X-Origin-Verify; the edge
  # authorizer (modules/api-gateway) refuses requests without it, so nobody reaches
  # api-origin.<domain> around CloudFront and WAF. Created once out of band
  # (terraform/README.md, "Edge": bootstrap), rotated in Secrets Manager.
  origin_verify_secret_name = coalesce(var.origin_verify_secret_name, "bloody-sweet/${var.environment}/edge/origin-verify")

  # The status streams (Server-Sent Events of the notification service). API Gateway
  # HTTP APIs buffer the whole response and end every integration at 30 s, so an SSE
  # stream through them never delivers an event: these paths go from CloudFront to the
  # internal ALB through a VPC origin. The notification service verifies the bearer
  # JWT itself on both (issuer, audiences and JWKS from its connections secret), and
  # the web ACL covers every behavior of the distribution, these included.
  stream_paths     = ["/v1/stream", "/v1/orders/*/stream"]
  stream_origin_id = "notification-streams"

  # Managed policies. CachingDisabled: nothing of the API is cached. AllViewer sends
  # every viewer header, the query string and the cookies to the origin: Authorization
  # (CloudFront forwards it from an origin request policy only when caching is
  # disabled; otherwise it must be part of the cache key), Last-Event-ID (an SSE
  # client's reconnect) and Host = api.<domain>, the name on the ALB's certificate,
  # against which CloudFront verifies the origin when the Host header is forwarded.
  caching_disabled_policy_id = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
  all_viewer_policy_id       = "216adef6-5c7f-47e4-b989-5492eafa07d3"

  managed_rule_groups = {
    AWSManagedRulesCommonRuleSet          = 10
    AWSManagedRulesKnownBadInputsRuleSet  = 20
    AWSManagedRulesAmazonIpReputationList = 30
  }
}

# AWSCURRENT. Terraform cannot generate it here (no random provider), and a value it
# generated would be in the configuration's history; it is in this stage's state,
# which is encrypted and access controlled like every secret the state holds.
data "aws_secretsmanager_secret_version" "origin_verify" {
  secret_id = local.origin_verify_secret_name

  lifecycle {
    postcondition {
      condition     = length(self.secret_string) >= 32 && length(self.secret_string) <= 1024 && can(regex("^[A-Za-z0-9_-]+$", self.secret_string))
      error_message = "The origin-verify secret ${local.origin_verify_secret_name} must be 32 to 1024 letters, digits, _ or - (a header value CloudFront sends verbatim): create it with the bootstrap step in terraform/README.md, \"Edge\"."
    }
  }
}

resource "aws_route53_zone" "this" {
  name    = local.domain
  comment = "bloody-sweet ${var.environment}"
  tags    = var.tags
}

resource "aws_acm_certificate" "api" {
  provider = aws.us_east_1

  domain_name       = local.api_host
  validation_method = "DNS"
  tags              = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

# Keyed by the names the certificates cover, which are known before apply; the record
# values come from AWS and are looked up per name. ACM validates one name with the
# same record in every region, so the regional certificate's options serve both.
resource "aws_route53_record" "validation" {
  for_each = toset([local.api_host, local.origin_host])

  zone_id = aws_route53_zone.this.zone_id
  name    = one([for o in aws_acm_certificate.regional.domain_validation_options : o.resource_record_name if o.domain_name == each.key])
  type    = one([for o in aws_acm_certificate.regional.domain_validation_options : o.resource_record_type if o.domain_name == each.key])
  records = [one([for o in aws_acm_certificate.regional.domain_validation_options : o.resource_record_value if o.domain_name == each.key])]
  ttl     = 60
}

resource "aws_acm_certificate_validation" "api" {
  provider = aws.us_east_1

  certificate_arn         = aws_acm_certificate.api.arn
  validation_record_fqdns = [aws_route53_record.validation[local.api_host].fqdn]
}

# In the API's own region: api.<domain> for the internal ALB's HTTPS listener (the
# Load Balancer Controller finds it by the Ingress's TLS host; API Gateway verifies
# the ALB presents that name) and api-origin.<domain> for API Gateway's custom domain.
resource "aws_acm_certificate" "regional" {
  domain_name               = local.api_host
  subject_alternative_names = [local.origin_host]
  validation_method         = "DNS"
  tags                      = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_acm_certificate_validation" "regional" {
  certificate_arn         = aws_acm_certificate.regional.arn
  validation_record_fqdns = [for r in aws_route53_record.validation : r.fqdn]
}

resource "aws_wafv2_web_acl" "this" {
  provider = aws.us_east_1

  name  = "bloody-sweet-${var.environment}"
  scope = "CLOUDFRONT"

  default_action {
    allow {}
  }

  # Rules as JSON (the WAF API's own shape): the rule statement is a recursive block
  # that the offline test schema cannot describe, and rule_json is equally supported.
  rule_json = jsonencode(concat(
    [{
      Name     = "rate-limit-per-ip"
      Priority = 1
      Action   = { Block = {} }
      Statement = {
        RateBasedStatement = { Limit = var.rate_limit_per_5min, AggregateKeyType = "IP" }
      }
      VisibilityConfig = {
        CloudWatchMetricsEnabled = true
        SampledRequestsEnabled   = true
        MetricName               = "rate-limit-per-ip"
      }
    }],
    [for name, priority in local.managed_rule_groups : {
      Name           = name
      Priority       = priority
      OverrideAction = { None = {} }
      Statement = {
        ManagedRuleGroupStatement = { VendorName = "AWS", Name = name }
      }
      VisibilityConfig = {
        CloudWatchMetricsEnabled = true
        SampledRequestsEnabled   = true
        MetricName               = name
      }
    }],
  ))

  visibility_config {
    cloudwatch_metrics_enabled = true
    sampled_requests_enabled   = true
    metric_name                = "bloody-sweet-${var.environment}"
  }

  tags = var.tags
}

# CloudFront's connection into the VPC: it places its own network interfaces in the
# ALB's subnets (the ALB's security group admits them on 443: modules/alb).
resource "aws_cloudfront_vpc_origin" "streams" {
  count = var.stream_origin == null ? 0 : 1

  vpc_origin_endpoint_config {
    name                   = "bloody-sweet-${var.environment}-streams"
    arn                    = var.stream_origin.alb_arn
    http_port              = 80
    https_port             = 443
    origin_protocol_policy = "https-only"

    origin_ssl_protocols {
      items    = ["TLSv1.2"]
      quantity = 1
    }
  }

  tags = var.tags
}

resource "aws_cloudfront_distribution" "api" {
  enabled         = true
  comment         = "bloody-sweet ${var.environment} API"
  aliases         = [local.api_host]
  price_class     = var.price_class
  web_acl_id      = aws_wafv2_web_acl.this.arn
  is_ipv6_enabled = true
  http_version    = "http2and3"

  origin {
    origin_id   = "api-gateway"
    domain_name = local.origin_host

    # Proof the request came through CloudFront (and so through WAF). CloudFront
    # overwrites a viewer's header of the same name, so a viewer cannot supply it.
    custom_header {
      name  = "X-Origin-Verify"
      value = data.aws_secretsmanager_secret_version.origin_verify.secret_string
    }

    custom_origin_config {
      http_port              = 80
      https_port             = 443
      origin_protocol_policy = "https-only"
      origin_ssl_protocols   = ["TLSv1.2"]
      origin_read_timeout    = 60 # API Gateway itself ends an integration at 30 s
    }
  }

  dynamic "origin" {
    for_each = aws_cloudfront_vpc_origin.streams
    content {
      origin_id = local.stream_origin_id
      # The ALB's own name; the TLS name CloudFront verifies is the forwarded Host,
      # api.<domain> (AllViewer), which the ALB's certificate covers.
      domain_name = var.stream_origin.alb_dns_name

      vpc_origin_config {
        vpc_origin_id = origin.value.id
        # The notification service writes an SSE comment (": keep-alive") every 15 s
        # (services/notification/ports/sse.go, Heartbeat) on an idle stream, so a
        # healthy stream is never silent for 15 s; CloudFront gives up on a read after
        # 60 s (four missed heartbeats; 60 s is the most without a quota increase) and
        # keeps an idle connection to the ALB 60 s (the most it allows), both above 15 s.
        origin_read_timeout      = 60
        origin_keepalive_timeout = 60
      }
    }
  }

  # The streams, ahead of the default behavior (API Gateway). GET and HEAD only.
  dynamic "ordered_cache_behavior" {
    for_each = var.stream_origin == null ? [] : local.stream_paths
    content {
      path_pattern             = ordered_cache_behavior.value
      target_origin_id         = local.stream_origin_id
      viewer_protocol_policy   = "https-only"
      allowed_methods          = ["GET", "HEAD"]
      cached_methods           = ["GET", "HEAD"]
      compress                 = false # each event must leave as soon as it is written
      cache_policy_id          = local.caching_disabled_policy_id
      origin_request_policy_id = local.all_viewer_policy_id
    }
  }

  default_cache_behavior {
    target_origin_id       = "api-gateway"
    viewer_protocol_policy = "redirect-to-https"
    allowed_methods        = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
    cached_methods         = ["GET", "HEAD"]
    compress               = true
    # Managed policies: CachingDisabled and AllViewerExceptHostHeader (an API is not cached).
    cache_policy_id          = local.caching_disabled_policy_id
    origin_request_policy_id = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    acm_certificate_arn      = aws_acm_certificate_validation.api.certificate_arn
    ssl_support_method       = "sni-only"
    minimum_protocol_version = "TLSv1.2_2021"
  }

  tags = var.tags
}

resource "aws_route53_record" "api" {
  for_each = toset(["A", "AAAA"])

  zone_id = aws_route53_zone.this.zone_id
  name    = local.api_host
  type    = each.value

  alias {
    name                   = aws_cloudfront_distribution.api.domain_name
    zone_id                = aws_cloudfront_distribution.api.hosted_zone_id
    evaluate_target_health = false
  }
}
