output "primary_endpoint_address" {
  description = "Host name of the primary (writes)."
  value       = aws_elasticache_replication_group.this.primary_endpoint_address
}

output "reader_endpoint_address" {
  description = "Host name that spreads reads over the replicas."
  value       = aws_elasticache_replication_group.this.reader_endpoint_address
}

output "port" {
  description = "Port of the replication group."
  value       = aws_elasticache_replication_group.this.port
}

output "app_user" {
  description = "User the services authenticate as (its id and name are the same; REDIS_URL's user)."
  value       = aws_elasticache_user.app.user_name
}

output "app_user_arn" {
  description = "ARN of the app user: with the replication group, the resource of elasticache:Connect."
  value       = aws_elasticache_user.app.arn
}

output "replication_group_arn" {
  description = "ARN of the replication group."
  value       = aws_elasticache_replication_group.this.arn
}

output "replication_group_id" {
  description = "Id of the replication group: the cache name IAM auth tokens are signed for (REDIS_IAM_CACHE)."
  value       = aws_elasticache_replication_group.this.replication_group_id
}

output "security_group_id" {
  description = "Security group of the cache nodes."
  value       = aws_security_group.this.id
}
