# A three-broker MSK cluster with IAM authentication over TLS.
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

module "msk" {
  source = "../.."

  name                 = "bloody-sweet-example"
  broker_instance_type = "kafka.t3.small"
  broker_count         = 3
  vpc_id               = "vpc-0123456789abcdef0"
  subnet_ids           = ["subnet-0a", "subnet-0b", "subnet-0c"]
  client_cidrs         = ["10.90.0.0/19", "10.90.32.0/19", "10.90.64.0/19"]
  tags = {
    environment   = "dev"
    owner         = "platform"
    "cost-center" = "cc-1234"
  }
}

output "bootstrap_brokers" {
  value = module.msk.bootstrap_brokers_sasl_iam
}
