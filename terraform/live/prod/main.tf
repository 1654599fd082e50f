locals {
  environment = "prod"
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
  vpc_cidr            = "10.30.0.0/16"
  deletion_protection = true

  sizes = {
    nat_gateway_per_az = true
    node_groups = {
      system = { instance_types = ["m7g.xlarge"], min_size = 3, desired_size = 3, max_size = 6 }
      orders = { instance_types = ["m7g.xlarge", "m7g.2xlarge"], capacity_type = "SPOT", min_size = 3, desired_size = 6, max_size = 24 }
    }
    msk_broker_instance_type = "kafka.m7g.large"
    msk_broker_count         = 6
    msk_broker_volume_gb     = 500
    rds_instance_class       = "db.r7g.xlarge"
    rds_multi_az             = true
    rds_storage_gb           = 500
    backup_retention_days    = 30
    redis_node_type          = "cache.r7g.large"
    redis_replicas           = 2
    docdb_instance_class     = "db.r6g.large"
    docdb_instances          = 3
    log_retention_days       = 365
    loki_retention_days      = 90
  }
}
