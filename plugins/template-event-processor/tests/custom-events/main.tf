# Written by idp for environment "invoices" (template "event-processor" "0.1.0").
# Do not edit: `idp apply` rewrites it. Literal values are in terraform.tfvars.json.

terraform {
  required_version = ">= 1.6.0"
}

provider "aws" {
  region = "us-east-1"
}

variable "common" {
  description = "literal inputs of module call `common` (common)"
  type        = any
}

variable "network" {
  description = "literal inputs of module call `network` (networking)"
  type        = any
}

variable "processor" {
  description = "literal inputs of module call `processor` (event-rule)"
  type        = any
}

module "common" {
  source = "./modules/common"

  create_kms_key = var.common.create_kms_key
  environment    = var.common.environment
  tags           = var.common.tags
}

module "network" {
  source = "./modules/networking"

  cidr_block              = var.network.cidr_block
  flow_log_retention_days = var.network.flow_log_retention_days
  flow_logs               = var.network.flow_logs
  kms_key_arn             = module.common.kms_key_arn
  name                    = module.common.name
  nat_gateway_count       = var.network.nat_gateway_count
  tags                    = module.common.tags
}

module "processor" {
  source = "./modules/event-rule"

  command               = var.processor.command
  cpu                   = var.processor.cpu
  cpu_architecture      = var.processor.cpu_architecture
  environment_variables = var.processor.environment_variables
  event_bus_name        = var.processor.event_bus_name
  event_fields          = var.processor.event_fields
  event_pattern         = var.processor.event_pattern
  image                 = var.processor.image
  kms_key_arn           = module.common.kms_key_arn
  log_retention_days    = var.processor.log_retention_days
  memory                = var.processor.memory
  name                  = module.common.name
  private_subnet_ids    = module.network.private_subnet_ids
  region                = var.processor.region
  retry_attempts        = var.processor.retry_attempts
  tags                  = module.common.tags
  vpc_id                = module.network.vpc_id
}

output "cluster" {
  value = module.processor.cluster_name
}

output "rule" {
  value = module.processor.rule_arn
}

output "dead-letter-queue" {
  value = module.processor.dead_letter_queue_url
}
