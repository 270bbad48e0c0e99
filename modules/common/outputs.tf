output "name" {
  description = "Name prefix for resources, at most 25 characters."
  value       = local.prefix
}

output "tags" {
  description = "Tags for every taggable resource."
  value       = var.tags
}

output "kms_key_arn" {
  description = "ARN of the environment's KMS key, or null when none was asked for."
  value       = var.create_kms_key ? aws_kms_key.this[0].arn : null
}
