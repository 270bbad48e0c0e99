# Written by idp for environment "accounts-staging" (template "api-database" "0.1.0").
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

variable "service" {
  description = "literal inputs of module call `service` (ecs-service)"
  type        = any
}

variable "database" {
  description = "literal inputs of module call `database` (rds-postgres)"
  type        = any
}

variable "email" {
  description = "literal inputs of module call `email` (ses-domain)"
  type        = any
}

variable "auth" {
  description = "literal inputs of module call `auth` (cognito-user-pool)"
  type        = any
}

variable "domain" {
  description = "literal inputs of module call `domain` (domain)"
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

  certificate_arn       = module.domain.certificate_arn
  container_port        = var.service.container_port
  cpu                   = var.service.cpu
  cpu_architecture      = var.service.cpu_architecture
  deletion_protection   = var.service.deletion_protection
  desired_count         = var.service.desired_count
  environment_variables = var.service.environment_variables
  expose_http           = var.service.expose_http
  has_task_policy       = var.service.has_task_policy
  health_check_path     = var.service.health_check_path
  https_listener        = var.service.https_listener
  image                 = var.service.image
  kms_key_arn           = module.common.kms_key_arn
  linked_environment    = module.auth.task_environment
  log_retention_days    = var.service.log_retention_days
  max_count             = var.service.max_count
  memory                = var.service.memory
  name                  = module.common.name
  private_subnet_ids    = module.network.private_subnet_ids
  public_subnet_ids     = module.network.public_subnet_ids
  region                = var.service.region
  secret_environment    = module.database.container_secrets
  tags                  = module.common.tags
  task_policy_json      = module.auth.task_policy_json
  vpc_cidr_block        = module.network.vpc_cidr_block
  vpc_id                = module.network.vpc_id
}

module "database" {
  source = "./modules/rds-postgres"

  backup_retention_days    = var.database.backup_retention_days
  client_security_group_id = module.service.service_security_group_id
  database_name            = var.database.database_name
  deletion_protection      = var.database.deletion_protection
  engine_version           = var.database.engine_version
  final_snapshot           = var.database.final_snapshot
  instance_class           = var.database.instance_class
  kms_key_arn              = module.common.kms_key_arn
  max_storage_gb           = var.database.max_storage_gb
  multi_az                 = var.database.multi_az
  name                     = module.common.name
  performance_insights     = var.database.performance_insights
  private_subnet_ids       = module.network.private_subnet_ids
  storage_gb               = var.database.storage_gb
  tags                     = module.common.tags
  vpc_id                   = module.network.vpc_id
}

module "email" {
  source = "./modules/ses-domain"

  domain                 = var.email.domain
  name                   = module.common.name
  prior_task_environment = module.database.container_environment
  region                 = var.email.region
  tags                   = module.common.tags
  zone_id                = var.email.zone_id
}

module "auth" {
  source = "./modules/cognito-user-pool"

  app_clients            = var.auth.app_clients
  deletion_protection    = var.auth.deletion_protection
  from_address           = module.email.from_address
  grant_secret_reader    = var.auth.grant_secret_reader
  name                   = module.common.name
  prior_task_environment = module.email.task_environment
  prior_task_policy_json = module.email.task_policy_json
  region                 = var.auth.region
  self_sign_up           = var.auth.self_sign_up
  ses_identity_arn       = module.email.identity_arn
  tags                   = module.common.tags
}

module "domain" {
  source = "./modules/domain"

  alias_target = module.service.alias_target
  domain_name  = var.domain.domain_name
  tags         = module.common.tags
  zone_id      = var.domain.zone_id
}

output "url" {
  value = module.domain.url
}

output "cluster" {
  value = module.service.cluster_name
}

output "database-host" {
  value = module.database.address
}

output "database-secret" {
  value = module.database.master_user_secret_arn
}
