variable "environment" {
  description = "Environment name: dev, staging or prod."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be one of dev, staging, prod."
  }
}

variable "account_id" {
  description = "AWS account of the secrets, the database and the operator's role."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account ID."
  }
}

variable "region" {
  description = "AWS region of the secrets and the database."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "services" {
  description = "The services that get a connections secret; database says whether the service keeps state in PostgreSQL (its secret then also holds the database facts), verifies_tokens whether it verifies the customers' bearer JWTs itself (its secret then also holds the token issuer's facts, var.token_issuer)."
  type = map(object({
    database        = bool
    verifies_tokens = optional(bool, false)
  }))

  validation {
    condition     = length(var.services) > 0 && alltrue([for s in keys(var.services) : can(regex("^[a-z][a-z0-9-]{1,30}$", s))])
    error_message = "services must name at least one service; names are lowercase letters, digits and dashes."
  }
}

variable "token_issuer" {
  description = "The customers' token issuer (the Cognito user pool, module identity) for the services with verifies_tokens: its issuer URL, the audiences it accepts (the pool's client IDs) and its JWKS URL; null when no service verifies tokens."
  type = object({
    issuer    = string
    audiences = list(string)
    jwks_url  = string
  })
  default = null

  validation {
    condition     = var.token_issuer == null || (startswith(try(var.token_issuer.issuer, ""), "https://") && startswith(try(var.token_issuer.jwks_url, ""), "https://") && length(try(var.token_issuer.audiences, [])) > 0)
    error_message = "token_issuer needs an https:// issuer and JWKS URL and at least one audience."
  }
}

variable "kafka_brokers" {
  description = "Bootstrap brokers of the MSK IAM-over-TLS listener (comma-separated host:9098), the services' KAFKA_BROKERS."
  type        = string
}

variable "database" {
  description = "The PostgreSQL instance: host, port and database name, and its identifier (RDS tags the master user secret it manages with the instance ARN built from it). The password never passes through Terraform."
  type = object({
    identifier = string
    host       = string
    port       = number
    name       = string
  })

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,62}$", var.database.identifier))
    error_message = "database.identifier must be an RDS instance identifier (lowercase letters, digits, dashes)."
  }
}

variable "redis" {
  description = "The Redis primary endpoint and the user the services authenticate as (IAM auth tokens, no password)."
  type = object({
    host = string
    port = number
    user = string
  })
}

variable "oidc_provider_arn" {
  description = "ARN of the cluster's IAM OIDC provider (trusted by the External Secrets Operator's role)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws:iam::[0-9]{12}:oidc-provider/.+$", var.oidc_provider_arn))
    error_message = "oidc_provider_arn must be an IAM OIDC provider ARN."
  }
}

variable "oidc_issuer_host" {
  description = "OIDC issuer of the cluster without https://."
  type        = string

  validation {
    condition     = !startswith(var.oidc_issuer_host, "https://") && length(var.oidc_issuer_host) > 0
    error_message = "oidc_issuer_host must be the issuer without the https:// scheme."
  }
}

variable "operator_service_account" {
  description = "Namespace and name of the External Secrets Operator's controller service account, the only one the reader role trusts."
  type = object({
    namespace = string
    name      = string
  })
  default = {
    namespace = "external-secrets"
    name      = "external-secrets"
  }
}

variable "recovery_window_days" {
  description = "Days a deleted secret can still be restored (0 deletes at once)."
  type        = number
  default     = 7

  validation {
    condition     = var.recovery_window_days == 0 || (var.recovery_window_days >= 7 && var.recovery_window_days <= 30)
    error_message = "recovery_window_days must be 0 or between 7 and 30 (Secrets Manager's limits)."
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
