# An SES domain identity the application sends mail from: Easy DKIM (2048-bit keys SES
# rotates), a custom MAIL FROM subdomain so SPF aligns with the From domain, and a
# configuration set that requires TLS to the receiving server and tracks reputation.
#
# With a Route 53 zone the module writes the records that make mail deliverable: three DKIM
# CNAMEs, the MAIL FROM MX and SPF records, and the DMARC policy. Without one, dns_records
# lists them for whoever runs the domain's DNS.

locals {
  mail_from  = "${var.mail_from_subdomain}.${var.domain}"
  managed    = var.zone_id != null
  dmarc_rua  = var.dmarc_report_address == null ? "" : "; rua=mailto:${var.dmarc_report_address}"
  dmarc      = "v=DMARC1; p=${var.dmarc_policy}; adkim=s; aspf=r${local.dmarc_rua}"
  spf        = "v=spf1 include:amazonses.com ~all"
  mx         = "10 feedback-smtp.${var.region}.amazonses.com"
  dkim_names = [for t in aws_sesv2_email_identity.this.dkim_signing_attributes[0].tokens : "${t}._domainkey.${var.domain}"]
}

resource "aws_sesv2_configuration_set" "this" {
  configuration_set_name = "${var.name}-mail"
  tags                   = var.tags

  delivery_options {
    tls_policy = "REQUIRE"
  }

  reputation_options {
    reputation_metrics_enabled = true
  }

  sending_options {
    sending_enabled = true
  }

  suppression_options {
    suppressed_reasons = ["BOUNCE", "COMPLAINT"]
  }
}

resource "aws_sesv2_email_identity" "this" {
  email_identity         = var.domain
  configuration_set_name = aws_sesv2_configuration_set.this.configuration_set_name
  tags                   = var.tags

  dkim_signing_attributes {
    next_signing_key_length = "RSA_2048_BIT"
  }
}

resource "aws_sesv2_email_identity_mail_from_attributes" "this" {
  email_identity         = aws_sesv2_email_identity.this.email_identity
  mail_from_domain       = local.mail_from
  behavior_on_mx_failure = "USE_DEFAULT_VALUE"
}

resource "aws_route53_record" "dkim" {
  count   = local.managed ? 3 : 0
  zone_id = var.zone_id
  name    = "${aws_sesv2_email_identity.this.dkim_signing_attributes[0].tokens[count.index]}._domainkey.${var.domain}"
  type    = "CNAME"
  ttl     = 1800
  records = ["${aws_sesv2_email_identity.this.dkim_signing_attributes[0].tokens[count.index]}.dkim.amazonses.com"]
}

resource "aws_route53_record" "mail_from_mx" {
  count   = local.managed ? 1 : 0
  zone_id = var.zone_id
  name    = local.mail_from
  type    = "MX"
  ttl     = 1800
  records = [local.mx]
}

resource "aws_route53_record" "mail_from_spf" {
  count   = local.managed ? 1 : 0
  zone_id = var.zone_id
  name    = local.mail_from
  type    = "TXT"
  ttl     = 1800
  records = [local.spf]
}

resource "aws_route53_record" "dmarc" {
  count   = local.managed ? 1 : 0
  zone_id = var.zone_id
  name    = "_dmarc.${var.domain}"
  type    = "TXT"
  ttl     = 1800
  records = [local.dmarc]
}

# What a sender needs, and nothing more: send as this identity through this configuration set.
data "aws_iam_policy_document" "send" {
  statement {
    sid       = "SendAsTheDomain"
    actions   = ["ses:SendEmail", "ses:SendRawEmail"]
    resources = [aws_sesv2_email_identity.this.arn, aws_sesv2_configuration_set.this.arn]
    condition {
      test     = "StringLike"
      variable = "ses:FromAddress"
      values   = ["*@${var.domain}"]
    }
  }
}
