output "user_pool_id" {
  description = "ID of the user pool."
  value       = aws_cognito_user_pool.this.id
}

output "user_pool_arn" {
  description = "ARN of the user pool."
  value       = aws_cognito_user_pool.this.arn
}

output "issuer_url" {
  description = "OpenID Connect issuer the application verifies tokens against (its JWKS is at /.well-known/jwks.json)."
  value       = "https://${aws_cognito_user_pool.this.endpoint}"
}

output "client_ids" {
  description = "App client IDs by name (not secret)."
  value       = { for k, c in aws_cognito_user_pool_client.this : k => c.id }
}

output "hosted_ui_url" {
  description = "Base URL of the hosted UI, or null without domain_prefix."
  value       = var.domain_prefix == null ? null : "https://${var.domain_prefix}.auth.${var.region}.amazoncognito.com"
}

output "secret_reader_policy_json" {
  description = "IAM policy that lets a server-side client read its secret from Cognito at start."
  value       = data.aws_iam_policy_document.secret_reader.json
}

output "container_environment" {
  description = "Environment variables that tell the service which pool signs its users in."
  value = merge(
    {
      COGNITO_USER_POOL_ID = aws_cognito_user_pool.this.id
      COGNITO_ISSUER       = "https://${aws_cognito_user_pool.this.endpoint}"
    },
    var.domain_prefix == null ? {} : {
      COGNITO_HOSTED_UI = "https://${var.domain_prefix}.auth.${var.region}.amazoncognito.com"
    },
  )
}
