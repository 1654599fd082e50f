output "bucket_name" {
  description = "The log bucket (the Loki add-on's loki.storage.bucketNames.chunks), known at plan time."
  value       = aws_s3_bucket.this.bucket
}

output "role_name" {
  description = "Name of Loki's IRSA role."
  value       = aws_iam_role.loki.name
}

output "role_arn" {
  description = "ARN of Loki's IRSA role (the add-on's irsa.roleArn). Built from the role name so that it is known at plan time."
  value       = "arn:aws:iam::${var.account_id}:role/${aws_iam_role.loki.name}"
}
