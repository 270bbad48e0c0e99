# The service's task role takes one policy and its container one environment, however many
# buckets, topics and identities an environment has: the template chains these calls, each
# passing on what the ones before it granted (prior_*) plus its own (task_*), and wires the
# last one's into ecs-service. Sids get a prefix so two calls' statements stay apart (IAM
# wants them unique in a policy).

locals {
  own_task_policy_json = data.aws_iam_policy_document.client.json
  task_sid_prefix      = "Files"
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
  value       = merge(var.prior_task_environment, {})
}
