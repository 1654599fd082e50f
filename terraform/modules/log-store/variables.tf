variable "environment" {
  description = "Environment name: dev, staging or prod."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be one of dev, staging, prod."
  }
}

variable "account_id" {
  description = "AWS account of the bucket and the role; part of the bucket name, which is global."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account ID."
  }
}

variable "retention_days" {
  description = "How long Loki keeps logs (its compactor deletes older chunks, loki.limits_config.retention_period of the add-on in cue/config/addons.cue). The bucket's lifecycle rule expires objects 7 days later, as a backstop should the compactor stop."
  type        = number

  validation {
    condition     = var.retention_days >= 1 && var.retention_days <= 3650 && floor(var.retention_days) == var.retention_days
    error_message = "retention_days must be a whole number of days between 1 and 3650."
  }
}

variable "oidc_provider_arn" {
  description = "The cluster's IAM OIDC provider, which Loki's service account token is exchanged through (IRSA)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws:iam::[0-9]{12}:oidc-provider/.+$", var.oidc_provider_arn))
    error_message = "oidc_provider_arn must be an IAM OIDC provider ARN."
  }
}

variable "oidc_issuer_host" {
  description = "The cluster's OIDC issuer without https://, the prefix of the trust policy's condition keys."
  type        = string

  validation {
    condition     = !startswith(var.oidc_issuer_host, "https://") && length(var.oidc_issuer_host) > 0
    error_message = "oidc_issuer_host must be the issuer without the https:// scheme."
  }
}

variable "service_account" {
  description = "The Kubernetes service account Loki runs as (the add-on's irsa.serviceAccount in its namespace): the only one the role trusts."
  type = object({
    namespace = string
    name      = string
  })
  default = { namespace = "loki", name = "loki" }
}

variable "tags" {
  description = "Tags on every resource; must include environment, owner and cost-center."
  type        = map(string)

  validation {
    condition     = alltrue([for k in ["environment", "owner", "cost-center"] : contains(keys(var.tags), k)])
    error_message = "tags must include the keys environment, owner and cost-center."
  }
}
