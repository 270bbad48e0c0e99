# Written by idp for environment "orders-preview" (template "app-secrets" "0.1.0").
# Do not edit: `idp apply` rewrites it. Literal values are in terraform.tfvars.json.

terraform {
  required_version = ">= 1.6.0"
}

provider "aws" {
  region = "us-east-1"
}

variable "secrets" {
  description = "literal inputs of module call `secrets` (app-secrets)"
  type        = any
}

module "secrets" {
  source = "./modules/app-secrets"

  environment             = var.secrets.environment
  recovery_window_in_days = var.secrets.recovery_window_in_days
  secrets                 = var.secrets.secrets
  tags                    = var.secrets.tags
}

output "secret-arns" {
  value = module.secrets.secret_arns
}

output "reader-policy" {
  value = module.secrets.reader_policy_json
}
