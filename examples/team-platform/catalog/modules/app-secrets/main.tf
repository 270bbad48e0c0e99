# The secrets one application reads at start: one Secrets Manager secret per name, under
# `<environment>/<name>`, encrypted with the account's AWS-managed key unless a KMS key is
# given. The values are set by the application's owners, never by OpenTofu, so no secret
# value ever lands in state.

resource "aws_secretsmanager_secret" "this" {
  #checkov:skip=CKV2_AWS_57:The values are third-party keys and passwords their owners rotate where they are issued; a rotation Lambda per secret is the owners' choice, not this module's.
  for_each = toset(var.secrets)

  name                    = "${var.environment}/${each.value}"
  description             = "${each.value} of ${var.environment} (value set by its owners, not by OpenTofu)"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_in_days
  tags                    = var.tags
}

# What the application's role needs to read its secrets, and nothing more.
data "aws_iam_policy_document" "read" {
  statement {
    sid       = "ReadOwnSecrets"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [for s in aws_secretsmanager_secret.this : s.arn]
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]
    content {
      sid       = "DecryptSecrets"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
    }
  }
}
