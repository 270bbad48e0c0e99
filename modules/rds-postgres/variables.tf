variable "name" {
  description = "Name prefix from the common module (at most 25 characters; the identifier adds -pg)."
  type        = string

  validation {
    condition     = length(var.name) <= 25
    error_message = "name must be at most 25 characters."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
}

variable "vpc_id" {
  description = "VPC of the environment."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets in at least two availability zones (RDS requires two)."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 2
    error_message = "RDS needs subnets in at least two availability zones."
  }
}

variable "client_security_group_id" {
  description = "Security group of the service: the only one admitted on 5432."
  type        = string
}

variable "instance_class" {
  description = "RDS instance class; the allowed list is what the price book and the platform team support."
  type        = string
  default     = "db.t4g.micro"

  validation {
    condition     = contains(["db.t4g.micro", "db.t4g.small", "db.t4g.medium", "db.m7g.large"], var.instance_class)
    error_message = "instance_class must be one of db.t4g.micro, db.t4g.small, db.t4g.medium, db.m7g.large."
  }
}

variable "engine_version" {
  description = "PostgreSQL major version."
  type        = string
  default     = "16"

  validation {
    condition     = contains(["14", "15", "16", "17"], var.engine_version)
    error_message = "engine_version must be a supported PostgreSQL major version: 14, 15, 16 or 17."
  }
}

variable "storage_gb" {
  description = "Allocated gp3 storage in GiB."
  type        = number
  default     = 20

  validation {
    condition     = var.storage_gb >= 20 && var.storage_gb <= 65536
    error_message = "storage_gb must be between 20 and 65536 (gp3 limits for PostgreSQL)."
  }
}

variable "max_storage_gb" {
  description = "Storage autoscaling ceiling in GiB; equal to storage_gb turns autoscaling off."
  type        = number
  default     = 100
}

variable "database_name" {
  description = "Name of the database created with the instance."
  type        = string
  default     = "app"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_]{0,62}$", var.database_name))
    error_message = "database_name must start with a letter and hold only letters, digits and underscores (at most 63)."
  }
}

variable "master_username" {
  description = "Master user name (its password lives only in Secrets Manager)."
  type        = string
  default     = "app_admin"
}

variable "multi_az" {
  description = "Standby in a second availability zone (production)."
  type        = bool
  default     = false
}

variable "deletion_protection" {
  description = "Refuse deletion until this is turned off (production)."
  type        = bool
  default     = false
}

variable "final_snapshot" {
  description = "Take a final snapshot on destroy (staging and production)."
  type        = bool
  default     = false
}

variable "backup_retention_days" {
  description = "Days of automated backups, 1 to 35."
  type        = number
  default     = 1

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 35
    error_message = "backup_retention_days must be between 1 and 35."
  }
}

variable "performance_insights" {
  description = "Enable Performance Insights (7 days of history, the free tier)."
  type        = bool
  default     = false
}

variable "kms_key_arn" {
  description = "KMS key for storage, the master secret and Performance Insights; null uses the AWS-managed keys."
  type        = string
  default     = null
}
