locals {
  namespace = "orders-${var.environment}"
  prefix    = "bloody-sweet-${var.environment}"

  # MSK IAM resource ARNs. The cluster UUID part is a wildcard so that the policy is
  # known at plan time; the cluster name still pins it to this environment's cluster.
  cluster_arn = "arn:aws:kafka:${var.region}:${var.account_id}:cluster/${var.msk_cluster_name}/*"
  topic_arn   = "arn:aws:kafka:${var.region}:${var.account_id}:topic/${var.msk_cluster_name}/*"
  group_arn   = "arn:aws:kafka:${var.region}:${var.account_id}:group/${var.msk_cluster_name}/*"

  # Every statement has the same shape (lists of strings) so that the ones with no
  # resource can be filtered out: a service that consumes nothing gets no Read statement.
  statements = {
    for name, s in var.services : name => [
      {
        Sid      = "Connect"
        Effect   = "Allow"
        Action   = tolist(["kafka-cluster:Connect", "kafka-cluster:DescribeCluster"])
        Resource = tolist([local.cluster_arn])
      },
      {
        # A service creates the topics it writes when they are missing
        # (KAFKA_TOPIC_REPLICATION): MSK does not auto-create topics.
        Sid      = "Write"
        Effect   = "Allow"
        Action   = tolist(["kafka-cluster:CreateTopic", "kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"])
        Resource = tolist([for t in sort(distinct(concat(s.produces, [for c in s.consumes : "${c}.dlq"]))) : "${local.topic_arn}/${t}"])
      },
      {
        Sid      = "Read"
        Effect   = "Allow"
        Action   = tolist(["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"])
        Resource = tolist([for t in sort(s.consumes) : "${local.topic_arn}/${t}"])
      },
      {
        Sid      = "ConsumerGroup"
        Effect   = "Allow"
        Action   = tolist(["kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup"])
        Resource = tolist(length(s.consumes) > 0 ? ["${local.group_arn}/${name}"] : [])
      },
      {
        # ElastiCache IAM auth: Connect on both the cache and the user.
        Sid      = "RedisConnect"
        Effect   = "Allow"
        Action   = tolist(["elasticache:Connect"])
        Resource = tolist(var.redis != null && contains(try(var.redis.services, []), name) ? [var.redis.replication_group_arn, var.redis.user_arn] : [])
      },
    ]
  }

  policies = {
    for name, st in local.statements : name => {
      Version   = "2012-10-17"
      Statement = [for x in st : x if length(x.Resource) > 0]
    }
  }

  # RDS IAM auth: a service logs in as its own database user <service>_svc (the
  # role its migrate hook creates), never as another's or the master user. The
  # resource id is known only after apply, so these are policies of their own: the
  # MSK/Redis policy above stays readable in the plan.
  database_users = var.database == null ? {} : { for s in sort(var.database.services) : s => "${s}_svc" }
  database_policies = {
    for s, user in local.database_users : s => {
      Version = "2012-10-17"
      Statement = [{
        Sid      = "DatabaseConnect"
        Effect   = "Allow"
        Action   = tolist(["rds-db:connect"])
        Resource = tolist(["arn:aws:rds-db:${var.region}:${var.account_id}:dbuser:${var.database.resource_id}/${user}"])
      }]
    }
  }
}

resource "aws_iam_role" "service" {
  for_each = var.services

  name        = "${local.prefix}-${each.key}"
  description = "IRSA role of ${local.namespace}/${each.key}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = var.oidc_provider_arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "${var.oidc_issuer_host}:sub" = "system:serviceaccount:${local.namespace}:${each.key}"
          "${var.oidc_issuer_host}:aud" = "sts.amazonaws.com"
        }
      }
    }]
  })
  tags = merge(var.tags, { service = each.key })
}

resource "aws_iam_role_policy" "msk" {
  for_each = var.services

  name   = "msk-topics" # also holds RedisConnect; the name stays so that no policy is replaced
  role   = aws_iam_role.service[each.key].id
  policy = jsonencode(local.policies[each.key])
}

resource "aws_iam_role_policy" "rds" {
  for_each = local.database_policies

  name   = "rds-connect"
  role   = aws_iam_role.service[each.key].id
  policy = jsonencode(each.value)
}
