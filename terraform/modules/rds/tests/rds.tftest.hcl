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

run "encrypted_private_with_backups" {
  command = plan

  assert {
    condition     = aws_db_instance.this.storage_encrypted && !aws_db_instance.this.publicly_accessible
    error_message = "the database must be encrypted and private"
  }

  assert {
    condition     = aws_db_instance.this.backup_retention_period == 7 && aws_db_instance.this.multi_az == false
    error_message = "defaults: 7 days of backups, single AZ"
  }

  assert {
    condition     = aws_db_instance.this.manage_master_user_password
    error_message = "the master password must be managed by RDS in Secrets Manager"
  }

  assert {
    condition     = anytrue([for p in aws_db_parameter_group.this.parameter : p.name == "rds.force_ssl" && p.value == "1"])
    error_message = "the parameter group must force TLS"
  }

  assert {
    condition     = aws_db_parameter_group.this.family == "postgres16"
    error_message = "the parameter group family must follow the engine version"
  }
}

run "multi_az_keeps_final_snapshot" {
  command = plan

  variables {
    multi_az            = true
    deletion_protection = true
  }

  assert {
    condition     = aws_db_instance.this.multi_az && aws_db_instance.this.final_snapshot_identifier == "bloody-sweet-test-final" && !aws_db_instance.this.skip_final_snapshot
    error_message = "a protected instance must be multi-AZ here and keep a final snapshot"
  }
}

run "rejects_non_graviton_class" {
  command = plan

  variables {
    instance_class = "db.m5.large"
  }

  expect_failures = [var.instance_class]
}

run "rejects_no_backups" {
  command = plan

  variables {
    backup_retention_days = 0
  }

  expect_failures = [var.backup_retention_days]
}
