output "controller_role_arn" {
  description = "ARN of the autoscaler's IRSA role (annotate its service account with it)."
  value       = aws_iam_role.controller.arn
}

output "interruption_queue_name" {
  description = "SQS queue Karpenter reads interruptions from (null with cluster-autoscaler)."
  value       = one(aws_sqs_queue.interruption[*].name)
}
