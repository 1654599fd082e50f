variable "environment" {
  description = "Environment name: dev, staging or prod."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be one of dev, staging, prod."
  }
}

variable "platform" {
  description = "The platform stage's outputs (terraform/live/<env>, module platform) that the edge is built on: subnets and security groups of the VPC link and ALB, the Ingress group, host names, certificate, zone, and the user pool's issuer, JWKS and audiences. The live root passes its remote state's outputs; other outputs are ignored."
  type = object({
    cluster_name               = string
    ingress_group              = string
    private_subnet_ids         = list(string)
    vpc_link_security_group_id = string
    alb_security_group_id      = string
    api_host                   = string
    api_origin_host            = string
    regional_certificate_arn   = string
    zone_id                    = string
    jwt_issuer                 = string
    jwks_url                   = string
    jwt_audiences              = list(string)
  })
}

variable "authorizer_version" {
  description = "Release of the edge authorizer to run (the tag without the v): the zip .github/workflows/release.yml uploaded to the artifacts bucket. Bump it to deploy a new one."
  type        = string

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.authorizer_version))
    error_message = "authorizer_version must be a release version such as 1.0.0 (no v)."
  }
}

variable "artifacts_bucket" {
  description = "S3 bucket the release workflow uploads the authorizer's zip to."
  type        = string
  default     = "bloody-sweet-release-artifacts"
}

variable "log_retention_days" {
  description = "Days the API's access logs are kept."
  type        = number
}

variable "tags" {
  description = "Tags on every resource; must include environment, owner and cost-center."
  type        = map(string)
}
