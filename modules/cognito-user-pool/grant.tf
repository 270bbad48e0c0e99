# The service's task role takes one policy and its container one environment, however many
# buckets, topics and identities an environment has: the template chains these calls, each
# passing on what the ones before it granted (prior_*) plus its own (task_*), and wires the
# last one's into ecs-service. Sids get a prefix so two calls' statements stay apart (IAM
# wants them unique in a policy).

locals {
  own_task_policy_json = var.grant_secret_reader ? data.aws_iam_policy_document.secret_reader.json : null
  task_sid_prefix      = "Auth"
  # A policy with no statements stands in for null: a conditional between an empty and a
  # full list of statements has no single type.
  no_task_statements = jsonencode({ Statement = [] })
  own_task_statements = [
    for s in jsondecode(coalesce(local.own_task_policy_json, local.no_task_statements)).Statement :
    merge(s, { Sid = "${local.task_sid_prefix}${s.Sid}" })
  ]
  prior_task_statements = jsondecode(coalesce(var.prior_task_policy_json, local.no_task_statements)).Statement
  task_statements       = concat(local.prior_task_statements, local.own_task_statements)
}

output "task_policy_json" {
  description = "The chain's task policy so far: the prior calls' statements and this call's own, or null when none grants anything."
  value       = length(local.task_statements) == 0 ? null : jsonencode({ Version = "2012-10-17", Statement = local.task_statements })
}

output "task_environment" {
  description = "The chain's container environment so far: the prior calls' variables and this call's own."
  value = merge(
    var.prior_task_environment,
    {
      COGNITO_USER_POOL_ID = aws_cognito_user_pool.this.id
      COGNITO_ISSUER       = "https://${aws_cognito_user_pool.this.endpoint}"
      COGNITO_CLIENT_IDS   = jsonencode({ for k, c in aws_cognito_user_pool_client.this : k => c.id })
    },
    var.domain_prefix == null ? {} : {
      COGNITO_HOSTED_UI = "https://${var.domain_prefix}.auth.${var.region}.amazoncognito.com"
    },
  )
}
