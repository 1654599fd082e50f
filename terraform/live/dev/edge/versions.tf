terraform {
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.25"
    }
  }

  # Its own state: the edge stage is applied after live/dev and the first Argo CD
  # sync, and can be planned, applied or destroyed without touching the platform.
  backend "s3" {
    bucket         = "bloody-sweet-terraform-state"
    key            = "live/dev/edge/terraform.tfstate"
    region         = "eu-west-1"
    dynamodb_table = "bloody-sweet-terraform-locks"
    encrypt        = true
  }
}
