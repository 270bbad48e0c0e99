output "url" {
  description = "Address of the load balancer (https:// when a certificate is given), or null for a service without HTTP."
  value       = var.expose_http ? "${local.https ? "https" : "http"}://${aws_lb.this[0].dns_name}" : null
}

output "cluster_name" {
  description = "ECS cluster of the service."
  value       = aws_ecs_cluster.this.name
}

output "service_name" {
  description = "ECS service name."
  value       = aws_ecs_service.this.name
}

output "service_security_group_id" {
  description = "Security group of the tasks, for databases that admit only this service."
  value       = aws_security_group.service.id
}

output "task_role_arn" {
  description = "Role the container runs as."
  value       = aws_iam_role.task.arn
}

output "log_group_name" {
  description = "CloudWatch log group of the container."
  value       = aws_cloudwatch_log_group.this.name
}

output "alias_target" {
  description = "The load balancer as a Route 53 alias target (the domain module's alias_target), or null for a service without HTTP."
  value       = var.expose_http ? { dns_name = aws_lb.this[0].dns_name, zone_id = aws_lb.this[0].zone_id } : null
}
