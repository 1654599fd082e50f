terraform {
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
      # CloudFront takes certificates and web ACLs from us-east-1 only.
      configuration_aliases = [aws.us_east_1]
    }
  }
}
