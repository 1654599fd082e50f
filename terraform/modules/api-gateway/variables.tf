variable "name" {
  description = "Name of the HTTP API, e.g. bloody-sweet-dev."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,47}$", var.name))
    error_message = "name must be 3-48 lowercase letters, digits or dashes, starting with a letter (the authorizer function <name>-edge-authorizer must fit Lambda's 64 characters)."
  }
}

variable "subnet_ids" {
  description = "Private subnet IDs of the VPC link (those of the internal ALB)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2 && alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "subnet_ids must list at least two subnet IDs (subnet-...)."
  }
}

variable "vpc_link_security_group_id" {
  description = "Security group of the VPC link: the only source the ALB's security group admits (modules/alb)."
  type        = string

  validation {
    condition     = can(regex("^sg-[0-9a-f]+$", var.vpc_link_security_group_id))
    error_message = "vpc_link_security_group_id must be a security group ID (sg-...)."
  }
}

variable "ingress_alb" {
  description = "The ALB the AWS Load Balancer Controller created for the Ingress group: found by the controller's tags elbv2.k8s.aws/cluster = cluster_name and ingress.k8s.aws/stack = group, and required to be internal and to carry security_group_id (the Ingress annotations)."
  type = object({
    cluster_name      = string
    group             = string
    security_group_id = string
  })

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,99}$", var.ingress_alb.cluster_name)) && can(regex("^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$", var.ingress_alb.group))
    error_message = "ingress_alb.cluster_name must be an EKS cluster name and ingress_alb.group an Ingress group name (alb.ingress.kubernetes.io/group.name: lowercase letters, digits, - and ., at most 63)."
  }

  validation {
    condition     = can(regex("^sg-[0-9a-f]+$", var.ingress_alb.security_group_id))
    error_message = "ingress_alb.security_group_id must be a security group ID (sg-...)."
  }
}

variable "alb_server_name" {
  description = "Host name the ALB's certificate names (api.<domain>), verified by API Gateway over TLS."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9-]+\\.)+[a-z]{2,}$", var.alb_server_name))
    error_message = "alb_server_name must be a DNS name such as api.dev.bloody-sweet.example.com."
  }
}

variable "domain_name" {
  description = "Custom domain of the API, CloudFront's origin (api-origin.<domain>)."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9-]+\\.)+[a-z]{2,}$", var.domain_name))
    error_message = "domain_name must be a DNS name such as api-origin.dev.bloody-sweet.example.com."
  }
}

