mock_provider "aws" {}

variables {
  services   = ["order", "payment"]
  account_id = "123456789012"
  region     = "eu-west-1"
  tags = {
    environment   = "dev"
    owner         = "platform"
    "cost-center" = "cc-1234"
  }
}

run "immutable_scanned_repositories" {
  command = plan

  assert {
    condition     = alltrue([for r in values(aws_ecr_repository.this) : r.image_tag_mutability == "IMMUTABLE" && r.image_scanning_configuration[0].scan_on_push])
    error_message = "every repository must have immutable tags and scan on push"
  }

  assert {
    condition     = output.repository_urls["order"] == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/bloody-sweet/order"
    error_message = "repository URLs must follow docs/CONTRACTS.md"
  }

  assert {
    condition     = length(aws_ecr_lifecycle_policy.this) == 2 && length(aws_ecr_repository_policy.pull) == 0
    error_message = "one lifecycle policy per repository, no cross-account policy by default"
  }
}

run "cross_account_pull_policy" {
  command = plan

  variables {
    pull_principal_arns = ["arn:aws:iam::210987654321:root"]
  }

  assert {
    condition     = length(aws_ecr_repository_policy.pull) == 2
    error_message = "pull principals must get a repository policy on every repository"
  }
}

run "rejects_duplicate_services" {
  command = plan

  variables {
    services = ["order", "order"]
  }

  expect_failures = [var.services]
}

run "rejects_bad_account" {
  command = plan

  variables {
    account_id = "12345"
  }

  expect_failures = [var.account_id]
}
