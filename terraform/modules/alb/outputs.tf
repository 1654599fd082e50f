output "arn" {
  description = "ARN of the load balancer."
  value       = aws_lb.this.arn
}

output "dns_name" {
  description = "Internal DNS name of the load balancer."
  value       = aws_lb.this.dns_name
}

output "https_listener_arn" {
  description = "ARN of the HTTPS listener (the API Gateway integration target)."
  value       = aws_lb_listener.https.arn
}

output "security_group_id" {
  description = "Security group of the load balancer."
  value       = aws_security_group.this.id
}

output "target_group_arns" {
  description = "Target group ARN per service (TargetGroupBinding targets)."
  value       = { for k, g in aws_lb_target_group.this : k => g.arn }
}
