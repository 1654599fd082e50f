variable "environment" {
  description = "Environment name: dev, staging or prod."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be one of dev, staging, prod."
  }
}

variable "account_id" {
  description = "AWS account of the roles and the MSK cluster."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account ID."
  }
}

variable "region" {
  description = "AWS region of the MSK cluster."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "oidc_provider_arn" {
  description = "ARN of the cluster's IAM OIDC provider."
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

variable "msk_cluster_name" {
  description = "Name of the MSK cluster the services use."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,63}$", var.msk_cluster_name))
    error_message = "msk_cluster_name must be an MSK cluster name (lowercase letters, digits, dashes)."
  }
}

variable "services" {
  description = "Per service: the topics it produces to and consumes from (docs/CONTRACTS.md). A consumer may also write the .dlq of what it consumes."
  type = map(object({
    produces = list(string)
    consumes = list(string)
  }))

  validation {
    condition     = alltrue([for s in keys(var.services) : can(regex("^[a-z][a-z0-9-]{1,30}$", s))])
    error_message = "service names must be lowercase letters, digits and dashes."
  }

  validation {
    condition     = alltrue(flatten([for s in values(var.services) : [for t in concat(s.produces, s.consumes) : can(regex("^[a-z]+\\.events\\.v[0-9]+$", t))]]))
    error_message = "topics must be named <producer>.events.v<N>, e.g. order.events.v1."
  }
}

variable "redis" {
  description = "The ElastiCache replication group and IAM-enabled user, and the services that connect to it (they get elasticache:Connect on both). null: no service uses Redis."
  type = object({
    replication_group_arn = string
    user_arn              = string
    services              = list(string)
  })
  default = null

  validation {
    condition     = var.redis == null || alltrue([for s in try(var.redis.services, []) : contains(keys(var.services), s)])
    error_message = "redis.services must name services of var.services."
  }
}

variable "database" {
  description = "The RDS instance's resource id and the services with a database: each may rds-db:connect as its own user <service>_svc only (docs/CONTRACTS.md, Connection Secrets). null: no service uses the database."
  type = object({
    resource_id = string
    services    = list(string)
  })
  default = null

  validation {
    condition     = var.database == null || alltrue([for s in try(var.database.services, []) : contains(keys(var.services), s)])
    error_message = "database.services must name services of var.services."
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
