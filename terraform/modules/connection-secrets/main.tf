# The non-secret connection facts of every service, in AWS Secrets Manager under
# bloody-sweet/<env>/<service>/connections (docs/CONTRACTS.md), for the External
# Secrets Operator to compose the Kubernetes Secret <service>-connections from
# (apps/charts/service, templates/externalsecret.yaml). No password passes through
# here: the services log in to the database as <service>_svc with RDS IAM auth and to
# Redis with ElastiCache IAM auth; the master credentials stay in the secret RDS
# manages and rotates, which the operator reads only for the migrate hook's
# <service>-db-admin Secret.
locals {
  prefix    = "bloody-sweet/${var.environment}"
  role_name = "bloody-sweet-${var.environment}-external-secrets"

  # Values are strings: they become Kubernetes Secret data. The property names are
  # what cue/templates/externalsecret.cue reads (terraform/test checks both ends).
  base_facts = {
    kafka_brokers = var.kafka_brokers
    redis_host    = var.redis.host
    redis_port    = tostring(var.redis.port)
    redis_user    = var.redis.user
  }
  database_facts = {
    db_host = var.database.host
    db_port = tostring(var.database.port)
    db_name = var.database.name
  }
  # db_user: the service's own database user (RDS IAM auth, no password), the role
  # its migrate hook creates and its IRSA role may rds-db:connect as (modules/iam).
  database_users = { for name, s in var.services : name => "${name}_svc" if s.database }
  # The issuer a service that verifies the customers' bearer JWTs itself checks them
  # against (the notification service's SSE streams bypass API Gateway and its
  # authorizer): issuer, the accepted audiences comma-separated, and the JWKS URL.
  token_facts = var.token_issuer == null ? {} : {
    auth_issuer    = var.token_issuer.issuer
    auth_audiences = join(",", var.token_issuer.audiences)
    auth_jwks_url  = var.token_issuer.jwks_url
  }
  facts = {
    for name, s in var.services : name => merge(
      local.base_facts,
      s.database ? merge(local.database_facts, { db_user = local.database_users[name] }) : {},
      s.verifies_tokens ? local.token_facts : {},
    )
  }

  secret_arn_prefix = "arn:aws:secretsmanager:${var.region}:${var.account_id}:secret"
  # The ARN RDS tags its managed master secret with (aws:rds:primaryDBInstanceArn).
  rds_instance_arn = "arn:aws:rds:${var.region}:${var.account_id}:db:${var.database.identifier}"
  any_database     = anytrue([for s in values(var.services) : s.database])

  database_sids = ["ReadDatabaseMasterSecret", "FindDatabaseMasterSecret"]
  statements = [
    {
      Sid       = "ReadConnections"
      Effect    = "Allow"
      Action    = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
      Resource  = ["${local.secret_arn_prefix}:${local.prefix}/*"]
      Condition = {}
    },
    {
      # Secrets Manager decrypts with the secret's key on the caller's behalf; the
      # encryption context pins it to this environment's secrets (and RDS's, whose
      # reading the statement below restricts to this environment's instance).
      Sid      = "DecryptThroughSecretsManager"
      Effect   = "Allow"
      Action   = ["kms:Decrypt"]
      Resource = ["arn:aws:kms:${var.region}:${var.account_id}:key/*"]
      Condition = {
        StringEquals = { "kms:ViaService" = "secretsmanager.${var.region}.amazonaws.com" }
        StringLike = { "kms:EncryptionContext:SecretARN" = compact([
          "${local.secret_arn_prefix}:${local.prefix}/*",
          local.any_database ? "${local.secret_arn_prefix}:rds!db-*" : "",
        ]) }
      }
    },
    {
      # RDS names its secret rds!db-<uuid>; the tag is the only per-environment handle.
      Sid       = "ReadDatabaseMasterSecret"
      Effect    = "Allow"
      Action    = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
      Resource  = ["${local.secret_arn_prefix}:rds!db-*"]
      Condition = { StringEquals = { "secretsmanager:ResourceTag/aws:rds:primaryDBInstanceArn" = local.rds_instance_arn } }
    },
    {
      # The ExternalSecret finds that secret by its tag; ListSecrets has no
      # resource-level permissions and returns names and tags, never values.
      Sid       = "FindDatabaseMasterSecret"
      Effect    = "Allow"
      Action    = ["secretsmanager:ListSecrets"]
      Resource  = ["*"]
      Condition = {}
    },
  ]

  # Known at plan time (no resource ARNs), so reviewers and tests see it in the plan.
  # Secrets Manager appends a random suffix to secret ARNs, hence the trailing *.
  # Without a database service the database statements go.
  policy = {
    Version = "2012-10-17"
    Statement = [
      for st in local.statements : { for k, v in st : k => v if k != "Condition" || length(v) > 0 }
      if local.any_database || !contains(local.database_sids, st.Sid)
    ]
  }
}

resource "aws_kms_key" "this" {
  description         = "${local.prefix}: connection secrets of the services"
  enable_key_rotation = true
  tags                = var.tags

  lifecycle {
    precondition {
      condition     = var.token_issuer != null || !anytrue([for s in values(var.services) : s.verifies_tokens])
      error_message = "A service verifies tokens (services.<name>.verifies_tokens) but token_issuer is null: its secret would lack auth_issuer, auth_audiences and auth_jwks_url."
    }
  }
}

resource "aws_secretsmanager_secret" "connections" {
  for_each = var.services

  name                    = "${local.prefix}/${each.key}/connections"
  description             = "Connection facts of ${each.key} in ${var.environment} (no passwords); the External Secrets Operator builds the Secret ${each.key}-connections from it."
  kms_key_id              = aws_kms_key.this.arn
  recovery_window_in_days = var.recovery_window_days
  tags                    = merge(var.tags, { service = each.key })
}

# Endpoints only: they are in state anyway as attributes of the MSK, RDS and
# ElastiCache resources.
resource "aws_secretsmanager_secret_version" "connections" {
  for_each = var.services

  secret_id     = aws_secretsmanager_secret.connections[each.key].id
  secret_string = jsonencode(local.facts[each.key])
}

resource "aws_iam_role" "operator" {
  name        = local.role_name
  description = "IRSA role of the External Secrets Operator in ${var.environment}: reads this environment's connection secrets"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = var.oidc_provider_arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "${var.oidc_issuer_host}:sub" = "system:serviceaccount:${var.operator_service_account.namespace}:${var.operator_service_account.name}"
          "${var.oidc_issuer_host}:aud" = "sts.amazonaws.com"
        }
      }
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "operator" {
  name   = "connection-secrets"
  role   = aws_iam_role.operator.id
  policy = jsonencode(local.policy)
}
