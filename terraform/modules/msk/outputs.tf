output "cluster_name" {
  description = "Name of the MSK cluster (used in topic and group ARNs)."
  value       = aws_msk_cluster.this.cluster_name
}

output "cluster_arn" {
  description = "ARN of the MSK cluster."
  value       = aws_msk_cluster.this.arn
}

output "bootstrap_brokers_sasl_iam" {
  description = "Comma-separated host:port list of the IAM-authenticated TLS listener (KAFKA_BROKERS)."
  value       = aws_msk_cluster.this.bootstrap_brokers_sasl_iam
}

output "security_group_id" {
  description = "Security group of the brokers."
  value       = aws_security_group.this.id
}
