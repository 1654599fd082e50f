output "domain" {
  description = "Public domain of the environment."
  value       = local.domain
}

output "api_host" {
  description = "Public host name of the API (api.<domain>)."
  value       = local.api_host
}

output "zone_id" {
  description = "Route 53 zone of the domain."
  value       = aws_route53_zone.this.zone_id
}

output "name_servers" {
  description = "Name servers to delegate the domain to."
  value       = aws_route53_zone.this.name_servers
}

output "distribution_id" {
  description = "ID of the CloudFront distribution."
  value       = aws_cloudfront_distribution.api.id
}

output "web_acl_arn" {
  description = "ARN of the WAF web ACL in front of the API."
  value       = aws_wafv2_web_acl.this.arn
}

output "origin_host" {
  description = "CloudFront's origin: the API Gateway custom domain api-origin.<domain> (the edge stage creates it and its DNS record)."
  value       = local.origin_host
}

output "regional_certificate_arn" {
  description = "Validated ACM certificate of api.<domain> and api-origin.<domain> in the provider's own region (the ALB listener and API Gateway's custom domain)."
  value       = aws_acm_certificate_validation.regional.certificate_arn
}

output "origin_verify_secret_name" {
  description = "Secrets Manager secret whose value CloudFront sends to the origin as X-Origin-Verify (the edge authorizer reads the same secret)."
  value       = local.origin_verify_secret_name
}

output "stream_vpc_origin_id" {
  description = "ID of the CloudFront VPC origin of the status streams (the internal ALB); null while stream_origin is null."
  value       = one(aws_cloudfront_vpc_origin.streams[*].id)
}

output "stream_paths" {
  description = "Path patterns CloudFront sends to the internal ALB directly (the SSE status streams); empty while stream_origin is null."
  value       = var.stream_origin == null ? [] : local.stream_paths
}
