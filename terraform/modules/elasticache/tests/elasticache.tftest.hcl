mock_provider "aws" {}

variables {
  name         = "bloody-sweet-test"
  node_type    = "cache.t4g.small"
  vpc_id       = "vpc-0123456789abcdef0"
  subnet_ids   = ["subnet-0a", "subnet-0b", "subnet-0c"]
  client_cidrs = ["10.20.0.0/19"]
  tags = {
    environment   = "dev"
    owner         = "platform"
    "cost-center" = "cc-1234"
  }
}

run "tls_encryption_and_failover" {
  command = plan

  assert {
    condition     = aws_elasticache_replication_group.this.transit_encryption_enabled && aws_elasticache_replication_group.this.at_rest_encryption_enabled
    error_message = "Redis must be encrypted in transit and at rest"
  }

  assert {
    condition     = aws_elasticache_replication_group.this.num_cache_clusters == 2 && aws_elasticache_replication_group.this.automatic_failover_enabled && aws_elasticache_replication_group.this.multi_az_enabled
    error_message = "one replica must give two nodes with automatic multi-AZ failover"
  }

  assert {
    condition     = aws_elasticache_user.default.access_string == "off -@all" && one(aws_elasticache_user.app.authentication_mode).type == "iam"
    error_message = "the default user must be off and the app user must use IAM auth"
  }

  assert {
    condition     = aws_elasticache_user.app.user_id == "bloody-sweet-test-orders" && aws_elasticache_user.app.user_name == aws_elasticache_user.app.user_id
    error_message = "an IAM-enabled user's id and name must be the same"
  }

  assert {
    condition     = strcontains(aws_elasticache_user.app.access_string, "&*")
    error_message = "the app user needs the pub/sub channels (&*)"
  }
}

run "no_replica_means_no_failover" {
  command = plan

  variables {
    replicas = 0
  }

  assert {
    condition     = aws_elasticache_replication_group.this.num_cache_clusters == 1 && !aws_elasticache_replication_group.this.automatic_failover_enabled
    error_message = "without replicas there is nothing to fail over to"
  }
}

run "rejects_bad_node_type" {
  command = plan

  variables {
    node_type = "m5.large"
  }

  expect_failures = [var.node_type]
}
