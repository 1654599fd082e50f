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

output "database_users" {
  description = "The database user each service with a database logs in as with RDS IAM auth: <service>_svc."
  value       = local.database_users
}

output "database_policies" {
  description = "The rds-db:connect policy document of each service with a database, decoded (its resource id is known after apply)."
  value       = local.database_policies
}
