# The public edge of dev: zone, certificate, WAF and CloudFront in front of an API.
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

module "edge" {
  source = "../.."
  providers = {
    aws           = aws
    aws.us_east_1 = aws.us_east_1
  }

  environment = "dev"
  tags = {
    environment   = "dev"
    owner         = "platform"
    "cost-center" = "cc-1234"
  }
}

output "api_host" {
  value = module.edge.api_host
}
