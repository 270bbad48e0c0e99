output "cluster_name" {
  description = "ECS cluster the task runs in."
  value       = aws_ecs_cluster.this.name
}

output "schedule_arn" {
  description = "EventBridge Scheduler schedule."
  value       = aws_scheduler_schedule.this.arn
}

output "dead_letter_queue_url" {
  description = "Where invocations go that the scheduler could not deliver."
  value       = aws_sqs_queue.dead_letters.url
}

output "log_group_name" {
  description = "CloudWatch log group of the task."
  value       = aws_cloudwatch_log_group.this.name
}
