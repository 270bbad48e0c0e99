# One SNS topic, encrypted at rest (the environment's key or AWS's alias/aws/sns), that
# only the account may use and only over TLS, with optional e-mail and SQS subscribers.

locals {
  topic_name = var.fifo ? "${var.name}-${var.purpose}.fifo" : "${var.name}-${var.purpose}"
}

data "aws_caller_identity" "current" {}

resource "aws_sns_topic" "this" {
  name                        = local.topic_name
  fifo_topic                  = var.fifo
  content_based_deduplication = var.fifo
  kms_master_key_id           = coalesce(var.kms_key_arn, "alias/aws/sns")
  tags                        = var.tags

  lifecycle {
    precondition {
      condition     = !var.fifo || length(var.email_subscribers) == 0
      error_message = "A FIFO topic delivers only to SQS queues: drop email_subscribers or fifo."
    }
  }
}

data "aws_iam_policy_document" "topic" {
  statement {
    sid       = "AccountUsesTheTopic"
    actions   = ["sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic"]
    resources = [aws_sns_topic.this.arn]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "DenyPlainHttp"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.this.arn]
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
}

resource "aws_sns_topic_policy" "this" {
  arn    = aws_sns_topic.this.arn
  policy = data.aws_iam_policy_document.topic.json
}

resource "aws_sns_topic_subscription" "email" {
  count     = length(var.email_subscribers)
  topic_arn = aws_sns_topic.this.arn
  protocol  = "email"
  endpoint  = var.email_subscribers[count.index]
}

resource "aws_sns_topic_subscription" "sqs" {
  count                = length(var.sqs_subscriber_arns)
  topic_arn            = aws_sns_topic.this.arn
  protocol             = "sqs"
  endpoint             = var.sqs_subscriber_arns[count.index]
  raw_message_delivery = true
}

# What a publisher needs, and nothing more: the template gives it to the service's task role.
data "aws_iam_policy_document" "publish" {
  statement {
    sid       = "PublishToTheTopic"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.this.arn]
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]
    content {
      sid       = "EncryptMessages"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [statement.value]
    }
  }
}
