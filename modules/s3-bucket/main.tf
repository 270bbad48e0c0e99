# One private S3 bucket: every public-access switch off, ACLs disabled, encrypted at rest,
# TLS-only, versioned unless asked otherwise, with lifecycle rules and incomplete uploads
# cleaned up after a week.
#
# A public static site is never a public bucket: with static_site the bucket stays private
# and a CloudFront distribution reads it through an origin access control, the only
# principal besides the account that the bucket policy admits.

locals {
  kms = var.kms_key_arn != null
}

resource "aws_s3_bucket" "this" {
  bucket_prefix = "${var.name}-${var.purpose}-"
  force_destroy = var.force_destroy
  tags          = var.tags

  #checkov:skip=CKV_AWS_18:Server access logs need a log bucket per account; the organisation's CloudTrail data events record object access centrally.
  #checkov:skip=CKV_AWS_144:Cross-region replication doubles storage cost; versioning and the account's backup plan cover recovery, a team that needs a second region asks for it.
  #checkov:skip=CKV2_AWS_62:Event notifications are wired by the template that consumes them (an event rule or a queue), not on every bucket.
  #checkov:skip=CKV_AWS_145:SSE-KMS follows var.kms_key_arn (the environment's key); without one SSE-S3 encrypts, which CloudFront's origin access control can read.
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    bucket_key_enabled = local.kms

    apply_server_side_encryption_by_default {
      sse_algorithm     = local.kms ? "aws:kms" : "AES256"
      kms_master_key_id = var.kms_key_arn
    }
  }
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  # Suspended, not Disabled: a bucket that was ever versioned can only be suspended, so
  # turning versioning off later is an update rather than an error.
  versioning_configuration {
    status = var.versioning ? "Enabled" : "Suspended"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  # Versioning must be in place before rules about noncurrent versions.
  depends_on = [aws_s3_bucket_versioning.this]

  rule {
    id     = "idp-housekeeping"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    expiration {
      expired_object_delete_marker = true
    }
  }

  dynamic "rule" {
    for_each = var.lifecycle_rules
    content {
      id     = rule.value.id
      status = "Enabled"

      filter {
        prefix = rule.value.prefix
      }

      dynamic "transition" {
        for_each = rule.value.transition_to_ia_days == null ? [] : [rule.value.transition_to_ia_days]
        content {
          days          = transition.value
          storage_class = "STANDARD_IA"
        }
      }

      dynamic "expiration" {
        for_each = rule.value.expiration_days == null ? [] : [rule.value.expiration_days]
        content {
          days = expiration.value
        }
      }
    }
  }
}

data "aws_iam_policy_document" "bucket" {
  statement {
    sid     = "DenyPlainHttp"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.this.arn,
      "${aws_s3_bucket.this.arn}/*",
    ]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  dynamic "statement" {
    for_each = var.static_site ? [aws_cloudfront_distribution.site[0].arn] : []
    content {
      sid       = "CloudFrontReadsTheSite"
      actions   = ["s3:GetObject"]
      resources = ["${aws_s3_bucket.this.arn}/*"]
      principals {
        type        = "Service"
        identifiers = ["cloudfront.amazonaws.com"]
      }
      condition {
        test     = "StringEquals"
        variable = "AWS:SourceArn"
        values   = [statement.value]
      }
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.bucket.json

  # A policy written before the block would be refused as public by a racing account default.
  depends_on = [aws_s3_bucket_public_access_block.this]
}

# What a service needs to read and write objects, and what a reader needs: the template
# gives one of them to the task role.
data "aws_iam_policy_document" "read_write" {
  statement {
    sid       = "ListTheBucket"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.this.arn]
  }

  statement {
    sid       = "ReadWriteObjects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${aws_s3_bucket.this.arn}/*"]
  }

  dynamic "statement" {
    for_each = local.kms ? [var.kms_key_arn] : []
    content {
      sid       = "UseTheBucketKey"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }
}

data "aws_iam_policy_document" "read_only" {
  statement {
    sid       = "ListTheBucket"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.this.arn]
  }

  statement {
    sid       = "ReadObjects"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.this.arn}/*"]
  }

  dynamic "statement" {
    for_each = local.kms ? [var.kms_key_arn] : []
    content {
      sid       = "DecryptObjects"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
    }
  }
}
