output "topic_name" {
  description = "Name of the topic."
  value       = aws_sns_topic.this.name
}

output "topic_arn" {
  description = "ARN of the topic."
  value       = aws_sns_topic.this.arn
}

output "publisher_policy_json" {
  description = "IAM policy that lets a service publish to the topic."
  value       = data.aws_iam_policy_document.publish.json
}

output "container_environment" {
  description = "Environment variable that tells the service where to publish."
  value = {
    (var.environment_variable) = aws_sns_topic.this.arn
  }
}
