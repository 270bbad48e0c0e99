# Written by idp for environment "docs-site" (template "static-site" "0.1.0").
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

variable "site" {
  description = "literal inputs of module call `site` (s3-bucket)"
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

module "site" {
  source = "./modules/s3-bucket"

  force_destroy            = var.site.force_destroy
  name                     = module.common.name
  purpose                  = var.site.purpose
  site_aliases             = var.site.site_aliases
  site_certificate_arn     = module.domain.certificate_arn
  site_default_root_object = var.site.site_default_root_object
  site_price_class         = var.site.site_price_class
  static_site              = var.site.static_site
  tags                     = module.common.tags
  task_access              = var.site.task_access
  versioning               = var.site.versioning
}

module "domain" {
  source = "./modules/domain"

  alias_target = module.site.site_alias_target
  domain_name  = var.domain.domain_name
  tags         = module.common.tags
  zone_id      = var.domain.zone_id
}

output "url" {
  value = module.domain.url
}

output "bucket" {
  value = module.site.bucket_name
}

output "distribution" {
  value = module.site.site_distribution_id
}
