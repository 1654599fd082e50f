locals {
  environment = "dev"
  account_id  = "123456789012"
  region      = "eu-west-1"

  # Required on every AWS resource (docs/CONTRACTS.md); the modules also set them
  # explicitly, default_tags catches anything added without them.
  tags = {
    environment   = local.environment
    owner         = "platform"
    "cost-center" = "cc-4200"
  }
}

provider "aws" {
  region              = local.region
  allowed_account_ids = [local.account_id]

  default_tags {
    tags = local.tags
  }
}

provider "aws" {
  alias               = "us_east_1"
  region              = "us-east-1"
  allowed_account_ids = [local.account_id]

  default_tags {
    tags = local.tags
  }
}

module "platform" {
  source = "../../modules/platform"
  providers = {
    aws           = aws
    aws.us_east_1 = aws.us_east_1
  }

  environment         = local.environment
  account_id          = local.account_id
  region              = local.region
  owner               = local.tags.owner
  cost_center         = local.tags["cost-center"]
  vpc_cidr            = "10.10.0.0/16"
  deletion_protection = false
  bastion_ami_id      = "ami-0a1b2c3d4e5f60718"
  # dev's user pool records risky sign-ins without blocking them.
  identity_threat_protection = "AUDIT"

  sizes = {
    nat_gateway_per_az = false
    node_groups = {
      system = { instance_types = ["m7g.large"], min_size = 2, desired_size = 2, max_size = 4 }
    }
    msk_broker_instance_type = "kafka.t3.small"
    msk_broker_count         = 3
    msk_broker_volume_gb     = 50
    rds_instance_class       = "db.t4g.medium"
    rds_multi_az             = false
    rds_storage_gb           = 20
    backup_retention_days    = 3
    redis_node_type          = "cache.t4g.small"
    redis_replicas           = 0
    docdb_instance_class     = "db.t4g.medium"
    docdb_instances          = 1
    log_retention_days       = 14
    loki_retention_days      = 7
  }
}
