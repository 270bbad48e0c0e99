output "identity_arn" {
  description = "ARN of the SES domain identity (cognito-user-pool's ses_identity_arn)."
  value       = aws_sesv2_email_identity.this.arn
}

output "configuration_set_name" {
  description = "Configuration set every message is sent through."
  value       = aws_sesv2_configuration_set.this.configuration_set_name
}

output "from_address" {
  description = "Address the application sends as."
  value       = "${var.from_local_part}@${var.domain}"
}

output "sender_policy_json" {
  description = "IAM policy that lets a service send mail from the domain."
  value       = data.aws_iam_policy_document.send.json
}

output "container_environment" {
  description = "Environment variables that tell the service how to send mail."
  value = {
    MAIL_FROM             = "${var.from_local_part}@${var.domain}"
    SES_CONFIGURATION_SET = aws_sesv2_configuration_set.this.configuration_set_name
  }
}

output "dns_records" {
  description = "The DNS records the domain needs (created in zone_id when it is set): name, type and value of each."
  value = concat(
    [for n in local.dkim_names : { name = n, type = "CNAME", value = "${split(".", n)[0]}.dkim.amazonses.com" }],
    [
      { name = local.mail_from, type = "MX", value = local.mx },
      { name = local.mail_from, type = "TXT", value = local.spf },
      { name = "_dmarc.${var.domain}", type = "TXT", value = local.dmarc },
    ],
  )
}
