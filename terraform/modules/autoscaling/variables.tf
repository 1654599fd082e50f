variable "mode" {
  description = "Node autoscaler: karpenter (node pools) or cluster-autoscaler (managed node groups)."
  type        = string
  default     = "karpenter"

  validation {
    condition     = contains(["karpenter", "cluster-autoscaler"], var.mode)
    error_message = "mode must be karpenter or cluster-autoscaler."
  }
}

variable "cluster_name" {
  description = "Name of the EKS cluster."
  type        = string

  validation {
    condition     = can(regex("^bloody-sweet-(dev|staging|prod)$", var.cluster_name))
    error_message = "cluster_name must be bloody-sweet-<env> with env one of dev, staging, prod."
  }
}

variable "account_id" {
  description = "AWS account of the cluster."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account ID."
  }
}

variable "region" {
  description = "AWS region of the cluster."
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

variable "node_role_arn" {
  description = "ARN of the node IAM role that Karpenter passes to the instances it launches."
  type        = string

  validation {
    condition     = can(regex("^arn:aws:iam::[0-9]{12}:role/.+$", var.node_role_arn))
    error_message = "node_role_arn must be an IAM role ARN."
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
