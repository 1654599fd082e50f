variable "name" {
  description = "Identifier of the database instance, e.g. bloody-sweet-dev."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,62}$", var.name))
    error_message = "name must be 3-63 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "engine_version" {
  description = "PostgreSQL major version."
  type        = string
  default     = "16"

  validation {
    condition     = contains(["15", "16", "17"], var.engine_version)
    error_message = "engine_version must be a supported PostgreSQL major version: 15, 16 or 17."
  }
}

variable "instance_class" {
  description = "RDS instance class, Graviton families only (db.t4g.medium, db.r7g.large, ...)."
  type        = string

  validation {
    condition     = can(regex("^db\\.(t4g|m6g|m7g|r6g|r7g)\\.(micro|small|medium|large|[0-9]*xlarge)$", var.instance_class))
    error_message = "instance_class must be a Graviton RDS class such as db.t4g.medium or db.r7g.large."
  }
}

variable "multi_az" {
  description = "Run a synchronous standby in a second AZ (production)."
  type        = bool
  default     = false
}

variable "allocated_storage_gb" {
  description = "Initial storage in GiB; storage autoscaling may grow it to four times this."
  type        = number
  default     = 50

  validation {
    condition     = var.allocated_storage_gb >= 20 && var.allocated_storage_gb <= 16384
    error_message = "allocated_storage_gb must be between 20 and 16384."
  }
}

variable "backup_retention_days" {
  description = "Days automated backups are kept."
  type        = number
  default     = 7

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 35
    error_message = "backup_retention_days must be between 1 and 35 (0 would disable backups)."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the instance (on outside dev)."
  type        = bool
  default     = true
}

variable "database_name" {
  description = "Name of the database created on the instance."
  type        = string
  default     = "orders"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.database_name))
    error_message = "database_name must start with a letter and hold only lowercase letters, digits and underscores."
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
  description = "Intra subnet IDs for the DB subnet group."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must list at least two subnets (RDS requires two AZs)."
  }
}

variable "client_cidrs" {
  description = "CIDRs allowed to connect on 5432 (the private subnets)."
  type        = list(string)

  validation {
    condition     = length(var.client_cidrs) > 0 && alltrue([for c in var.client_cidrs : can(cidrnetmask(c))])
    error_message = "client_cidrs must list at least one valid IPv4 CIDR."
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
