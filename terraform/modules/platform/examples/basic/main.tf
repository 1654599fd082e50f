# A complete dev-sized environment (the live roots are this plus a backend).
terraform {
  required_version = ">= 1.9"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }
}

provider "aws" {
  region = "eu-west-1"
}

provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"
}

module "platform" {
  source = "../.."
  providers = {
    aws           = aws
    aws.us_east_1 = aws.us_east_1
  }

  environment         = "dev"
  account_id          = "123456789012"
  region              = "eu-west-1"
  owner               = "platform"
  cost_center         = "cc-1234"
  vpc_cidr            = "10.90.0.0/16"
  deletion_protection = false
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

output "cluster_name" {
  value = module.platform.cluster_name
}
