output "message" {
  description = "The greeting, as Terraform stored it in state."
  value       = terraform_data.greeting.output.message
}

output "id" {
  description = "ID Terraform gave the resource: new on every replacement."
  value       = terraform_data.greeting.id
}
