mock_provider "aws" {}

variables {
  environment       = "staging"
  account_id        = "123456789012"
  retention_days    = 30
  oidc_provider_arn = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
  oidc_issuer_host  = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
  tags = {
    environment   = "staging"
    owner         = "platform"
    "cost-center" = "cc-1234"
  }
}

run "named_per_contract" {
  command = plan

  assert {
    condition     = aws_s3_bucket.this.bucket == "bloody-sweet-staging-loki-123456789012" && aws_iam_role.loki.name == "bloody-sweet-staging-loki"
    error_message = "bucket and role must be named bloody-sweet-<env>-loki-<account> and bloody-sweet-<env>-loki (docs/CONTRACTS.md)"
  }
}

run "bucket_private_encrypted_tls_only" {
  command = plan

  assert {
    condition     = aws_s3_bucket_public_access_block.this.block_public_acls && aws_s3_bucket_public_access_block.this.block_public_policy && aws_s3_bucket_public_access_block.this.ignore_public_acls && aws_s3_bucket_public_access_block.this.restrict_public_buckets
    error_message = "the log bucket must block every kind of public access"
  }

  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default).sse_algorithm == "AES256"
    error_message = "the log bucket must be encrypted at rest"
  }

  assert {
    condition     = strcontains(aws_s3_bucket_policy.this.policy, "aws:SecureTransport")
    error_message = "the bucket policy must refuse requests without TLS"
  }
}

run "lifecycle_outlives_retention" {
  command = plan

  assert {
    condition     = one(one(aws_s3_bucket_lifecycle_configuration.this.rule).expiration).days == 37
    error_message = "objects must expire 7 days after Loki's retention, never before it"
  }
}

run "role_trusts_only_loki_and_touches_only_its_bucket" {
  command = plan

  assert {
    condition     = jsondecode(aws_iam_role.loki.assume_role_policy).Statement[0].Condition.StringEquals["oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE:sub"] == "system:serviceaccount:loki:loki"
    error_message = "the role must trust only the service account loki/loki"
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.loki.policy).Statement[0].Resource == "arn:aws:s3:::bloody-sweet-staging-loki-123456789012" && jsondecode(aws_iam_role_policy.loki.policy).Statement[1].Resource == "arn:aws:s3:::bloody-sweet-staging-loki-123456789012/*"
    error_message = "the role's policy must name only the log bucket and its objects"
  }
}

run "retention_must_be_whole_days" {
  command = plan

  variables {
    retention_days = 0
  }

  expect_failures = [var.retention_days]
}
