output "cluster_name" {
  description = "ECS cluster the tasks run in."
  value       = aws_ecs_cluster.this.name
}

output "rule_arn" {
  description = "EventBridge rule that starts the task."
  value       = aws_cloudwatch_event_rule.this.arn
}

output "task_role_arn" {
  description = "Task role of the container (what the job may do)."
  value       = aws_iam_role.task.arn
}

output "dead_letter_queue_url" {
  description = "Where events go that EventBridge could not turn into a task."
  value       = aws_sqs_queue.dead_letters.url
}

output "log_group_name" {
  description = "CloudWatch log group of the task."
  value       = aws_cloudwatch_log_group.this.name
}
