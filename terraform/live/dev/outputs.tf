# The GitOps side reads these (cue/config/environments.cue must agree; see terraform/test).

output "environment" {
  description = "Environment name."
  value       = module.platform.environment
}

output "account_id" {
  description = "AWS account."
  value       = module.platform.account_id
}

output "region" {
  description = "AWS region."
  value       = module.platform.region
}

output "cluster_name" {
  description = "EKS cluster name."
  value       = module.platform.cluster_name
}

output "cluster_endpoint" {
  description = "Kubernetes API server URL."
  value       = module.platform.cluster_endpoint
}

output "namespace" {
  description = "Namespace of the order services."
  value       = module.platform.namespace
}

output "ecr_registry" {
  description = "Registry host of the images."
  value       = module.platform.ecr_registry
}

output "ecr_repository_urls" {
  description = "ECR repository URL per service."
  value       = module.platform.ecr_repository_urls
}

output "irsa_role_arns" {
  description = "IRSA role ARN per service."
  value       = module.platform.irsa_role_arns
}

output "lb_controller_role_arn" {
  description = "IRSA role of the AWS Load Balancer Controller."
  value       = module.platform.lb_controller_role_arn
}

output "autoscaler_role_arn" {
  description = "IRSA role of the node autoscaler."
  value       = module.platform.autoscaler_role_arn
}

output "msk_bootstrap_brokers" {
  description = "MSK bootstrap brokers (IAM over TLS)."
  value       = module.platform.msk_bootstrap_brokers
}

output "rds_endpoint" {
  description = "PostgreSQL host:port."
  value       = module.platform.rds_endpoint
}

output "redis_endpoint" {
  description = "Redis primary endpoint."
  value       = module.platform.redis_endpoint
}

output "documentdb_endpoint" {
  description = "DocumentDB writer endpoint."
  value       = module.platform.documentdb_endpoint
}

output "domain" {
  description = "Public domain."
  value       = module.platform.domain
}

output "api_host" {
  description = "Public API host."
  value       = module.platform.api_host
}

output "target_group_arns" {
  description = "ALB target group per api service."
  value       = module.platform.target_group_arns
}
