output "prefix" {
  description = "Secrets Manager name prefix of this environment: bloody-sweet/<env>."
  value       = local.prefix
}

output "secret_names" {
  description = "Name of the connections secret per service: bloody-sweet/<env>/<service>/connections."
  value       = { for s, sec in aws_secretsmanager_secret.connections : s => sec.name }
}

output "secret_arns" {
  description = "ARN of the connections secret per service."
  value       = { for s, sec in aws_secretsmanager_secret.connections : s => sec.arn }
}

output "properties" {
  description = "The JSON properties of each service's connections secret, sorted (known at plan time; the values are not)."
  value       = { for s, f in local.facts : s => sort(keys(f)) }
}

output "database_users" {
  description = "The database user (property db_user) of each service with a database: <service>_svc."
  value       = local.database_users
}

output "rds_instance_arn" {
  description = "ARN of the database instance, built from its identifier: the value of the aws:rds:primaryDBInstanceArn tag on the master user secret RDS manages."
  value       = local.rds_instance_arn
}

output "kms_key_arn" {
  description = "KMS key that encrypts the connections secrets."
  value       = aws_kms_key.this.arn
}

output "operator_role_arn" {
  description = "IRSA role of the External Secrets Operator (annotate its controller service account with it). Built from the role name so that it is known at plan time."
  value       = "arn:aws:iam::${var.account_id}:role/${aws_iam_role.operator.name}"
}

output "operator_policy" {
  description = "The operator role's policy document, decoded (for review and tests)."
  value       = local.policy
}
