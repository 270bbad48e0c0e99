output "name" {
  description = "Name prefix for resources, at most 25 characters."
  value       = local.prefix
}

output "tags" {
  description = "Tags for every taggable resource."
  value       = var.tags
}
