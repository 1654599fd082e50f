variable "environment" {
  description = "Environment name: dev, staging or prod (prod serves the apex domain)."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be one of dev, staging, prod."
  }
}

variable "base_domain" {
  description = "Parent domain; the public domain is <env>.<base_domain>, or <base_domain> in prod."
  type        = string
  default     = "bloody-sweet.example.com"

  validation {
    condition     = can(regex("^([a-z0-9-]+\\.)+[a-z]{2,}$", var.base_domain))
    error_message = "base_domain must be a lowercase DNS name such as bloody-sweet.example.com."
  }
}

variable "rate_limit_per_5min" {
  description = "Requests one client IP may send in five minutes before WAF blocks it."
  type        = number
  default     = 2000

  validation {
    condition     = var.rate_limit_per_5min >= 100 && var.rate_limit_per_5min <= 2000000000
    error_message = "rate_limit_per_5min must be at least 100 (the WAF minimum)."
  }
}

variable "price_class" {
  description = "CloudFront price class."
  type        = string
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.price_class)
    error_message = "price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "origin_verify_secret_name" {
  description = "Name of the Secrets Manager secret whose AWSCURRENT value CloudFront sends as X-Origin-Verify (created out of band, see terraform/README.md \"Edge\"); null means bloody-sweet/<environment>/edge/origin-verify, the name the edge stage's authorizer reads."
  type        = string
  default     = null

  validation {
    condition     = var.origin_verify_secret_name == null || can(regex("^[A-Za-z0-9/_+=.@-]{1,512}$", var.origin_verify_secret_name))
    error_message = "origin_verify_secret_name must be a Secrets Manager secret name (letters, digits and /_+=.@-, at most 512)."
  }
}

variable "tags" {
  description = "Tags on every resource; must include environment, owner and cost-center."
  type        = map(string)

  validation {
    condition     = alltrue([for k in ["environment", "owner", "cost-center"] : contains(keys(var.tags), k)])
    error_message = "tags must include the keys environment, owner and cost-center."
  }
}

variable "stream_origin" {
  description = "The internal ALB of the api services' Ingress group (created by the AWS Load Balancer Controller after the first sync): its ARN and DNS name. When set, the status streams (GET /v1/stream, GET /v1/orders/*/stream, Server-Sent Events) go from CloudFront to it directly through a CloudFront VPC origin, around API Gateway, which buffers responses and cuts them at 30 s; null (before the ALB exists) leaves them on the default behavior."
  type = object({
    alb_arn      = string
    alb_dns_name = string
  })
  default = null

  validation {
    condition     = var.stream_origin == null || can(regex("^arn:aws:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:loadbalancer/app/.+$", try(var.stream_origin.alb_arn, "")))
    error_message = "stream_origin.alb_arn must be the ARN of an application load balancer."
  }
}
