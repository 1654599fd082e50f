variable "enabled" {
  description = "Create the bastion (off where nobody needs a shell in the VPC)."
  type        = bool
  default     = true
}

variable "name" {
  description = "Name prefix, e.g. bloody-sweet-dev."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,30}$", var.name))
    error_message = "name must be 3-31 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "ami_id" {
  description = "AMI of the bastion (an Amazon Linux 2023 arm64 image with the SSM agent)."
  type        = string

  validation {
    condition     = can(regex("^ami-[0-9a-f]{8,17}$", var.ami_id))
    error_message = "ami_id must be an AMI ID such as ami-0123456789abcdef0."
  }
}

variable "instance_type" {
  description = "Instance type of the bastion."
  type        = string
  default     = "t4g.nano"

  validation {
    condition     = can(regex("^t4g\\.(nano|micro|small)$", var.instance_type))
    error_message = "instance_type must be t4g.nano, t4g.micro or t4g.small: a bastion only forwards sessions."
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

variable "subnet_id" {
  description = "Private subnet of the bastion (it has no public IP; access is through SSM Session Manager)."
  type        = string

  validation {
    condition     = can(regex("^subnet-[0-9a-f]+$", var.subnet_id))
    error_message = "subnet_id must be a subnet ID such as subnet-0123456789abcdef0."
  }
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC, the only place the bastion may connect to."
  type        = string

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr))
    error_message = "vpc_cidr must be a valid IPv4 CIDR block such as 10.20.0.0/16."
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