variable "certificate_arn" {
  description = "Regional ACM certificate covering domain_name."
  type        = string

  validation {
    condition     = can(regex("^arn:aws:acm:[a-z0-9-]+:[0-9]{12}:certificate/.+$", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN."
  }
}

variable "zone_id" {
  description = "Route 53 zone that gets the alias record of domain_name."
  type        = string

  validation {
    condition     = can(regex("^Z[A-Z0-9]{1,31}$", var.zone_id))
    error_message = "zone_id must be a Route 53 hosted zone ID such as Z0123456789ABCDEFGHIJ."
  }
}

variable "jwt_issuer" {
  description = "Issuer of the customers' access tokens (the iss claim): an https URL, e.g. a Cognito user pool https://cognito-idp.<region>.amazonaws.com/<pool id> or an external IdP. The edge authorizer fetches its keys from the jwks_uri of <issuer>/.well-known/openid-configuration (or jwks_url)."
  type        = string

  validation {
    condition     = can(regex("^https://[a-z0-9.-]+\\.[a-z]{2,}(:[0-9]+)?(/[A-Za-z0-9._~%/-]*)?$", var.jwt_issuer))
    error_message = "jwt_issuer must be an https URL without query or fragment, such as https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123."
  }
}

variable "jwt_audiences" {
  description = "Accepted audiences (the aud claim, or client_id for Cognito access tokens): at least one."
  type        = list(string)

  validation {
    condition     = length(var.jwt_audiences) >= 1 && length(var.jwt_audiences) <= 50 && alltrue([for a in var.jwt_audiences : length(trimspace(a)) > 0 && a == trimspace(a)])
    error_message = "jwt_audiences must list 1 to 50 non-empty audiences without surrounding spaces."
  }
}

variable "routes" {
  description = "The customer routes (\"METHOD /path\") and the OAuth scopes each requires besides a valid token; every one is behind the edge authorizer, which admits a token for a route with scopes only if it carries one of them. Health, readiness and metrics paths are never routed."
  type = map(object({
    authorization_scopes = optional(list(string), [])
  }))
  # Not the status streams (GET /v1/orders/{id}/stream, GET /v1/stream): Server-Sent
  # Events cannot pass an HTTP API (it buffers the whole response and ends it at 30 s),
  # so CloudFront sends them to the ALB directly (module waf-cdn-acm-route53) and the
  # notification service verifies their bearer JWT and scope itself.
  default = {
    "POST /v1/orders"             = {}
    "GET /v1/orders"              = {}
    "GET /v1/orders/{id}"         = {}
    "POST /v1/orders/{id}/cancel" = {}
    "POST /v1/orders/{id}/revise" = {}
  }

  validation {
    condition     = length(var.routes) > 0 && alltrue([for k in keys(var.routes) : can(regex("^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) /v[0-9]+(/[A-Za-z0-9_{}+.-]+)*$", k))])
    error_message = "routes keys must be \"METHOD /v<N>/path\" (no $default route): only the versioned API is exposed."
  }

  validation {
    condition     = alltrue([for k in keys(var.routes) : !can(regex("/(healthz|readyz|livez|metrics)(/|$)", k))])
    error_message = "routes must not expose /healthz, /readyz, /livez or /metrics."
  }

  validation {
    condition     = alltrue([for k in keys(var.routes) : !can(regex("^[A-Z]+ /v[0-9]+(/orders/[^/]+)?/stream$", k))])
    error_message = "routes must not include the status streams (/v1/stream, /v1/orders/{id}/stream): API Gateway buffers responses and ends them at 30 s, so CloudFront sends them to the ALB directly."
  }
}

variable "jwks_url" {
  description = "JWKS of the issuer, when it is not the jwks_uri of <jwt_issuer>/.well-known/openid-configuration; null: discovered from the issuer."
  type        = string
  default     = null

  validation {
    condition     = var.jwks_url == null || can(regex("^https://[a-z0-9.-]+\\.[a-z]{2,}(:[0-9]+)?(/[A-Za-z0-9._~%/-]*)?$", var.jwks_url))
    error_message = "jwks_url must be an https URL without query or fragment."
  }
}

variable "origin_verify_secret_arn" {
  description = "ARN of the Secrets Manager secret whose value CloudFront sends as X-Origin-Verify (module waf-cdn-acm-route53; created out of band, see terraform/README.md \"Edge\"). The authorizer admits its AWSCURRENT and AWSPREVIOUS values, and its role may read this secret only."
  type        = string

  validation {
    condition     = can(regex("^arn:aws:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+$", var.origin_verify_secret_arn))
    error_message = "origin_verify_secret_arn must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<suffix>)."
  }
}

variable "origin_verify_cache_seconds" {
  description = "How long the authorizer caches the secret's values: after a rotation, wait at least this long before CloudFront sends the new value."
  type        = number
  default     = 300

  validation {
    condition     = var.origin_verify_cache_seconds >= 10 && var.origin_verify_cache_seconds <= 3600 && floor(var.origin_verify_cache_seconds) == var.origin_verify_cache_seconds
    error_message = "origin_verify_cache_seconds must be a whole number of seconds from 10 to 3600."
  }
}

variable "authorizer_cache_ttl_seconds" {
  description = "How long API Gateway caches an authorizer answer, keyed on Authorization, X-Origin-Verify and the route: a token refused or admitted is not re-checked within it (token expiry included)."
  type        = number
  default     = 300

  validation {
    condition     = var.authorizer_cache_ttl_seconds >= 1 && var.authorizer_cache_ttl_seconds <= 3600 && floor(var.authorizer_cache_ttl_seconds) == var.authorizer_cache_ttl_seconds
    error_message = "authorizer_cache_ttl_seconds must be a whole number of seconds from 1 to 3600 (the cache is what keys it on the identity sources)."
  }
}

variable "authorizer_s3_bucket" {
  description = "S3 bucket holding the authorizer's release zips (.github/workflows/release.yml uploads them), in the API's region."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.authorizer_s3_bucket)) && !strcontains(var.authorizer_s3_bucket, "..")
    error_message = "authorizer_s3_bucket must be an S3 bucket name (3-63 lowercase letters, digits, dots or dashes)."
  }
}

variable "authorizer_s3_key" {
  description = "Key of the authorizer's zip in that bucket: edge-authorizer/<version>.zip, as the release workflow names it (a bootstrap binary for provided.al2023 on arm64)."
  type        = string

  validation {
    condition     = can(regex("^edge-authorizer/[A-Za-z0-9][A-Za-z0-9._-]*\\.zip$", var.authorizer_s3_key))
    error_message = "authorizer_s3_key must be edge-authorizer/<version>.zip."
  }
}

variable "throttling_burst_limit" {
  description = "Burst limit of the default route settings."
  type        = number
  default     = 500

  validation {
    condition     = var.throttling_burst_limit >= 1 && var.throttling_burst_limit <= 5000
    error_message = "throttling_burst_limit must be between 1 and 5000."
  }
}

variable "throttling_rate_limit" {
  description = "Steady requests per second of the default route settings."
  type        = number
  default     = 1000

  validation {
    condition     = var.throttling_rate_limit >= 1 && var.throttling_rate_limit <= 10000
    error_message = "throttling_rate_limit must be between 1 and 10000."
  }
}

variable "log_retention_days" {
  description = "Days the access logs are kept."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)."
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
