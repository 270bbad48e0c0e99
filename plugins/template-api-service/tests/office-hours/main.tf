# Written by idp for environment "checkout-office" (template "api-service" "0.1.0").
# Runs on a schedule: MON,TUE,WED,THU,FRI from "08:00" to "20:00" in "Europe/Berlin"; scaled to zero outside these hours.
# Do not edit: `idp apply` rewrites it. Literal values are in terraform.tfvars.json.

terraform {
  required_version = ">= 1.6.0"
}

provider "aws" {
  region = "eu-central-1"
}

variable "common" {
  description = "literal inputs of module call `common` (common)"
  type        = any
}

variable "network" {
  description = "literal inputs of module call `network` (networking)"
  type        = any
}

variable "service" {
  description = "literal inputs of module call `service` (ecs-service)"
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

module "service" {
  source = "./modules/ecs-service"

  container_port        = var.service.container_port
  cpu                   = var.service.cpu
  cpu_architecture      = var.service.cpu_architecture
  deletion_protection   = var.service.deletion_protection
  desired_count         = var.service.desired_count
  environment_variables = var.service.environment_variables
  expose_http           = var.service.expose_http
  health_check_path     = var.service.health_check_path
  image                 = var.service.image
  kms_key_arn           = module.common.kms_key_arn
  log_retention_days    = var.service.log_retention_days
  max_count             = var.service.max_count
  memory                = var.service.memory
  name                  = module.common.name
  private_subnet_ids    = module.network.private_subnet_ids
  public_subnet_ids     = module.network.public_subnet_ids
  region                = var.service.region
  schedule              = var.service.schedule
  tags                  = module.common.tags
  vpc_cidr_block        = module.network.vpc_cidr_block
  vpc_id                = module.network.vpc_id
}

output "url" {
  value = module.service.url
}

output "cluster" {
  value = module.service.cluster_name
}
