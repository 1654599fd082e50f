mock_provider "aws" {}

variables {
  cluster_name      = "bloody-sweet-dev"
  account_id        = "123456789012"
  region            = "eu-west-1"
  oidc_provider_arn = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
  oidc_issuer_host  = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
  node_role_arn     = "arn:aws:iam::123456789012:role/bloody-sweet-dev-node"
  tags = {
    environment   = "dev"
    owner         = "platform"
    "cost-center" = "cc-1234"
  }
}

run "karpenter_gets_queue_and_rules" {
  command = plan

  assert {
    condition     = length(aws_sqs_queue.interruption) == 1 && length(aws_cloudwatch_event_rule.interruption) == 4
    error_message = "karpenter needs its interruption queue and four event rules"
  }

  assert {
    condition     = aws_iam_role.controller.name == "bloody-sweet-dev-karpenter" && jsondecode(aws_iam_role.controller.assume_role_policy).Statement[0].Condition.StringEquals["oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE:sub"] == "system:serviceaccount:kube-system:karpenter"
    error_message = "the role must trust only the karpenter service account"
  }
}

run "cluster_autoscaler_has_no_queue" {
  command = plan

  variables {
    mode = "cluster-autoscaler"
  }

  assert {
    condition     = length(aws_sqs_queue.interruption) == 0 && length(aws_cloudwatch_event_rule.interruption) == 0
    error_message = "cluster-autoscaler uses no interruption queue"
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.controller.policy).Statement[1].Condition.StringEquals["aws:ResourceTag/k8s.io/cluster-autoscaler/bloody-sweet-dev"] == "owned"
    error_message = "cluster-autoscaler may resize only its own cluster's groups"
  }
}

run "rejects_unknown_mode" {
  command = plan

  variables {
    mode = "keda"
  }

  expect_failures = [var.mode]
}
