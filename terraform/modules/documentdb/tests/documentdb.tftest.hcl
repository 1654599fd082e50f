mock_provider "aws" {}

variables {
  name           = "bloody-sweet-test"
  instance_class = "db.t4g.medium"
  vpc_id         = "vpc-0123456789abcdef0"
  subnet_ids     = ["subnet-0a", "subnet-0b", "subnet-0c"]
  client_cidrs   = ["10.20.0.0/19"]
  tags = {
    environment   = "dev"
    owner         = "platform"
    "cost-center" = "cc-1234"
  }
}

run "encrypted_with_tls" {
  command = plan

  assert {
    condition     = aws_docdb_cluster.this.storage_encrypted && aws_docdb_cluster.this.manage_master_user_password
    error_message = "DocumentDB must be encrypted with a managed master password"
  }

  assert {
    condition     = anytrue([for p in aws_docdb_cluster_parameter_group.this.parameter : p.name == "tls" && p.value == "enabled"])
    error_message = "TLS must be enabled"
  }

  assert {
    condition     = length(aws_docdb_cluster_instance.this) == 1
    error_message = "one instance by default"
  }
}

run "instances_follow_count" {
  command = plan

  variables {
    instance_count = 3
  }

  assert {
    condition     = length(aws_docdb_cluster_instance.this) == 3
    error_message = "instance_count must create that many instances"
  }
}

run "rejects_bad_instance_class" {
  command = plan

  variables {
    instance_class = "db.m5.large"
  }

  expect_failures = [var.instance_class]
}
