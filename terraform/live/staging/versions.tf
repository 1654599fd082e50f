terraform {
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.25"
    }
  }

  # State in S3, one key per environment; the DynamoDB table serialises runs.
  backend "s3" {
    bucket         = "bloody-sweet-terraform-state"
    key            = "live/staging/terraform.tfstate"
    region         = "eu-west-1"
    dynamodb_table = "bloody-sweet-terraform-locks"
    encrypt        = true
  }
}
