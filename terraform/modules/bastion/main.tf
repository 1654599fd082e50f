locals {
  count = var.enabled ? 1 : 0
}

resource "aws_iam_role" "this" {
  count = local.count

  name = "${var.name}-bastion"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "ssm" {
  count = local.count

  role       = aws_iam_role.this[0].name
  policy_arn = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "this" {
  count = local.count

  name = "${var.name}-bastion"
  role = aws_iam_role.this[0].name
  tags = var.tags
}

# No ingress at all: sessions come through SSM, which the instance reaches outbound.
resource "aws_security_group" "this" {
  count = local.count

  name        = "${var.name}-bastion"
  description = "Bastion of ${var.name}: no inbound rules"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_egress_rule" "https" {
  count = local.count

  security_group_id = aws_security_group.this[0].id
  description       = "SSM endpoints"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
  tags              = var.tags
}

resource "aws_vpc_security_group_egress_rule" "vpc" {
  count = local.count

  security_group_id = aws_security_group.this[0].id
  description       = "databases and brokers inside the VPC"
  ip_protocol       = "tcp"
  from_port         = 0
  to_port           = 65535
  cidr_ipv4         = var.vpc_cidr
  tags              = var.tags
}

resource "aws_instance" "this" {
  count = local.count

  ami                         = var.ami_id
  instance_type               = var.instance_type
  subnet_id                   = var.subnet_id
  vpc_security_group_ids      = [aws_security_group.this[0].id]
  iam_instance_profile        = aws_iam_instance_profile.this[0].name
  associate_public_ip_address = false

  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  root_block_device {
    encrypted   = true
    volume_type = "gp3"
    volume_size = 8
  }

  tags = merge(var.tags, { Name = "${var.name}-bastion" })
}
