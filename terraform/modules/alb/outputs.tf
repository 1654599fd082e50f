output "security_group_id" {
  description = "Security group of the internal ALB."
  value       = aws_security_group.alb.id
}

output "security_group_name" {
  description = "Name tag of the ALB's security group: the value of the Ingress annotation alb.ingress.kubernetes.io/security-groups."
  value       = local.alb_group_name
}

output "vpc_link_security_group_id" {
  description = "Security group of the API Gateway VPC link (the only source the ALB admits)."
  value       = aws_security_group.vpc_link.id
}
