# One EFS file system, encrypted at rest and reachable only over TLS, with a mount target
# in each private subnet whose security group admits NFS (2049) from the service's security
# group alone. Clients mount it only through an access point, which roots them in their
# directory and makes them act as its POSIX user, never as root.

resource "aws_efs_file_system" "this" {
  creation_token   = "${var.name}-efs"
  encrypted        = true
  kms_key_id       = var.kms_key_arn
  performance_mode = "generalPurpose"
  throughput_mode  = var.throughput_mode
  tags             = merge(var.tags, { Name = "${var.name}-efs" })

  dynamic "lifecycle_policy" {
    for_each = var.transition_to_ia == null ? [] : [var.transition_to_ia]
    content {
      transition_to_ia = lifecycle_policy.value
    }
  }

  dynamic "lifecycle_policy" {
    for_each = var.transition_to_ia == null ? [] : [var.transition_to_ia]
    content {
      transition_to_primary_storage_class = "AFTER_1_ACCESS"
    }
  }

  #checkov:skip=CKV_AWS_184:A customer-managed key follows var.kms_key_arn (the environment's key when it has one); otherwise the AWS-managed key encrypts.
}

resource "aws_efs_backup_policy" "this" {
  file_system_id = aws_efs_file_system.this.id

  backup_policy {
    status = var.backup ? "ENABLED" : "DISABLED"
  }
}

resource "aws_security_group" "this" {
  name_prefix = "${var.name}-efs-"
  description = "EFS of ${var.name}: only the service reaches NFS (2049)."
  vpc_id      = var.vpc_id
  tags        = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "from_service" {
  security_group_id            = aws_security_group.this.id
  description                  = "NFS from the service"
  ip_protocol                  = "tcp"
  from_port                    = 2049
  to_port                      = 2049
  referenced_security_group_id = var.client_security_group_id
  tags                         = var.tags
}

resource "aws_efs_mount_target" "this" {
  count           = length(var.private_subnet_ids)
  file_system_id  = aws_efs_file_system.this.id
  subnet_id       = var.private_subnet_ids[count.index]
  security_groups = [aws_security_group.this.id]
}

resource "aws_efs_access_point" "this" {
  for_each       = var.access_points
  file_system_id = aws_efs_file_system.this.id
  tags           = merge(var.tags, { Name = "${var.name}-${each.key}" })

  posix_user {
    uid = each.value.uid
    gid = each.value.gid
  }

  root_directory {
    path = each.value.path

    creation_info {
      owner_uid   = each.value.uid
      owner_gid   = each.value.gid
      permissions = each.value.permissions
    }
  }
}

data "aws_iam_policy_document" "file_system" {
  statement {
    sid     = "DenyPlainNfs"
    effect  = "Deny"
    actions = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    resources = [aws_efs_file_system.this.arn]
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid     = "OnlyThroughAnAccessPoint"
    effect  = "Deny"
    actions = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite", "elasticfilesystem:ClientRootAccess"]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    resources = [aws_efs_file_system.this.arn]
    condition {
      test     = "Null"
      variable = "elasticfilesystem:AccessPointArn"
      values   = ["true"]
    }
  }
}

resource "aws_efs_file_system_policy" "this" {
  file_system_id = aws_efs_file_system.this.id
  policy         = data.aws_iam_policy_document.file_system.json
}

# What a service needs to mount and write through the access points, and nothing more:
# the template gives it to the task role (the task definition mounts with IAM auth on).
data "aws_iam_policy_document" "client" {
  statement {
    sid       = "MountThroughTheAccessPoints"
    actions   = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    resources = [aws_efs_file_system.this.arn]
    condition {
      test     = "StringEquals"
      variable = "elasticfilesystem:AccessPointArn"
      values   = [for a in aws_efs_access_point.this : a.arn]
    }
  }
}
