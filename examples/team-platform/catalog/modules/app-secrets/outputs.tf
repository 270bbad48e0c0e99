output "secret_arns" {
  description = "ARN of each secret, by name."
  value       = { for name, s in aws_secretsmanager_secret.this : name => s.arn }
}

output "reader_policy_json" {
  description = "IAM policy that lets the application read (and decrypt) its secrets."
  value       = data.aws_iam_policy_document.read.json
}
