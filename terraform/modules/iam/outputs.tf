output "role_arns" {
  description = "IRSA role ARN per service: arn:aws:iam::<account>:role/bloody-sweet-<env>-<service>. Built from the role name so that it is known at plan time."
  value       = { for s, r in aws_iam_role.service : s => "arn:aws:iam::${var.account_id}:role/${r.name}" }
}

output "role_names" {
  description = "IRSA role name per service."
  value       = { for s, r in aws_iam_role.service : s => r.name }
}

output "policies" {
  description = "The policy document of each service (MSK topics, Redis connect), decoded (for review and tests)."
  value       = local.policies
}
