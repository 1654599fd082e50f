output "endpoint" {
  description = "host:port of the instance."
  value       = aws_db_instance.this.endpoint
}

output "identifier" {
  description = "Identifier of the instance (names its ARN: arn:aws:rds:<region>:<account>:db:<identifier>)."
  value       = aws_db_instance.this.identifier
}

output "resource_id" {
  description = "The instance's resource id (db-...), which names its IAM database users: arn:aws:rds-db:<region>:<account>:dbuser:<resource id>/<user>. Known after apply."
  value       = aws_db_instance.this.resource_id
}

output "address" {
  description = "Host name of the instance."
  value       = aws_db_instance.this.address
}

output "port" {
  description = "Port of the instance."
  value       = aws_db_instance.this.port
}

output "database_name" {
  description = "Name of the application database."
  value       = aws_db_instance.this.db_name
}

output "master_user_secret_arn" {
  description = "ARN of the Secrets Manager secret that holds the master credentials."
  value       = one(aws_db_instance.this.master_user_secret[*].secret_arn)
}

output "security_group_id" {
  description = "Security group of the instance."
  value       = aws_security_group.this.id
}
