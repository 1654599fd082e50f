variable "name" {
  description = "Name prefix of every resource, e.g. bloody-sweet-dev."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,30}$", var.name))
    error_message = "name must be 3-31 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "cidr" {
  description = "IPv4 CIDR of the VPC, a /16 to /20 in a private range."
  type        = string

  validation {
    condition     = can(cidrnetmask(var.cidr)) && try(tonumber(split("/", var.cidr)[1]) >= 16 && tonumber(split("/", var.cidr)[1]) <= 20, false)
    error_message = "cidr must be a valid IPv4 CIDR block with a prefix length between /16 and /20, e.g. 10.20.0.0/16."
  }

  validation {
    condition     = try(cidrhost(var.cidr, 0) == split("/", var.cidr)[0], false)
    error_message = "cidr must be the network address of its block (no host bits set), e.g. 10.20.0.0/16 not 10.20.1.0/16."
  }
}

variable "azs" {
  description = "The three availability zones the subnets are spread over."
  type        = list(string)

  validation {
    condition     = length(var.azs) == 3 && length(distinct(var.azs)) == 3
    error_message = "azs must name exactly three distinct availability zones."
  }

  validation {
    condition     = alltrue([for az in var.azs : can(regex("^[a-z]{2}-[a-z]+-[0-9][a-z]$", az))])
    error_message = "each of azs must be an availability zone name such as eu-west-1a."
  }
}

variable "nat_gateway_per_az" {
  description = "One NAT gateway per availability zone (production) instead of a single shared one."
  type        = bool
  default     = false
}

variable "flow_log_retention_days" {
  description = "Days the VPC flow logs are kept in CloudWatch Logs."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_days)
    error_message = "flow_log_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)."
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
