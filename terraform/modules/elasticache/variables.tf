variable "name" {
  description = "Replication group ID, e.g. bloody-sweet-dev."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,39}$", var.name))
    error_message = "name must be 3-40 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "engine_version" {
  description = "Redis OSS engine version."
  type        = string
  default     = "7.1"

  validation {
    condition     = can(regex("^7\\.[0-9]+$", var.engine_version))
    error_message = "engine_version must be a Redis 7 version such as 7.1."
  }
}

variable "node_type" {
  description = "Cache node type, Graviton families only (cache.t4g.small, cache.r7g.large, ...)."
  type        = string

  validation {
    condition     = can(regex("^cache\\.(t4g|m6g|m7g|r6g|r7g)\\.(micro|small|medium|large|[0-9]*xlarge)$", var.node_type))
    error_message = "node_type must be a Graviton ElastiCache node type such as cache.t4g.small or cache.r7g.large."
  }
}

variable "replicas" {
  description = "Read replicas besides the primary; at least one enables automatic failover across AZs."
  type        = number
  default     = 1

  validation {
    condition     = var.replicas >= 0 && var.replicas <= 5
    error_message = "replicas must be between 0 and 5."
  }
}

variable "vpc_id" {
  description = "ID of the VPC."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must be a VPC ID such as vpc-0123456789abcdef0."
  }
}

variable "subnet_ids" {
  description = "Intra subnet IDs for the cache subnet group."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2 && alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "subnet_ids must list at least two subnet IDs (subnet-...)."
  }
}

variable "client_cidrs" {
  description = "CIDRs allowed to connect on 6379 (the private subnets)."
  type        = list(string)

  validation {
    condition     = length(var.client_cidrs) > 0 && alltrue([for c in var.client_cidrs : can(cidrnetmask(c))])
    error_message = "client_cidrs must list at least one valid IPv4 CIDR."
  }
}

variable "app_user" {
  description = "Name of the ElastiCache user the services authenticate as with IAM."
  type        = string
  default     = "orders"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,39}$", var.app_user)) && var.app_user != "default"
    error_message = "app_user must be a lowercase name other than default."
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
