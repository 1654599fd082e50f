mock_provider "aws" {}

variables {
  environment       = "dev"
  account_id        = "123456789012"
  region            = "eu-west-1"
  oidc_provider_arn = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
  oidc_issuer_host  = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
  msk_cluster_name  = "bloody-sweet-dev"
  services = {
    store        = { produces = ["store.events.v1"], consumes = ["payment.events.v1"] }
    notification = { produces = [], consumes = ["order.events.v1", "store.events.v1"] }
  }
  tags = {
    environment   = "dev"
    owner         = "platform"
    "cost-center" = "cc-1234"
  }
}

run "roles_named_and_scoped_per_contract" {
  command = plan

  assert {
    condition     = output.role_arns["store"] == "arn:aws:iam::123456789012:role/bloody-sweet-dev-store"
    error_message = "role ARNs must follow docs/CONTRACTS.md"
  }

  assert {
    condition     = jsondecode(aws_iam_role.service["store"].assume_role_policy).Statement[0].Condition.StringEquals["oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE:sub"] == "system:serviceaccount:orders-dev:store"
    error_message = "a role must trust only its own service account in orders-<env>"
  }

  assert {
    condition = toset([for s in output.policies["store"].Statement : s.Resource if s.Sid == "Write"][0]) == toset([
      "arn:aws:kafka:eu-west-1:123456789012:topic/bloody-sweet-dev/*/payment.events.v1.dlq",
      "arn:aws:kafka:eu-west-1:123456789012:topic/bloody-sweet-dev/*/store.events.v1",
    ])
    error_message = "store may write only its own topic and the dead letters of what it consumes"
  }

  assert {
    condition     = [for s in output.policies["store"].Statement : s.Resource if s.Sid == "Read"][0] == tolist(["arn:aws:kafka:eu-west-1:123456789012:topic/bloody-sweet-dev/*/payment.events.v1"])
    error_message = "store may read only payment events"
  }

  assert {
    condition     = [for s in output.policies["notification"].Statement : s.Resource if s.Sid == "ConsumerGroup"][0] == tolist(["arn:aws:kafka:eu-west-1:123456789012:group/bloody-sweet-dev/*/notification"])
    error_message = "a consumer may use only the consumer group named after it"
  }
}

run "redis_connect_only_for_redis_users" {
  command = plan

  variables {
    redis = {
      replication_group_arn = "arn:aws:elasticache:eu-west-1:123456789012:replicationgroup:bloody-sweet-dev"
      user_arn              = "arn:aws:elasticache:eu-west-1:123456789012:user:bloody-sweet-dev-orders"
      services              = ["notification"]
    }
  }

  assert {
    condition = [for s in output.policies["notification"].Statement : s.Resource if s.Sid == "RedisConnect"][0] == tolist([
      "arn:aws:elasticache:eu-west-1:123456789012:replicationgroup:bloody-sweet-dev",
      "arn:aws:elasticache:eu-west-1:123456789012:user:bloody-sweet-dev-orders",
    ])
    error_message = "a Redis user needs elasticache:Connect on the cache and on the user"
  }

  assert {
    condition     = length([for s in output.policies["store"].Statement : s if s.Sid == "RedisConnect"]) == 0
    error_message = "a service that does not use Redis must not connect to it"
  }

  assert {
    condition     = contains([for s in output.policies["store"].Statement : s.Action if s.Sid == "Write"][0], "kafka-cluster:CreateTopic")
    error_message = "a service creates the topics it writes"
  }
}

run "rejects_redis_user_that_is_not_a_service" {
  command = plan

  variables {
    redis = { replication_group_arn = "a", user_arn = "b", services = ["pizza"] }
  }

  expect_failures = [var.redis]
}

run "rejects_unknown_environment" {
  command = plan

  variables {
    environment = "qa"
  }

  expect_failures = [var.environment]
}

run "rejects_unversioned_topic" {
  command = plan

  variables {
    services = { order = { produces = ["orders"], consumes = [] } }
  }

  expect_failures = [var.services]
}

run "producer_only_service_has_no_read_statement" {
  command = plan

  variables {
    services = { order = { produces = ["order.events.v1"], consumes = [] } }
  }

  assert {
    condition     = [for s in output.policies["order"].Statement : s.Sid] == ["Connect", "Write"]
    error_message = "a service that consumes nothing must get no read or group permission"
  }
}

run "database_connect_only_as_own_user" {
  command = plan

  variables {
    database = {
      resource_id = "db-ABCDEFGHIJKLMNOPQRSTUVWXYZ"
      services    = ["store"]
    }
  }

  assert {
    condition     = output.database_users == tomap({ store = "store_svc" })
    error_message = "a service with a database logs in as <service>_svc"
  }

  assert {
    condition     = output.database_policies["store"].Statement[0].Action == tolist(["rds-db:connect"])
    error_message = "the database policy grants rds-db:connect only"
  }

  assert {
    condition     = output.database_policies["store"].Statement[0].Resource == tolist(["arn:aws:rds-db:eu-west-1:123456789012:dbuser:db-ABCDEFGHIJKLMNOPQRSTUVWXYZ/store_svc"])
    error_message = "store may connect to this instance as store_svc only"
  }

  assert {
    condition     = length(aws_iam_role_policy.rds) == 1 && contains(keys(aws_iam_role_policy.rds), "store")
    error_message = "a service without a database gets no rds-db:connect policy"
  }

  assert {
    condition     = length([for s in output.policies["store"].Statement : s if can(regex("rds-db", jsonencode(s.Action)))]) == 0
    error_message = "rds-db:connect lives in its own policy, not in the plan-time MSK policy"
  }
}

run "database_services_must_exist" {
  command = plan

  variables {
    database = {
      resource_id = "db-ABCDEFGHIJKLMNOPQRSTUVWXYZ"
      services    = ["order"]
    }
  }

  expect_failures = [var.database]
}
