output "url" {
  description = "HTTP address of the load balancer."
  value       = "http://${aws_lb.this.dns_name}"
}

output "cluster_name" {
  description = "ECS cluster of the service."
  value       = aws_ecs_cluster.this.name
}

output "service_security_group_id" {
  description = "Security group of the tasks, for databases that admit only this service."
  value       = aws_security_group.service.id
}
