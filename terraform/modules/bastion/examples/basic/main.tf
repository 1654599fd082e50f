# An SSM-only bastion in a private subnet.
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

module "bastion" {
  source = "../.."

  name      = "bloody-sweet-example"
  ami_id    = "ami-0123456789abcdef0"
  vpc_id    = "vpc-0123456789abcdef0"
  subnet_id = "subnet-0a"
  vpc_cidr  = "10.90.0.0/16"
  tags = {
    environment   = "dev"
    owner         = "platform"
    "cost-center" = "cc-1234"
  }
}

output "instance_id" {
  value = module.bastion.instance_id
}
