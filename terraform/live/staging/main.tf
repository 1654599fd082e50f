locals {
  environment = "staging"
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
  vpc_cidr            = "10.20.0.0/16"
  deletion_protection = true
  bastion_ami_id      = "ami-0a1b2c3d4e5f60718"

  sizes = {
    nat_gateway_per_az = false
    node_groups = {
      system = { instance_types = ["m7g.large"], min_size = 3, desired_size = 3, max_size = 6 }
    }
    msk_broker_instance_type = "kafka.m7g.large"
    msk_broker_count         = 3
    msk_broker_volume_gb     = 100
    rds_instance_class       = "db.r7g.large"
    rds_multi_az             = false
    rds_storage_gb           = 100
    backup_retention_days    = 7
    redis_node_type          = "cache.r7g.large"
    redis_replicas           = 1
    docdb_instance_class     = "db.r6g.large"
    docdb_instances          = 2
    log_retention_days       = 30
    loki_retention_days      = 30
  }
}
