# A Cognito user pool for an application's sign-in: e-mail addresses as user names, a strict
# password policy, an optional or required authenticator-app second factor, recovery by
# verified e-mail only, and OAuth authorisation-code app clients behind the hosted UI.
#
# Client secrets never pass through idp's outputs or logs: a server-side client reads its
# secret at start with cognito-idp:DescribeUserPoolClient (secret_reader_policy_json).

resource "aws_cognito_user_pool" "this" {
  name                     = "${var.name}-users"
  username_attributes      = ["email"]
  auto_verified_attributes = ["email"]
  mfa_configuration        = var.mfa
  deletion_protection      = var.deletion_protection ? "ACTIVE" : "INACTIVE"
  tags                     = var.tags

  username_configuration {
    case_sensitive = false
  }

  password_policy {
    minimum_length                   = var.password_minimum_length
    require_lowercase                = true
    require_uppercase                = true
    require_numbers                  = true
    require_symbols                  = true
    temporary_password_validity_days = 3
  }

  dynamic "software_token_mfa_configuration" {
    for_each = var.mfa == "OFF" ? [] : [var.mfa]
    content {
      enabled = true
    }
  }

  admin_create_user_config {
    allow_admin_create_user_only = !var.self_sign_up
  }

  account_recovery_setting {
    recovery_mechanism {
      name     = "verified_email"
      priority = 1
    }
  }

  user_attribute_update_settings {
    attributes_require_verification_before_update = ["email"]
  }

  email_configuration {
    email_sending_account = var.ses_identity_arn == null ? "COGNITO_DEFAULT" : "DEVELOPER"
    source_arn            = var.ses_identity_arn
    from_email_address    = var.ses_identity_arn == null ? null : var.from_address
  }

  lifecycle {
    precondition {
      condition     = var.ses_identity_arn == null || var.from_address != null
      error_message = "ses_identity_arn needs from_address: mail sent through SES needs a From address of that identity."
    }
  }
}

resource "aws_cognito_user_pool_client" "this" {
  for_each     = var.app_clients
  name         = each.key
  user_pool_id = aws_cognito_user_pool.this.id

  generate_secret                      = each.value.generate_secret
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["code"]
  allowed_oauth_scopes                 = distinct(concat(["openid", "email", "profile"], each.value.additional_scopes))
  supported_identity_providers         = ["COGNITO"]
  callback_urls                        = each.value.callback_urls
  logout_urls                          = each.value.logout_urls

  # SRP keeps the password off the wire; plain password auth only where a client asks.
  explicit_auth_flows = concat(
    ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"],
    each.value.explicit_password_auth ? ["ALLOW_USER_PASSWORD_AUTH"] : [],
  )
  prevent_user_existence_errors = "ENABLED"
  enable_token_revocation       = true

  access_token_validity  = each.value.access_token_minutes
  id_token_validity      = each.value.id_token_minutes
  refresh_token_validity = each.value.refresh_token_days

  token_validity_units {
    access_token  = "minutes"
    id_token      = "minutes"
    refresh_token = "days"
  }
}

resource "aws_cognito_user_pool_domain" "this" {
  count        = var.domain_prefix == null ? 0 : 1
  domain       = var.domain_prefix
  user_pool_id = aws_cognito_user_pool.this.id
}

# What a server-side client needs to read its own secret, and nothing more.
data "aws_iam_policy_document" "secret_reader" {
  statement {
    sid       = "ReadTheClientSecret"
    actions   = ["cognito-idp:DescribeUserPoolClient"]
    resources = [aws_cognito_user_pool.this.arn]
  }
}
