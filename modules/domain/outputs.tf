output "certificate_arn" {
  description = "ARN of the issued certificate, for the load balancer's HTTPS listener (available once validation has succeeded)."
  value       = aws_acm_certificate_validation.this.certificate_arn
}

output "fqdn" {
  description = "The environment's host name."
  value       = var.domain_name
}

output "url" {
  description = "HTTPS URL of the environment."
  value       = "https://${var.domain_name}"
}
