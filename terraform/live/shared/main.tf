# What every environment shares: the ECR repositories (an image is built once and
# promoted by tag from dev to staging to prod, see cue/config/images.cue).
locals {
  account_id = "123456789012"
  region     = "eu-west-1"
  tags = {
    environment   = "shared"
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

module "ecr" {
  source = "../../modules/ecr"

  services   = ["order", "payment", "store", "delivery", "eta", "notification"]
  account_id = local.account_id
  region     = local.region
  tags       = local.tags
}
