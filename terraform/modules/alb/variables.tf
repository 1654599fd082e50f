variable "name" {
  description = "Name of the load balancer, e.g. bloody-sweet-dev (at most 26 characters: target groups append a suffix)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,25}$", var.name))
    error_message = "name must be 3-26 lowercase letters, digits or dashes, starting with a letter."
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
  description = "IPv4 CIDR of the VPC: the only destination the security group lets traffic out to."
  type        = string

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr))
    error_message = "vpc_cidr must be a valid IPv4 CIDR block such as 10.20.0.0/16."
  }
}

variable "subnet_ids" {
  description = "Private subnet IDs of the internal load balancer (one per AZ)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must list at least two subnets in different AZs."
  }
}

variable "ingress_cidrs" {
  description = "CIDRs allowed to reach the listener (the VPC: API Gateway's VPC link sits inside it)."
  type        = list(string)

  validation {
    condition     = length(var.ingress_cidrs) > 0 && alltrue([for c in var.ingress_cidrs : can(cidrnetmask(c)) && c != "0.0.0.0/0"])
    error_message = "ingress_cidrs must be valid IPv4 CIDRs, and the internal load balancer must not be open to 0.0.0.0/0."
  }
}

variable "certificate_arn" {
  description = "ACM certificate of the HTTPS listener."
  type        = string

  validation {
    condition     = can(regex("^arn:aws:acm:[a-z0-9-]+:[0-9]{12}:certificate/.+$", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN."
  }
}

variable "target_groups" {
  description = "Target groups by service (the api kinds): pods are registered by IP on port 8080 by the AWS Load Balancer Controller."
  type = map(object({
    path_patterns     = list(string)
    priority          = number
    health_check_path = optional(string, "/readyz")
  }))

  validation {
    condition     = length(distinct([for g in values(var.target_groups) : g.priority])) == length(var.target_groups)
    error_message = "target_groups priorities must be unique."
  }

  validation {
    condition     = alltrue([for g in values(var.target_groups) : g.priority >= 1 && g.priority <= 50000 && length(g.path_patterns) > 0])
    error_message = "each target group needs a priority between 1 and 50000 and at least one path pattern."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the load balancer."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags on every resource; must include environment, owner and cost-center."
  type        = map(string)

  validation {
    condition     = alltrue([for k in ["environment", "owner", "cost-center"] : contains(keys(var.tags), k)])
    error_message = "tags must include the keys environment, owner and cost-center."
  }
}
