mock_provider "aws" {}

variables {
  environment   = "staging"
  account_id    = "123456789012"
  region        = "eu-west-1"
  kafka_brokers = "b-1.example:9098,b-2.example:9098"
  database = {
    identifier = "bloody-sweet-staging"
    host       = "db.example"
    port       = 5432
    name       = "orders"
  }
  redis = {
    host = "redis.example"
    port = 6379
    user = "app_user"
  }
  services = {
    order        = { database = true }
    notification = { database = false }
  }
  oidc_provider_arn = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
  oidc_issuer_host  = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
  tags = {
    environment   = "staging"
    owner         = "platform"
    "cost-center" = "cc-1234"
  }
}

run "secrets_named_per_contract_and_encrypted" {
  command = plan

  assert {
    condition     = output.secret_names == { order = "bloody-sweet/staging/order/connections", notification = "bloody-sweet/staging/notification/connections" }
    error_message = "secret names must follow docs/CONTRACTS.md: bloody-sweet/<env>/<service>/connections"
  }

  assert {
    condition     = aws_kms_key.this.enable_key_rotation
    error_message = "the KMS key must rotate"
  }
}

# The key's ARN is known only after apply: the mock provider makes one up.
run "secrets_encrypted_with_the_module_key" {
  command = apply

  assert {
    condition     = alltrue([for s in aws_secretsmanager_secret.connections : s.kms_key_id == aws_kms_key.this.arn])
    error_message = "every connections secret must be encrypted with the module's KMS key"
  }
}

run "facts_hold_no_password_and_database_only_where_used" {
  command = plan

  assert {
    condition     = output.properties["order"] == tolist(["db_host", "db_name", "db_port", "db_user", "kafka_brokers", "redis_host", "redis_port", "redis_user"])
    error_message = "a database service's secret holds the Kafka, Redis and database facts"
  }

  assert {
    condition     = output.properties["notification"] == tolist(["kafka_brokers", "redis_host", "redis_port", "redis_user"])
    error_message = "a service without a database gets no database facts"
  }

  assert {
    condition     = jsondecode(aws_secretsmanager_secret_version.connections["order"].secret_string) == { db_host = "db.example", db_name = "orders", db_port = "5432", db_user = "order_svc", kafka_brokers = "b-1.example:9098,b-2.example:9098", redis_host = "redis.example", redis_port = "6379", redis_user = "app_user" }
    error_message = "the secret value must be the facts as strings, and nothing else (no password)"
  }

  assert {
    condition     = output.database_users == { order = "order_svc" }
    error_message = "a database service logs in as its own user <service>_svc (RDS IAM auth)"
  }
}

run "operator_role_reads_only_its_environment" {
  command = plan

  assert {
    condition     = output.operator_role_arn == "arn:aws:iam::123456789012:role/bloody-sweet-staging-external-secrets"
    error_message = "the operator role must be named bloody-sweet-<env>-external-secrets"
  }

  assert {
    condition     = jsondecode(aws_iam_role.operator.assume_role_policy).Statement[0].Condition.StringEquals["oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE:sub"] == "system:serviceaccount:external-secrets:external-secrets"
    error_message = "the role must trust only the operator's controller service account"
  }

  assert {
    condition     = [for s in output.operator_policy.Statement : s.Resource if s.Sid == "ReadConnections"][0] == ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:bloody-sweet/staging/*"]
    error_message = "the operator may read only this environment's connections secrets"
  }

  assert {
    condition     = [for s in output.operator_policy.Statement : s.Condition if s.Sid == "ReadDatabaseMasterSecret"][0].StringEquals["secretsmanager:ResourceTag/aws:rds:primaryDBInstanceArn"] == "arn:aws:rds:eu-west-1:123456789012:db:bloody-sweet-staging"
    error_message = "the operator may read only the RDS master secret of this environment's instance"
  }

  assert {
    condition     = [for s in output.operator_policy.Statement : s.Condition if s.Sid == "DecryptThroughSecretsManager"][0].StringEquals["kms:ViaService"] == "secretsmanager.eu-west-1.amazonaws.com"
    error_message = "the operator may decrypt only through Secrets Manager"
  }
}

run "no_database_no_database_permissions" {
  command = plan

  variables {
    services = { notification = { database = false } }
  }

  assert {
    condition     = [for s in output.operator_policy.Statement : s.Sid] == ["ReadConnections", "DecryptThroughSecretsManager"]
    error_message = "without a database service the operator must not read or list RDS secrets"
  }

  assert {
    condition     = [for s in output.operator_policy.Statement : s.Condition if s.Sid == "DecryptThroughSecretsManager"][0].StringLike["kms:EncryptionContext:SecretARN"] == tolist(["arn:aws:secretsmanager:eu-west-1:123456789012:secret:bloody-sweet/staging/*"])
    error_message = "without a database service the operator must decrypt only this environment's connections secrets"
  }
}

run "rejects_unknown_environment" {
  command = plan

  variables {
    environment = "qa"
  }

  expect_failures = [var.environment]
}

run "rejects_bad_recovery_window" {
  command = plan

  variables {
    recovery_window_days = 3
  }

  expect_failures = [var.recovery_window_days]
}

run "rejects_bad_database_identifier" {
  command = plan

  variables {
    database = { identifier = "Bloody_Sweet", host = "db.example", port = 5432, name = "orders" }
  }

  expect_failures = [var.database]
}

# The notification service verifies the customers' bearer JWTs itself (its SSE
# streams bypass API Gateway): only its secret holds the issuer's facts.
run "token_issuer_facts_only_for_the_verifying_service" {
  command = plan

  variables {
    services = {
      order        = { database = true }
      notification = { database = false, verifies_tokens = true }
    }
    token_issuer = {
      issuer    = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_EXAMPLE"
      audiences = ["appclient", "machineclient"]
      jwks_url  = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_EXAMPLE/.well-known/jwks.json"
    }
  }

  assert {
    condition     = output.properties["notification"] == tolist(["auth_audiences", "auth_issuer", "auth_jwks_url", "kafka_brokers", "redis_host", "redis_port", "redis_user"])
    error_message = "the verifying service's secret holds auth_issuer, auth_audiences and auth_jwks_url besides its other facts"
  }

  assert {
    condition = { for k, v in jsondecode(aws_secretsmanager_secret_version.connections["notification"].secret_string) : k => v if startswith(k, "auth_") } == {
      auth_issuer    = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_EXAMPLE"
      auth_audiences = "appclient,machineclient"
      auth_jwks_url  = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_EXAMPLE/.well-known/jwks.json"
    }
    error_message = "auth_audiences must be the client IDs comma-separated, auth_issuer and auth_jwks_url the issuer's"
  }

  assert {
    condition     = !contains(output.properties["order"], "auth_issuer")
    error_message = "a service that does not verify tokens gets no issuer facts"
  }
}

run "rejects_a_verifying_service_without_issuer" {
  command = plan

  variables {
    services = {
      notification = { database = false, verifies_tokens = true }
    }
  }

  expect_failures = [aws_kms_key.this]
}

run "rejects_an_issuer_without_audiences" {
  command = plan

  variables {
    token_issuer = {
      issuer    = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_EXAMPLE"
      audiences = []
      jwks_url  = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_EXAMPLE/.well-known/jwks.json"
    }
  }

  expect_failures = [var.token_issuer]
}
