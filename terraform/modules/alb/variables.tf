variable "name" {
  description = "Name of the environment's edge, e.g. bloody-sweet-dev: also the Ingress group name the controller's ALB is created from."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,50}$", var.name))
    error_message = "name must be 3-51 lowercase letters, digits or dashes, starting with a letter."
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

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC: where the pods (the ALB's IP targets) are."
  type        = string

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr)) && var.vpc_cidr != "0.0.0.0/0"
    error_message = "vpc_cidr must be a valid IPv4 CIDR block such as 10.20.0.0/16 (not 0.0.0.0/0)."
  }
}

variable "pod_port" {
  description = "Container port of the api services (docs/CONTRACTS.md: 8080, named http)."
  type        = number
  default     = 8080

  validation {
    condition     = var.pod_port >= 1 && var.pod_port <= 65535 && floor(var.pod_port) == var.pod_port
    error_message = "pod_port must be a TCP port (1-65535)."
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
