locals {
  # ElastiCache user ids are unique per account and region: prefix the name.
  app_user = "${var.name}-${var.app_user}"
}

resource "aws_kms_key" "this" {
  description         = "${var.name}: ElastiCache data at rest"
  enable_key_rotation = true
  tags                = var.tags
}

resource "aws_elasticache_subnet_group" "this" {
  name       = var.name
  subnet_ids = var.subnet_ids
  tags       = var.tags
}

resource "aws_security_group" "this" {
  name        = "${var.name}-redis"
  description = "Redis of ${var.name}"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "redis" {
  for_each = toset(var.client_cidrs)

  security_group_id = aws_security_group.this.id
  description       = "Redis over TLS from the cluster"
  ip_protocol       = "tcp"
  from_port         = 6379
  to_port           = 6379
  cidr_ipv4         = each.value
  tags              = var.tags
}

# Authentication is RBAC: the mandatory "default" user is switched off and the
# services connect as app_user with IAM auth tokens (no shared password anywhere).
resource "aws_elasticache_user" "default" {
  user_id       = "${var.name}-default"
  user_name     = "default"
  engine        = "redis"
  access_string = "off -@all"

  authentication_mode {
    type = "no-password-required"
  }

  tags = var.tags
}

# An IAM-enabled user's id and name must be the same (ElastiCache refuses
# the user otherwise), and the IAM token signs that id. "&*" grants the
# pub/sub channels: Redis 7 ACLs deny every channel unless granted, and
# notification fans order updates out through pub/sub.
resource "aws_elasticache_user" "app" {
  user_id       = local.app_user
  user_name     = local.app_user
  engine        = "redis"
  access_string = "on ~* &* +@all -@dangerous"

  authentication_mode {
    type = "iam"
  }

  tags = var.tags
}

resource "aws_elasticache_user_group" "this" {
  user_group_id = var.name
  engine        = "redis"
  user_ids      = [aws_elasticache_user.default.user_id, aws_elasticache_user.app.user_id]
  tags          = var.tags
}

resource "aws_elasticache_replication_group" "this" {
  replication_group_id = var.name
  description          = "Redis of ${var.name} (notification fan-out, caches)"
  engine               = "redis"
  engine_version       = var.engine_version
  node_type            = var.node_type
  port                 = 6379
  num_cache_clusters   = var.replicas + 1

  automatic_failover_enabled = var.replicas > 0
  multi_az_enabled           = var.replicas > 0

  subnet_group_name  = aws_elasticache_subnet_group.this.name
  security_group_ids = [aws_security_group.this.id]
  user_group_ids     = [aws_elasticache_user_group.this.user_group_id]

  transit_encryption_enabled = true
  at_rest_encryption_enabled = true
  kms_key_id                 = aws_kms_key.this.arn

  snapshot_retention_limit = 3
  snapshot_window          = "01:00-02:00"
  maintenance_window       = "sun:04:30-sun:05:30"

  tags = var.tags
}
