# The whole AWS footprint of one environment. The live roots differ only in their
# inputs (sizes, CIDR), so that dev, staging and prod cannot drift apart in shape.
locals {
  name = "bloody-sweet-${var.environment}"
  # The ingress ALB once the controller has created it (one per Ingress group), else null.
  ingress_alb = length(data.aws_lb.ingress) == 1 ? {
    alb_arn      = data.aws_lb.ingress[0].arn
    alb_dns_name = data.aws_lb.ingress[0].dns_name
  } : null
  cluster_name = "bloody-sweet-${var.environment}"
  namespace    = "orders-${var.environment}"
  azs          = [for s in ["a", "b", "c"] : "${var.region}${s}"]

  tags = {
    environment   = var.environment
    owner         = var.owner
    "cost-center" = var.cost_center
  }
}

module "vpc" {
  source = "../vpc"

  name                    = local.name
  cidr                    = var.vpc_cidr
  azs                     = local.azs
  nat_gateway_per_az      = var.sizes.nat_gateway_per_az
  flow_log_retention_days = var.sizes.log_retention_days
  tags                    = local.tags
}

module "eks" {
  source = "../eks"

  cluster_name                 = local.cluster_name
  vpc_id                       = module.vpc.vpc_id
  subnet_ids                   = module.vpc.private_subnet_ids
  endpoint_public_access_cidrs = var.eks_public_access_cidrs
  node_groups                  = var.sizes.node_groups
  log_retention_days           = var.sizes.log_retention_days
  tags                         = local.tags
}

module "autoscaling" {
  source = "../autoscaling"

  mode              = var.autoscaler
  cluster_name      = local.cluster_name
  account_id        = var.account_id
  region            = var.region
  oidc_provider_arn = module.eks.oidc_provider_arn
  oidc_issuer_host  = module.eks.oidc_issuer_host
  node_role_arn     = module.eks.node_role_arn
  tags              = local.tags
}

module "msk" {
  source = "../msk"

  name                 = local.name
  broker_instance_type = var.sizes.msk_broker_instance_type
  broker_count         = var.sizes.msk_broker_count
  broker_volume_gb     = var.sizes.msk_broker_volume_gb
  vpc_id               = module.vpc.vpc_id
  subnet_ids           = module.vpc.intra_subnet_ids
  client_cidrs         = module.vpc.private_subnet_cidrs
  log_retention_days   = var.sizes.log_retention_days
  tags                 = local.tags
}

module "iam" {
  source = "../iam"

  environment       = var.environment
  account_id        = var.account_id
  region            = var.region
  oidc_provider_arn = module.eks.oidc_provider_arn
  oidc_issuer_host  = module.eks.oidc_issuer_host
  msk_cluster_name  = module.msk.cluster_name
  services          = var.services
  # Built from names (like the MSK ARNs in the iam module) so that the
  # policies are known at plan time and reviewable in the plan.
  redis = {
    replication_group_arn = "arn:aws:elasticache:${var.region}:${var.account_id}:replicationgroup:${module.redis.replication_group_id}"
    user_arn              = "arn:aws:elasticache:${var.region}:${var.account_id}:user:${module.redis.app_user}"
    services              = sort(tolist(var.redis_services))
  }
  # RDS IAM auth: each service with a database may connect as <service>_svc only.
  database = {
    resource_id = module.rds.resource_id
    services    = sort(tolist(var.database_services))
  }
  tags = local.tags
}

module "rds" {
  source = "../rds"

  name                  = local.name
  instance_class        = var.sizes.rds_instance_class
  multi_az              = var.sizes.rds_multi_az
  allocated_storage_gb  = var.sizes.rds_storage_gb
  backup_retention_days = var.sizes.backup_retention_days
  deletion_protection   = var.deletion_protection
  vpc_id                = module.vpc.vpc_id
  subnet_ids            = module.vpc.intra_subnet_ids
  client_cidrs          = module.vpc.private_subnet_cidrs
  tags                  = local.tags
}

module "redis" {
  source = "../elasticache"

  name         = local.name
  node_type    = var.sizes.redis_node_type
  replicas     = var.sizes.redis_replicas
  vpc_id       = module.vpc.vpc_id
  subnet_ids   = module.vpc.intra_subnet_ids
  client_cidrs = module.vpc.private_subnet_cidrs
  tags         = local.tags
}

# The customers' identity provider: they sign in on its hosted pages from the mobile
# app; the edge authorizer (the edge stage, live/<env>/edge), the order API (it acts
# for the token's subject) and the notification service (its SSE streams bypass API
# Gateway) admit the access tokens it issues. It is here, not in the edge stage,
# because the order and notification pods need its issuer in their connections secret
# at their first sync, before the edge stage can be applied. The scopes are the
# operators' (GET /v1/stream needs orders/stream.all; listing a store's orders needs
# orders/store.read), held by the machine client only: a scope on the customers'
# client would be granted to every customer.
module "identity" {
  source = "../identity"

  name          = local.name
  environment   = var.environment
  domain_prefix = local.name
  callback_urls = ["bloodysweet://auth/callback"]
  logout_urls   = ["bloodysweet://auth/signout"]

  resource_server_identifier = "orders"
  scopes = {
    "stream.all" = "Read the live changes of every order (GET /v1/stream: operators and the load harness)"
    "store.read" = "Read a store's orders (GET /v1/orders?store=) and any order: store operators"
  }
  machine_client_scopes = ["stream.all", "store.read"]

