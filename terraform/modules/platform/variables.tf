variable "environment" {
  description = "Environment name: dev, staging or prod."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be one of dev, staging, prod."
  }
}

variable "account_id" {
  description = "AWS account of the environment (docs/CONTRACTS.md: 123456789012)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account ID."
  }
}

variable "region" {
  description = "AWS region of the environment (docs/CONTRACTS.md: eu-west-1)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "owner" {
  description = "Team that owns the environment (the owner tag)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,62}$", var.owner))
    error_message = "owner must be a lowercase team name."
  }
}

variable "cost_center" {
  description = "Cost center billed for the environment (the cost-center tag), e.g. cc-1234."
  type        = string

  validation {
    condition     = can(regex("^cc-[0-9]{4}$", var.cost_center))
    error_message = "cost_center must look like cc-1234."
  }
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the environment's VPC (a /16; environments must not overlap)."
  type        = string

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr)) && endswith(var.vpc_cidr, "/16")
    error_message = "vpc_cidr must be a valid IPv4 /16 CIDR block such as 10.10.0.0/16."
  }
}

variable "services" {
  description = "The order services and the topics each produces and consumes (docs/CONTRACTS.md)."
  type = map(object({
    produces = list(string)
    consumes = list(string)
  }))
  default = {
    order        = { produces = ["order.events.v1"], consumes = ["payment.events.v1", "store.events.v1", "delivery.events.v1", "eta.events.v1"] }
    payment      = { produces = ["payment.events.v1"], consumes = ["order.events.v1", "store.events.v1"] }
    store        = { produces = ["store.events.v1"], consumes = ["payment.events.v1"] }
    delivery     = { produces = ["delivery.events.v1"], consumes = ["store.events.v1"] }
    eta          = { produces = ["eta.events.v1"], consumes = ["order.events.v1", "store.events.v1", "delivery.events.v1"] }
    notification = { produces = [], consumes = ["order.events.v1", "payment.events.v1", "store.events.v1", "delivery.events.v1", "eta.events.v1"] }
  }

  validation {
    condition     = length(var.services) > 0 && alltrue(flatten([for s in values(var.services) : [for t in concat(s.produces, s.consumes) : can(regex("^[a-z]+\\.events\\.v[0-9]+$", t))]]))
    error_message = "services must name at least one service, and topics must be named <producer>.events.v<N>."
  }
}

variable "database_services" {
  description = "The services that keep state in PostgreSQL: their connections secret also holds the database facts (the CUE services with a DATABASE_URL; terraform/test checks they agree)."
  type        = set(string)
  default     = ["order", "payment", "store", "delivery", "eta"]

  validation {
    condition     = alltrue([for s in var.database_services : contains(keys(var.services), s)])
    error_message = "database_services must name services of var.services."
  }
}

variable "token_services" {
  description = "The services that verify the customers' bearer JWTs themselves (the CUE services with an AUTH_ISSUER): their connections secret also holds the user pool's issuer, audiences and JWKS URL. The order API acts for the token's subject and the notification streams bypass API Gateway, so neither trusts a forwarded header."
  type        = set(string)
  default     = ["notification", "order"]

  validation {
    condition     = alltrue([for s in var.token_services : contains(keys(var.services), s)])
    error_message = "token_services must name services of var.services."
  }
}

variable "redis_services" {
  description = "The services that use Redis (the CUE services with a REDIS_URL): their IRSA roles may connect to the cache as the IAM-enabled app user."
  type        = set(string)
  default     = ["eta", "notification"]

  validation {
    condition     = alltrue([for s in var.redis_services : contains(keys(var.services), s)])
    error_message = "redis_services must name services of var.services."
  }
}

variable "sizes" {
  description = "Sizes of the environment: every number that differs between dev, staging and prod."
  type = object({
    nat_gateway_per_az = bool
    node_groups = map(object({
      instance_types = list(string)
      capacity_type  = optional(string, "ON_DEMAND")
      min_size       = number
      desired_size   = number
      max_size       = number
    }))
    msk_broker_instance_type = string
    msk_broker_count         = number
    msk_broker_volume_gb     = number
    rds_instance_class       = string
    rds_multi_az             = bool
    rds_storage_gb           = number
    backup_retention_days    = number
    redis_node_type          = string
    redis_replicas           = number
    docdb_instance_class     = string
    docdb_instances          = number
    log_retention_days       = number
    loki_retention_days      = number
  })

  validation {
    condition     = var.sizes.msk_broker_count % 3 == 0 && var.sizes.backup_retention_days >= 1 && var.sizes.backup_retention_days <= 35 && var.sizes.redis_replicas >= 0 && var.sizes.docdb_instances >= 1
    error_message = "sizes: msk_broker_count must be a multiple of 3 (one per AZ), backup_retention_days 1-35, docdb_instances at least 1."
  }
}

variable "deletion_protection" {
  description = "Protect the data stores from deletion."
  type        = bool
}

variable "autoscaler" {
  description = "Node autoscaler: karpenter or cluster-autoscaler."
  type        = string
  default     = "karpenter"

  validation {
    condition     = contains(["karpenter", "cluster-autoscaler"], var.autoscaler)
    error_message = "autoscaler must be karpenter or cluster-autoscaler."
  }
}

variable "eks_public_access_cidrs" {
  description = "CIDRs allowed to reach the public Kubernetes API endpoint (empty: private only)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.eks_public_access_cidrs : can(cidrnetmask(c)) && c != "0.0.0.0/0"])
    error_message = "eks_public_access_cidrs must be valid IPv4 CIDRs other than 0.0.0.0/0."
  }
}

variable "bastion_ami_id" {
  description = "AMI of the SSM bastion; null creates no bastion."
  type        = string
  default     = null

  validation {
    condition     = var.bastion_ami_id == null || can(regex("^ami-[0-9a-f]{8,17}$", var.bastion_ami_id))
    error_message = "bastion_ami_id must be null or an AMI ID such as ami-0123456789abcdef0."
  }
}

variable "identity_threat_protection" {
  description = "Cognito threat protection of the customers' user pool (module identity): AUDIT only records risky sign-ins, ENFORCED also blocks them."
  type        = string
  default     = "ENFORCED"

  validation {
    condition     = contains(["AUDIT", "ENFORCED"], var.identity_threat_protection)
    error_message = "identity_threat_protection must be AUDIT or ENFORCED."
  }
}
