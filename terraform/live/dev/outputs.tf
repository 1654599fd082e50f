# The GitOps side reads these (cue/config/environments.cue must agree; see terraform/test).
# Every environment outputs the same names: staging/outputs.tf and prod/outputs.tf are
# links to this file, so the three roots cannot drift apart.

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

output "otel_collector_role_arn" {
  description = "IRSA role of the OpenTelemetry collector (X-Ray)."
  value       = module.platform.otel_collector_role_arn
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

output "rds_instance_arn" {
  description = "ARN of the PostgreSQL instance: the tag RDS puts on its master user secret (cue environments.<env>.secrets.rdsInstanceArn)."
  value       = module.platform.rds_instance_arn
}

output "connection_secret_prefix" {
  description = "Secrets Manager prefix of the connection secrets (cue environments.<env>.secrets.prefix)."
  value       = module.platform.connection_secret_prefix
}

output "connection_secret_names" {
  description = "Connections secret per service, read by the rendered ExternalSecrets."
  value       = module.platform.connection_secret_names
}

output "connection_secret_properties" {
  description = "The JSON properties of each connections secret (what the ExternalSecrets may read)."
  value       = module.platform.connection_secret_properties
}

output "database_users" {
  description = "The database user each service with a database logs in as (RDS IAM auth), for the rendered database-url and the migrate hook's role."
  value       = module.platform.database_users
}

output "external_secrets_role_arn" {
  description = "IRSA role to annotate the External Secrets Operator's service account with."
  value       = module.platform.external_secrets_role_arn
}

output "loki_role_arn" {
  description = "IRSA role to annotate Loki's service account with (the loki add-on's irsa.roleArn)."
  value       = module.platform.loki_role_arn
}

output "loki_bucket" {
  description = "Loki's log bucket (the loki add-on's loki.storage.bucketNames.chunks)."
  value       = module.platform.loki_bucket
}

output "redis_cache_name" {
  description = "Replication group id the services' Redis IAM tokens are signed for (REDIS_IAM_CACHE in the CUE environment)."
  value       = module.platform.redis_cache_name
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

# Read by the edge stage (live/<env>/edge) from this root's state.

output "ingress_group" {
  description = "Ingress group of the api services; the controller tags its ALB ingress.k8s.aws/stack with it."
  value       = module.platform.ingress_group
}

output "private_subnet_ids" {
  description = "Private subnets (VPC link and internal ALB)."
  value       = module.platform.private_subnet_ids
}

output "alb_security_group_id" {
  description = "Security group of the internal ALB."
  value       = module.platform.alb_security_group_id
}

output "alb_security_group_name" {
  description = "Name tag of the ALB's security group (the Ingress annotation alb.ingress.kubernetes.io/security-groups)."
  value       = module.platform.alb_security_group_name
}

output "vpc_link_security_group_id" {
  description = "Security group of the API Gateway VPC link."
  value       = module.platform.vpc_link_security_group_id
}

output "api_origin_host" {
  description = "CloudFront's origin: API Gateway's custom domain."
  value       = module.platform.api_origin_host
}

output "regional_certificate_arn" {
  description = "Regional ACM certificate of the API names."
  value       = module.platform.regional_certificate_arn
}

output "zone_id" {
  description = "Route 53 zone of the domain."
  value       = module.platform.zone_id
}

# The customers' Cognito user pool (module identity). The edge stage reads the issuer,
# JWKS and audiences for its authorizer from here.

output "user_pool_id" {
  description = "The customers' Cognito user pool."
  value       = module.platform.user_pool_id
}

output "jwt_issuer" {
  description = "Issuer of the customers' tokens, as the edge authorizer and the notification service check it."
  value       = module.platform.jwt_issuer
}

output "jwks_url" {
  description = "JWKS of the customers' token issuer."
  value       = module.platform.jwks_url
}

output "jwt_audiences" {
  description = "The audiences the customers' tokens may carry: the client IDs of the user pool."
  value       = module.platform.jwt_audiences
}

output "app_client_id" {
  description = "Client ID the mobile app signs in with (authorization code with PKCE, no secret)."
  value       = module.platform.app_client_id
}

output "machine_client_id" {
  description = "Client ID of the operators' machine client (client_credentials; secret: aws cognito-idp describe-user-pool-client)."
  value       = module.platform.machine_client_id
}

output "hosted_ui_url" {
  description = "Base URL of the hosted sign-in pages and OAuth endpoints."
  value       = module.platform.hosted_ui_url
}
