# Written by idp for environment "media-preview" (template "api-service" "0.1.0").
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

variable "bucket-thumbs" {
  description = "literal inputs of module call `bucket-thumbs` (s3-bucket)"
  type        = any
}

variable "bucket-uploads" {
  description = "literal inputs of module call `bucket-uploads` (s3-bucket)"
  type        = any
}

variable "topic-uploaded" {
  description = "literal inputs of module call `topic-uploaded` (sns-topic)"
  type        = any
}

variable "files" {
  description = "literal inputs of module call `files` (efs)"
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
  efs_volumes           = module.files.task_volumes
  environment_variables = var.service.environment_variables
  expose_http           = var.service.expose_http
  has_task_policy       = var.service.has_task_policy
  health_check_path     = var.service.health_check_path
  image                 = var.service.image
  kms_key_arn           = module.common.kms_key_arn
  linked_environment    = module.files.task_environment
  log_retention_days    = var.service.log_retention_days
  max_count             = var.service.max_count
  memory                = var.service.memory
  mount_points          = var.service.mount_points
  name                  = module.common.name
  private_subnet_ids    = module.network.private_subnet_ids
  public_subnet_ids     = module.network.public_subnet_ids
  region                = var.service.region
  tags                  = module.common.tags
  task_policy_json      = module.files.task_policy_json
  vpc_cidr_block        = module.network.vpc_cidr_block
  vpc_id                = module.network.vpc_id
}

module "bucket-thumbs" {
  source = "./modules/s3-bucket"

  environment_variable = var.bucket-thumbs.environment_variable
  force_destroy        = var.bucket-thumbs.force_destroy
  kms_key_arn          = module.common.kms_key_arn
  lifecycle_rules      = var.bucket-thumbs.lifecycle_rules
  name                 = module.common.name
  purpose              = var.bucket-thumbs.purpose
  tags                 = module.common.tags
  task_access          = var.bucket-thumbs.task_access
  versioning           = var.bucket-thumbs.versioning
}

module "bucket-uploads" {
  source = "./modules/s3-bucket"

  environment_variable   = var.bucket-uploads.environment_variable
  force_destroy          = var.bucket-uploads.force_destroy
  kms_key_arn            = module.common.kms_key_arn
  lifecycle_rules        = var.bucket-uploads.lifecycle_rules
  name                   = module.common.name
  prior_task_environment = module.bucket-thumbs.task_environment
  prior_task_policy_json = module.bucket-thumbs.task_policy_json
  purpose                = var.bucket-uploads.purpose
  tags                   = module.common.tags
  task_access            = var.bucket-uploads.task_access
  versioning             = var.bucket-uploads.versioning
}

module "topic-uploaded" {
  source = "./modules/sns-topic"

  email_subscribers      = var.topic-uploaded.email_subscribers
  environment_variable   = var.topic-uploaded.environment_variable
  kms_key_arn            = module.common.kms_key_arn
  name                   = module.common.name
  prior_task_environment = module.bucket-uploads.task_environment
  prior_task_policy_json = module.bucket-uploads.task_policy_json
  purpose                = var.topic-uploaded.purpose
  tags                   = module.common.tags
}

module "files" {
  source = "./modules/efs"

  access_points            = var.files.access_points
  client_security_group_id = module.service.service_security_group_id
  kms_key_arn              = module.common.kms_key_arn
  name                     = module.common.name
  prior_task_environment   = module.topic-uploaded.task_environment
  prior_task_policy_json   = module.topic-uploaded.task_policy_json
  private_subnet_ids       = module.network.private_subnet_ids
  tags                     = module.common.tags
  vpc_id                   = module.network.vpc_id
}

output "url" {
  value = module.service.url
}

output "cluster" {
  value = module.service.cluster_name
}
