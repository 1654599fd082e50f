output "instance_id" {
  description = "Instance ID to start an SSM session with (null when disabled)."
  value       = one(aws_instance.this[*].id)
}

output "security_group_id" {
  description = "Security group of the bastion, to allow in data store rules (null when disabled)."
  value       = one(aws_security_group.this[*].id)
}
