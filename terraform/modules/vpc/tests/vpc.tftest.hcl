mock_provider "aws" {}

variables {
  name = "bloody-sweet-test"
  cidr = "10.20.0.0/16"
  azs  = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
  tags = {
    environment   = "dev"
    owner         = "platform"
    "cost-center" = "cc-1234"
  }
}

run "three_tiers_over_three_azs" {
  command = plan

  assert {
    condition     = length(aws_subnet.public) == 3 && length(aws_subnet.private) == 3 && length(aws_subnet.intra) == 3
    error_message = "expected three public, three private and three intra subnets"
  }

  assert {
    condition     = aws_subnet.private["eu-west-1a"].cidr_block == "10.20.0.0/19" && aws_subnet.public["eu-west-1a"].cidr_block == "10.20.96.0/21" && aws_subnet.intra["eu-west-1c"].cidr_block == "10.20.144.0/21"
    error_message = "subnet CIDRs are not carved from the VPC CIDR as documented"
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 1
    error_message = "without nat_gateway_per_az there must be exactly one NAT gateway"
  }

  assert {
    condition     = aws_flow_log.this.traffic_type == "ALL"
    error_message = "flow logs must capture all traffic"
  }
}

run "nat_gateway_per_az_in_prod" {
  command = plan

  variables {
    nat_gateway_per_az = true
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 3
    error_message = "nat_gateway_per_az must create one NAT gateway per AZ"
  }
}

run "rejects_invalid_cidr" {
  command = plan

  variables {
    cidr = "10.300.0.0/16"
  }

  expect_failures = [var.cidr]
}

run "rejects_too_small_cidr" {
  command = plan

  variables {
    cidr = "10.20.0.0/24"
  }

  expect_failures = [var.cidr]
}

run "rejects_two_azs" {
  command = plan

  variables {
    azs = ["eu-west-1a", "eu-west-1b"]
  }

  expect_failures = [var.azs]
}

run "rejects_missing_required_tags" {
  command = plan

  variables {
    tags = { environment = "dev" }
  }

  expect_failures = [var.tags]
}
