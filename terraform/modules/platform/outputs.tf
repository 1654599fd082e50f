# These outputs are the inputs of the GitOps side: cue/config/environments.cue must
# agree with them (terraform/test checks it).

output "environment" {
  description = "Environment name."
  value       = var.environment
}

output "account_id" {
  description = "AWS account of the environment."
  value       = var.account_id
}

output "region" {
  description = "AWS region of the environment."
  value       = var.region
}

output "cluster_name" {
  description = "Name of the EKS cluster."
  value       = module.eks.cluster_name
}

output "cluster_endpoint" {
  description = "URL of the Kubernetes API server."
  value       = module.eks.cluster_endpoint
}

output "namespace" {
  description = "Kubernetes namespace of the order services."
  value       = local.namespace
}

output "ecr_registry" {
  description = "Registry host the images come from (the repositories are in live/shared)."
  value       = "${var.account_id}.dkr.ecr.${var.region}.amazonaws.com"
}

output "ecr_repository_urls" {
  description = "Repository URL per service (created once, by live/shared)."
  value       = { for s in keys(var.services) : s => "${var.account_id}.dkr.ecr.${var.region}.amazonaws.com/bloody-sweet/${s}" }
}

output "irsa_role_arns" {
  description = "IRSA role ARN per service."
  value       = module.iam.role_arns
}

output "lb_controller_role_arn" {
  description = "IRSA role of the AWS Load Balancer Controller."
  value       = module.eks.lb_controller_role_arn
}

output "otel_collector_role_arn" {
  description = "IRSA role of the OpenTelemetry collector (X-Ray)."
  value       = module.eks.otel_collector_role_arn
}

output "autoscaler_role_arn" {
  description = "IRSA role of the node autoscaler."
  value       = module.autoscaling.controller_role_arn
}

output "msk_bootstrap_brokers" {
  description = "KAFKA_BROKERS of the services (IAM auth over TLS)."
  value       = module.msk.bootstrap_brokers_sasl_iam
}

output "rds_endpoint" {
  description = "host:port of PostgreSQL."
  value       = module.rds.endpoint
}

output "redis_cache_name" {
  description = "Replication group id: the cache the services' IAM auth tokens are signed for (REDIS_IAM_CACHE)."
  value       = module.redis.replication_group_id
}

output "redis_endpoint" {
  description = "Primary endpoint of Redis."
  value       = module.redis.primary_endpoint_address
}

output "rds_instance_arn" {
  description = "ARN of the PostgreSQL instance (built from its identifier; RDS tags its master user secret with it)."
  value       = module.connection_secrets.rds_instance_arn
}

output "connection_secret_prefix" {
  description = "Secrets Manager prefix of the environment's connection secrets: bloody-sweet/<env>."
  value       = module.connection_secrets.prefix
}

output "connection_secret_names" {
  description = "Connections secret per service: bloody-sweet/<env>/<service>/connections."
  value       = module.connection_secrets.secret_names
}

output "connection_secret_properties" {
  description = "The JSON properties each service's connections secret holds."
  value       = module.connection_secrets.properties
}

output "database_users" {
  description = "The database user (connections secret property db_user) each service with a database logs in as with RDS IAM auth: <service>_svc."
  value       = module.connection_secrets.database_users
}

output "external_secrets_role_arn" {
  description = "IRSA role of the External Secrets Operator (its ClusterSecretStore reads the connection secrets with it)."
  value       = module.connection_secrets.operator_role_arn
}

output "loki_role_arn" {
  description = "IRSA role of Loki (reads and writes its log bucket)."
  value       = module.log_store.role_arn
}

output "loki_bucket" {
  description = "Loki's log bucket (chunks and index)."
  value       = module.log_store.bucket_name
}

output "documentdb_endpoint" {
  description = "Writer endpoint of DocumentDB."
  value       = module.documentdb.endpoint
}

output "domain" {
  description = "Public domain of the environment."
  value       = module.edge.domain
}

output "api_host" {
  description = "Public host of the order API."
  value       = module.edge.api_host
}

# The edge stage (terraform/live/<env>/edge) reads these from this stage's state.

output "ingress_group" {
  description = "Ingress group of the api services (alb.ingress.kubernetes.io/group.name): the controller tags its ALB ingress.k8s.aws/stack with it."
  value       = local.name
}

output "private_subnet_ids" {
  description = "Private subnets (the VPC link's and the internal ALB's)."
  value       = module.vpc.private_subnet_ids
}

output "alb_security_group_id" {
  description = "Security group of the internal ALB (admits only the VPC link)."
  value       = module.alb.security_group_id
}

output "alb_security_group_name" {
  description = "Name tag of that group: the Ingress annotation alb.ingress.kubernetes.io/security-groups."
  value       = module.alb.security_group_name
}

output "vpc_link_security_group_id" {
  description = "Security group of the API Gateway VPC link."
  value       = module.alb.vpc_link_security_group_id
}

output "api_origin_host" {
  description = "CloudFront's origin, API Gateway's custom domain (api-origin.<domain>)."
  value       = module.edge.origin_host
}

output "regional_certificate_arn" {
  description = "Regional ACM certificate of api.<domain> and api-origin.<domain>."
  value       = module.edge.regional_certificate_arn
}

output "zone_id" {
  description = "Route 53 zone of the domain."
  value       = module.edge.zone_id
}

output "user_pool_id" {
  description = "The customers' Cognito user pool."
  value       = module.identity.user_pool_id
}

output "jwt_issuer" {
  description = "Issuer of the customers' tokens, as the edge authorizer and the notification service check it."
  value       = module.identity.issuer_url
}

output "jwks_url" {
  description = "JWKS of the customers' token issuer."
  value       = module.identity.jwks_url
}

output "jwt_audiences" {
  description = "The audiences the customers' tokens may carry: the client IDs of the user pool."
  value       = module.identity.audiences
}

output "app_client_id" {
  description = "Client ID the mobile app signs in with (authorization code with PKCE, no secret)."
  value       = module.identity.app_client_id
}

output "machine_client_id" {
  description = "Client ID of the operators' machine client (client_credentials; secret: aws cognito-idp describe-user-pool-client)."
  value       = module.identity.machine_client_id
}

output "hosted_ui_url" {
  description = "Base URL of the hosted sign-in pages and OAuth endpoints."
  value       = module.identity.hosted_ui_url
}
