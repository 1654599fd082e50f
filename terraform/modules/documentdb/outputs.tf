output "endpoint" {
  description = "Writer endpoint of the cluster."
  value       = aws_docdb_cluster.this.endpoint
}

output "reader_endpoint" {
  description = "Reader endpoint of the cluster."
  value       = aws_docdb_cluster.this.reader_endpoint
}

output "port" {
  description = "Port of the cluster."
  value       = aws_docdb_cluster.this.port
}

output "security_group_id" {
  description = "Security group of the cluster."
  value       = aws_security_group.this.id
}
