mock_provider "aws" {}

variables {
  name                 = "bloody-sweet-test"
  broker_instance_type = "kafka.t3.small"
  broker_count         = 3
  vpc_id               = "vpc-0123456789abcdef0"
  subnet_ids           = ["subnet-0a", "subnet-0b", "subnet-0c"]
  client_cidrs         = ["10.20.0.0/19"]
  tags = {
    environment   = "dev"
    owner         = "platform"
    "cost-center" = "cc-1234"
  }
}

run "tls_iam_only_and_encrypted" {
  command = plan

  assert {
    condition     = aws_msk_cluster.this.encryption_info[0].encryption_in_transit[0].client_broker == "TLS" && aws_msk_cluster.this.encryption_info[0].encryption_in_transit[0].in_cluster
    error_message = "traffic must be TLS between clients and brokers and inside the cluster"
  }

  assert {
    condition     = aws_msk_cluster.this.client_authentication[0].sasl[0].iam && !aws_msk_cluster.this.client_authentication[0].unauthenticated
    error_message = "clients must authenticate with IAM"
  }

  assert {
    condition     = aws_msk_cluster.this.logging_info[0].broker_logs[0].cloudwatch_logs[0].enabled
    error_message = "broker logs must go to CloudWatch"
  }

  assert {
    condition     = strcontains(aws_msk_configuration.this.server_properties, "auto.create.topics.enable=false") && strcontains(aws_msk_configuration.this.server_properties, "num.partitions=12")
    error_message = "topics must not be auto-created and default to 12 partitions"
  }

  assert {
    condition     = alltrue([for r in values(aws_vpc_security_group_ingress_rule.iam_tls) : r.from_port == 9098 && r.to_port == 9098])
    error_message = "only the IAM TLS port 9098 may be open"
  }
}

run "rejects_unbalanced_brokers" {
  command = plan

  variables {
    broker_count = 4
  }

  expect_failures = [aws_msk_cluster.this]
}

run "rejects_bad_broker_type" {
  command = plan

  variables {
    broker_instance_type = "m5.large"
  }

  expect_failures = [var.broker_instance_type]
}
