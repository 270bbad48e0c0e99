output "queue_name" {
  description = "Name of the work queue."
  value       = aws_sqs_queue.this.name
}

output "queue_url" {
  description = "URL of the work queue."
  value       = aws_sqs_queue.this.url
}

output "queue_arn" {
  description = "ARN of the work queue."
  value       = aws_sqs_queue.this.arn
}

output "dead_letter_queue_url" {
  description = "URL of the dead-letter queue."
  value       = aws_sqs_queue.dead_letters.url
}

output "consumer_policy_json" {
  description = "IAM policy that lets a worker receive, delete and extend messages of the work queue."
  value       = data.aws_iam_policy_document.consume.json
}

output "container_environment" {
  description = "Environment variables that tell the worker where its queue is."
  value = {
    QUEUE_URL = aws_sqs_queue.this.url
  }
}
