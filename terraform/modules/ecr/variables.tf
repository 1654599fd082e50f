variable "services" {
  description = "Services that get a repository bloody-sweet/<service>."
  type        = list(string)

  validation {
    condition     = length(var.services) > 0 && alltrue([for s in var.services : can(regex("^[a-z][a-z0-9-]{1,30}$", s))])
    error_message = "services must be a non-empty list of lowercase service names (letters, digits, dashes)."
  }

  validation {
    condition     = length(distinct(var.services)) == length(var.services)
    error_message = "services must not repeat a name."
  }
}

variable "account_id" {
  description = "AWS account that owns the registry (the repository URLs are built from it)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account ID."
  }
}

variable "region" {
  description = "AWS region of the registry."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "keep_tagged_images" {
  description = "Tagged images kept per repository; older ones expire."
  type        = number
  default     = 50

  validation {
    condition     = var.keep_tagged_images >= 10 && var.keep_tagged_images <= 1000
    error_message = "keep_tagged_images must be between 10 and 1000 (promotion needs old tags for a while)."
  }
}

variable "untagged_expiry_days" {
  description = "Days after which untagged images expire."
  type        = number
  default     = 7

  validation {
    condition     = var.untagged_expiry_days >= 1 && var.untagged_expiry_days <= 90
    error_message = "untagged_expiry_days must be between 1 and 90."
  }
}

variable "pull_principal_arns" {
  description = "IAM principals (other accounts' node roles) allowed to pull; empty keeps the default account-only access."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.pull_principal_arns : can(regex("^arn:aws:iam::[0-9]{12}:(root|role/.+)$", a))])
    error_message = "pull_principal_arns must be IAM role or account root ARNs."
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
