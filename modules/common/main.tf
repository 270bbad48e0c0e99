# Naming, tags and (when asked) the environment's own KMS key, shared by every module.
#
# AWS limits decide the name length: ALB and target group names at most 32 characters,
# RDS identifiers at most 63, IAM role name prefixes at most 38. The shared prefix is at
# most 25 characters, which leaves room for the longest suffix the modules add ("-tg",
# "-exec-"); longer environment names keep their first 20 characters and a 4-character
# hash, so two long names that share a beginning still get different prefixes.

locals {
  hash   = substr(sha1(var.environment), 0, 4)
  prefix = length(var.environment) <= 25 ? var.environment : "${substr(var.environment, 0, 20)}-${local.hash}"
}

data "aws_caller_identity" "current" {
  count = var.create_kms_key ? 1 : 0
}

data "aws_iam_policy_document" "kms" {
  count = var.create_kms_key ? 1 : 0

  # The account root keeps control of the key, as AWS's default key policy does; IAM
  # policies of the environment's roles then decide who may use it.
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current[0].account_id}:root"]
    }
  }

  statement {
    sid = "CloudWatchLogsEncrypt"
    actions = [
      "kms:Encrypt*",
      "kms:Decrypt*",
      "kms:ReEncrypt*",
      "kms:GenerateDataKey*",
      "kms:Describe*",
    ]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.amazonaws.com"]
    }
  }
}

resource "aws_kms_key" "this" {
  count                   = var.create_kms_key ? 1 : 0
  description             = "Encryption key of the idp environment ${var.environment}."
  enable_key_rotation     = true
  deletion_window_in_days = 7
  policy                  = data.aws_iam_policy_document.kms[0].json
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  count         = var.create_kms_key ? 1 : 0
  name          = "alias/idp/${local.prefix}"
  target_key_id = aws_kms_key.this[0].key_id
}
