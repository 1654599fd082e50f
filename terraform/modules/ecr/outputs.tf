output "registry" {
  description = "Registry host: <account>.dkr.ecr.<region>.amazonaws.com."
  value       = "${var.account_id}.dkr.ecr.${var.region}.amazonaws.com"
}

output "repository_urls" {
  description = "Repository URL per service. Built from the account, region and repository name (the format of a private ECR URL) so that it is known at plan time; the aws-tagged test checks it equals repository_url after apply."
  value       = { for s, r in aws_ecr_repository.this : s => "${var.account_id}.dkr.ecr.${var.region}.amazonaws.com/${r.name}" }
}

output "repository_arns" {
  description = "Repository ARN per service."
  value       = { for s, r in aws_ecr_repository.this : s => r.arn }
}
