output "bucket_name" {
  description = "Name of the bucket."
  value       = aws_s3_bucket.this.bucket
}

output "bucket_arn" {
  description = "ARN of the bucket."
  value       = aws_s3_bucket.this.arn
}

output "bucket_regional_domain_name" {
  description = "Regional endpoint of the bucket (private: requests need credentials)."
  value       = aws_s3_bucket.this.bucket_regional_domain_name
}

output "read_write_policy_json" {
  description = "IAM policy that lets a service list the bucket and read, write and delete its objects."
  value       = data.aws_iam_policy_document.read_write.json
}

output "read_only_policy_json" {
  description = "IAM policy that lets a service list the bucket and read its objects."
  value       = data.aws_iam_policy_document.read_only.json
}

output "container_environment" {
  description = "Environment variable that tells the service its bucket's name."
  value = {
    (var.environment_variable) = aws_s3_bucket.this.bucket
  }
}

output "site_domain_name" {
  description = "cloudfront.net host name of the static site, or null without static_site."
  value       = var.static_site ? aws_cloudfront_distribution.site[0].domain_name : null
}

output "site_distribution_id" {
  description = "CloudFront distribution ID (for invalidations after a deploy), or null without static_site."
  value       = var.static_site ? aws_cloudfront_distribution.site[0].id : null
}

output "site_hosted_zone_id" {
  description = "Route 53 zone ID of CloudFront, for an alias record to the site, or null without static_site."
  value       = var.static_site ? aws_cloudfront_distribution.site[0].hosted_zone_id : null
}

output "site_url" {
  description = "HTTPS address of the static site on its cloudfront.net name, or null without static_site."
  value       = var.static_site ? "https://${aws_cloudfront_distribution.site[0].domain_name}" : null
}

output "site_alias_target" {
  description = "The distribution as a Route 53 alias target (the domain module's alias_target), or null without static_site."
  value       = var.static_site ? { dns_name = aws_cloudfront_distribution.site[0].domain_name, zone_id = aws_cloudfront_distribution.site[0].hosted_zone_id } : null
}
