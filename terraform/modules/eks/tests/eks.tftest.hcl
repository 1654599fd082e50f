mock_provider "aws" {
  mock_resource "aws_eks_cluster" {
    defaults = {
      identity = [{ oidc = [{ issuer = "https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE" }] }]
    }
  }
  mock_resource "aws_iam_openid_connect_provider" {
    defaults = {
      arn = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
    }
  }
}

variables {
  cluster_name = "bloody-sweet-dev"
  vpc_id       = "vpc-0123456789abcdef0"
  subnet_ids   = ["subnet-0a", "subnet-0b", "subnet-0c"]
  node_groups = {
    system = { instance_types = ["m7g.large"], min_size = 2, desired_size = 2, max_size = 4 }
  }
  tags = {
    environment   = "dev"
    owner         = "platform"
    "cost-center" = "cc-1234"
  }
}

run "private_endpoint_and_encrypted_secrets" {
  command = apply

  assert {
    condition     = aws_eks_cluster.this.vpc_config[0].endpoint_public_access == false
    error_message = "with no public CIDRs the API endpoint must be private"
  }

  assert {
    condition     = one(one(aws_eks_cluster.this.encryption_config).resources) == "secrets"
    error_message = "Kubernetes secrets must be envelope-encrypted with KMS"
  }

  assert {
    condition     = length(aws_eks_addon.this) == 5
    error_message = "the five core add-ons must be managed"
  }

  assert {
    condition     = jsondecode(aws_iam_role.lb_controller.assume_role_policy).Statement[0].Condition.StringEquals["oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE:sub"] == "system:serviceaccount:kube-system:aws-load-balancer-controller"
    error_message = "the load balancer controller role must trust only its own service account"
  }

  assert {
    condition     = jsondecode(aws_iam_role.otel_collector.assume_role_policy).Statement[0].Condition.StringEquals["oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE:sub"] == "system:serviceaccount:observability:otel-collector"
    error_message = "the OpenTelemetry collector role must trust only observability/otel-collector"
  }

  assert {
    condition     = aws_iam_role.otel_collector.name == "bloody-sweet-dev-otel-collector"
    error_message = "the collector role must be named <cluster>-otel-collector (cue/config/addons.cue builds its ARN from that name)"
  }

  assert {
    condition = toset(flatten([for s in jsondecode(aws_iam_role_policy.otel_collector.policy).Statement : s.Action])) == toset([
      "xray:PutTraceSegments", "xray:PutTelemetryRecords",
      "xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries",
    ])
    error_message = "the collector role may write traces and read sampling rules in X-Ray, nothing else"
  }
}

run "public_endpoint_only_for_listed_cidrs" {
  command = plan

  variables {
    endpoint_public_access_cidrs = ["203.0.113.0/24"]
  }

  assert {
    condition     = aws_eks_cluster.this.vpc_config[0].endpoint_public_access == true
    error_message = "listing public CIDRs must enable the public endpoint"
  }
}

run "rejects_open_public_endpoint" {
  command = plan

  variables {
    endpoint_public_access_cidrs = ["0.0.0.0/0"]
  }

  expect_failures = [var.endpoint_public_access_cidrs]
}

run "rejects_bad_cluster_name" {
  command = plan

  variables {
    cluster_name = "orders-qa"
  }

  expect_failures = [var.cluster_name]
}

run "rejects_inverted_sizes" {
  command = plan

  variables {
    node_groups = {
      system = { instance_types = ["m7g.large"], min_size = 3, desired_size = 2, max_size = 4 }
    }
  }

  expect_failures = [var.node_groups]
}

run "rejects_bad_instance_type" {
  command = plan

  variables {
    node_groups = {
      system = { instance_types = ["huge"], min_size = 1, desired_size = 1, max_size = 1 }
    }
  }

  expect_failures = [var.node_groups]
}
