output "cluster_name" {
  description = "Name of the EKS cluster."
  value       = aws_eks_cluster.this.name
}

output "cluster_arn" {
  description = "ARN of the EKS cluster."
  value       = aws_eks_cluster.this.arn
}

output "cluster_endpoint" {
  description = "URL of the Kubernetes API server."
  value       = aws_eks_cluster.this.endpoint
}

output "cluster_security_group_id" {
  description = "Security group EKS created for the control plane and nodes."
  value       = aws_eks_cluster.this.vpc_config[0].cluster_security_group_id
}

output "oidc_provider_arn" {
  description = "ARN of the IAM OIDC provider that IRSA roles trust."
  value       = aws_iam_openid_connect_provider.this.arn
}

output "oidc_issuer_host" {
  description = "OIDC issuer without https://, the prefix of IRSA trust condition keys."
  value       = local.oidc_issuer_host
}

output "node_role_arn" {
  description = "ARN of the IAM role of the managed nodes."
  value       = aws_iam_role.node.arn
}

output "node_role_name" {
  description = "Name of the IAM role of the managed nodes."
  value       = aws_iam_role.node.name
}

output "lb_controller_role_arn" {
  description = "ARN of the AWS Load Balancer Controller IRSA role."
  value       = aws_iam_role.lb_controller.arn
}

output "otel_collector_role_arn" {
  description = "ARN of the OpenTelemetry collector IRSA role (writes traces to X-Ray)."
  value       = aws_iam_role.otel_collector.arn
}
