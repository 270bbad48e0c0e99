# Written by idp for environment "hello-default" (template "hello" "0.1.0").
# Do not edit: `idp apply` rewrites it. Literal values are in terraform.tfvars.json.

terraform {
  required_version = ">= 1.6.0"
}

variable "hello" {
  description = "literal inputs of module call `hello` (hello)"
  type        = any
}

module "hello" {
  source = "./modules/hello"

  environment = var.hello.environment
  greeting    = var.hello.greeting
  tags        = var.hello.tags
}

output "message" {
  value = module.hello.message
}

output "id" {
  value = module.hello.id
}
