mock_provider "aws" {}

variables {
  name      = "bloody-sweet-test"
  ami_id    = "ami-0123456789abcdef0"
  vpc_id    = "vpc-0123456789abcdef0"
  subnet_id = "subnet-0a"
  vpc_cidr  = "10.20.0.0/16"
  tags = {
    environment   = "dev"
    owner         = "platform"
    "cost-center" = "cc-1234"
  }
}

run "ssm_only_hardened_instance" {
  command = plan

  assert {
    condition     = aws_instance.this[0].associate_public_ip_address == false && aws_instance.this[0].metadata_options[0].http_tokens == "required"
    error_message = "the bastion must have no public IP and require IMDSv2"
  }

  assert {
    condition     = aws_instance.this[0].root_block_device[0].encrypted
    error_message = "the root volume must be encrypted"
  }
}

run "disabled_creates_nothing" {
  command = plan

  variables {
    enabled = false
  }

  assert {
    condition     = length(aws_instance.this) == 0 && length(aws_security_group.this) == 0 && length(aws_iam_role.this) == 0
    error_message = "enabled = false must create nothing"
  }
}

run "rejects_bad_ami" {
  command = plan

  variables {
    ami_id = "ubuntu"
  }

  expect_failures = [var.ami_id]
}

run "rejects_big_instance" {
  command = plan

  variables {
    instance_type = "m7g.4xlarge"
  }

  expect_failures = [var.instance_type]
}