  access_token_validity_minutes = 60
  refresh_token_validity_days   = 30
  threat_protection             = var.identity_threat_protection
  tags                          = local.tags
}

# The facts the services connect with, in Secrets Manager for the External Secrets
# Operator (bloody-sweet/<env>/<service>/connections), and the operator's role.
module "connection_secrets" {
  source = "../connection-secrets"

  environment   = var.environment
  account_id    = var.account_id
  region        = var.region
  services      = { for s in keys(var.services) : s => { database = contains(var.database_services, s), verifies_tokens = contains(var.token_services, s) } }
  kafka_brokers = module.msk.bootstrap_brokers_sasl_iam
  database = {
    identifier = module.rds.identifier
    host       = module.rds.address
    port       = module.rds.port
    name       = module.rds.database_name
  }
  redis = {
    host = module.redis.primary_endpoint_address
    port = module.redis.port
    user = module.redis.app_user
  }
  # The order and notification services verify the customers' bearer JWTs themselves:
  # the order API acts for the token's subject, and the SSE streams reach the
  # notification service from CloudFront directly, around API Gateway and its authorizer.
  token_issuer = {
    issuer    = module.identity.issuer_url
    audiences = module.identity.audiences
    jwks_url  = module.identity.jwks_url
  }
  oidc_provider_arn    = module.eks.oidc_provider_arn
  oidc_issuer_host     = module.eks.oidc_issuer_host
  recovery_window_days = var.deletion_protection ? 30 : 7
  tags                 = local.tags
}

# Loki's log bucket and IRSA role (the loki add-on of cue/config/addons.cue): the
# retention here is the add-on's, the bucket's lifecycle a week longer.
module "log_store" {
  source = "../log-store"

  environment       = var.environment
  account_id        = var.account_id
  retention_days    = var.sizes.loki_retention_days
  oidc_provider_arn = module.eks.oidc_provider_arn
  oidc_issuer_host  = module.eks.oidc_issuer_host
  tags              = local.tags
}

module "documentdb" {
  source = "../documentdb"

  name                  = local.name
  instance_class        = var.sizes.docdb_instance_class
  instance_count        = var.sizes.docdb_instances
  backup_retention_days = var.sizes.backup_retention_days
  deletion_protection   = var.deletion_protection
  vpc_id                = module.vpc.vpc_id
  subnet_ids            = module.vpc.intra_subnet_ids
  client_cidrs          = module.vpc.private_subnet_cidrs
  tags                  = local.tags
}

# The public edge (zone, certificates, WAF, CloudFront with origin
# api-origin.<domain>) and the security groups of the in-VPC edge. The ALB itself is
# created by the AWS Load Balancer Controller from the Ingress group
# bloody-sweet-<env> after the first sync; the API Gateway in front of it is the
# edge stage, terraform/live/<env>/edge, which looks that ALB up.
module "edge" {
  source = "../waf-cdn-acm-route53"
  providers = {
    aws           = aws
    aws.us_east_1 = aws.us_east_1
  }

  environment   = var.environment
  stream_origin = local.ingress_alb
  tags          = local.tags
}

# The status streams (SSE) cannot pass API Gateway (it buffers responses and ends them
# at 30 s): CloudFront sends them to the ingress ALB through a VPC origin. That ALB is
# the controller's, created at the first sync, so it is looked up by the controller's
# tags (as the edge stage does) with the plural data source, which answers an empty
# list instead of failing: the first apply, before the sync, leaves the streams on the
# default behavior, and the apply after the first sync (terraform/README.md, "Edge")
# adds the VPC origin and the stream behaviors.
data "aws_lbs" "ingress" {
  tags = {
    "elbv2.k8s.aws/cluster" = local.cluster_name
    "ingress.k8s.aws/stack" = local.name
  }
}

# More than one ALB with the group's tags would be a controller or naming fault; the
# streams then keep the default behavior and the plan says why.
check "one_ingress_alb" {
  assert {
    condition     = length(coalesce(data.aws_lbs.ingress.arns, [])) <= 1
    error_message = "Several load balancers carry the tags of Ingress group ${local.name}: CloudFront's stream origin is left out until one remains."
  }
}

data "aws_lb" "ingress" {
  count = length(coalesce(data.aws_lbs.ingress.arns, [])) == 1 ? 1 : 0

  arn = one(data.aws_lbs.ingress.arns)

  # Its security group is checked by the edge stage (modules/api-gateway), which looks
  # up the same ALB; a check here would wait for this stage's own group.
  lifecycle {
    postcondition {
      condition     = self.internal == true && self.load_balancer_type == "application"
      error_message = "The ALB of Ingress group ${local.name} must be an internal application load balancer: check the Ingress annotation alb.ingress.kubernetes.io/scheme."
    }
  }
}

module "alb" {
  source = "../alb"

  name     = local.name
  vpc_id   = module.vpc.vpc_id
  vpc_cidr = module.vpc.vpc_cidr
  tags     = local.tags
}

module "bastion" {
  source = "../bastion"

  enabled = var.bastion_ami_id != null
  name    = local.name
  # With no AMI the module creates nothing; the placeholder only satisfies its validation.
  ami_id    = coalesce(var.bastion_ami_id, "ami-00000000")
  vpc_id    = module.vpc.vpc_id
  vpc_cidr  = module.vpc.vpc_cidr
  subnet_id = module.vpc.private_subnet_ids[0]
  tags      = local.tags
}
