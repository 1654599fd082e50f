# A small dev cluster with one on-demand node group.
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

module "eks" {
  source = "../.."

  cluster_name = "bloody-sweet-dev"
  vpc_id       = "vpc-0123456789abcdef0"
  subnet_ids   = ["subnet-0a", "subnet-0b", "subnet-0c"]
  node_groups = {
    system = { instance_types = ["m7g.large"], min_size = 2, desired_size = 2, max_size = 4 }
  }
  tags = {
    environment   = "dev"
    owner         = "platform"
    "cost-center" = "cc-1234"
  }
}

output "cluster_name" {
  value = module.eks.cluster_name
}
