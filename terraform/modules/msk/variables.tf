variable "name" {
  description = "Name of the MSK cluster, e.g. bloody-sweet-dev."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,63}$", var.name))
    error_message = "name must be 3-64 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "kafka_version" {
  description = "Apache Kafka version of the brokers."
  type        = string
  default     = "3.8.x"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.([0-9]+|x)$", var.kafka_version))
    error_message = "kafka_version must look like 3.8.x or 3.7.1."
  }
}

variable "broker_instance_type" {
  description = "Broker instance type (kafka.t3.small, kafka.m7g.large, ...)."
  type        = string

  validation {
    condition     = can(regex("^kafka\\.(t3\\.small|(m5|m7g)\\.(large|[0-9]*xlarge))$", var.broker_instance_type))
    error_message = "broker_instance_type must be an MSK broker type such as kafka.t3.small or kafka.m7g.large."
  }
}

variable "broker_count" {
  description = "Number of brokers, a multiple of the number of subnets."
  type        = number

  validation {
    condition     = var.broker_count >= 3 && var.broker_count <= 30
    error_message = "broker_count must be between 3 and 30."
  }
}

variable "broker_volume_gb" {
  description = "EBS volume size of each broker in GiB."
  type        = number
  default     = 100

  validation {
    condition     = var.broker_volume_gb >= 10 && var.broker_volume_gb <= 16384
    error_message = "broker_volume_gb must be between 10 and 16384."
  }
}

variable "vpc_id" {
  description = "ID of the VPC the brokers run in."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must be a VPC ID such as vpc-0123456789abcdef0."
  }
}

variable "subnet_ids" {
  description = "Intra subnet IDs for the brokers, one per AZ."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) == 3
    error_message = "subnet_ids must list three subnets, one per availability zone."
  }
}

variable "client_cidrs" {
  description = "CIDRs allowed to reach the brokers' IAM-authenticated TLS listener (the private subnets)."
  type        = list(string)

  validation {
    condition     = length(var.client_cidrs) > 0 && alltrue([for c in var.client_cidrs : can(cidrnetmask(c))])
    error_message = "client_cidrs must list at least one valid IPv4 CIDR."
  }
}

variable "partitions" {
  description = "Default partitions of a new topic (12 everywhere, as in docs/CONTRACTS.md)."
  type        = number
  default     = 12

  validation {
    condition     = var.partitions >= 1 && var.partitions <= 1000
    error_message = "partitions must be between 1 and 1000."
  }
}

variable "log_retention_days" {
  description = "Days the broker logs are kept."
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
